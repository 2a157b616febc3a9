"""Builder for ConnectWise `conditions` strings: the one place user text enters a query.

Field names come from a fixed allow-list; strings are quoted by `quote_string`; integers are checked
to be real ints. Nothing a user types can change the structure of the resulting expression.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime

from psa.base import ProviderFilters

# Every field path this package ever filters on, with the kind of literal it takes.
# User text never becomes a field name.
FIELDS: dict[str, type] = {
    "id": int,
    "summary": str,
    "closedFlag": bool,
    "resources": str,
    "parentTicketId": int,
    "board/id": int,
    "status/id": int,
    "status/name": str,
    "priority/id": int,
    "company/id": int,
    "company/name": str,
    "contact/id": int,
    "owner/id": int,
    "name": str,
    "identifier": str,
    "deletedFlag": bool,
    "inactiveFlag": bool,
    "inactive": bool,
    "type/id": int,
    "objectId": int,
    "doneFlag": bool,
    "member/id": int,
    # time entries (psa/connectwise/time_entries.py)
    "chargeToId": int,
    "chargeToType": str,
    "mobileGuid": str,
    # the change poller (psa/connectwise/changes.py); an `_info` field, filtered by its bare name
    "lastUpdated": datetime,
    "externalXRef": str,
}

# Summaries are at most 100 characters, so longer text cannot match one. With at most 8 fragments
# (text_fragments) this keeps every search URL under ~1300 characters, below ConnectWise's ~2000
# limit, so /count (which has no POST form) always works too.
SEARCH_TEXT_MAX = 100
_NUMERIC = re.compile(r"[0-9]{1,9}")
_INT_MIN = -(2**31)
_INT_MAX = 2**31 - 1
# Characters that are wildcards in `like` patterns (sandbox and SQL Server), plus list separators.
_LIKE_UNSAFE = re.compile(r"""[%*\[\],\s"']""")


class UnquotableValueError(ValueError):
    """The value contains both quote characters, so no quoting keeps it a single literal."""


class Condition:
    """A built, structurally safe condition. Only this module's functions create them."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Condition({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Condition) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


def quote_string(value: str) -> str:
    """Quote a string literal: double quotes, or single quotes when it contains a double quote."""
    if not isinstance(value, str):
        raise TypeError("quote_string expects a str")
    if '"' not in value:
        return f'"{value}"'
    if "'" not in value:
        return f"'{value}'"
    raise UnquotableValueError("value contains both ' and \" and cannot be quoted")


def _field(name: str, kind: type | None = None) -> str:
    if name not in FIELDS:
        raise ValueError(f"field {name!r} is not in the conditions allow-list")
    if kind is not None and FIELDS[name] is not kind:
        raise TypeError(f"field {name!r} takes {FIELDS[name].__name__} values, not {kind.__name__}")
    return name


def _int(value: object) -> str:
    # bool is an int subclass; True must not silently become 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an int, got {type(value).__name__}")
    if not _INT_MIN <= value <= _INT_MAX:
        raise ValueError("integer out of range")
    return str(value)


def _datetime(value: datetime) -> str:
    # ConnectWise's Developer Guide: datetimes in square brackets, ISO-8601 UTC (`[2016-08-20T18:04:26Z]`).
    if value.tzinfo is None:
        raise ValueError("a condition datetime needs a time zone")
    return "[" + value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") + "]"


def _comparison(field: str, op: str, value: str | int | bool | datetime | None) -> Condition:
    if value is None:
        return Condition(f"{_field(field)} {op} null")
    if isinstance(value, datetime):
        return Condition(f"{_field(field, datetime)} {op} {_datetime(value)}")
    if isinstance(value, bool):
        return Condition(f"{_field(field, bool)} {op} {'true' if value else 'false'}")
    if isinstance(value, int):
        return Condition(f"{_field(field, int)} {op} {_int(value)}")
    if isinstance(value, str):
        return Condition(f"{_field(field, str)} {op} {quote_string(value)}")
    raise TypeError(f"unsupported literal type {type(value).__name__}")


def eq(field: str, value: str | int | bool | datetime | None) -> Condition:
    """`field = value` (None compares with null)."""
    return _comparison(field, "=", value)


def gt(field: str, value: int | datetime) -> Condition:
    """`field > value`."""
    return _comparison(field, ">", value)


def ge(field: str, value: int | datetime) -> Condition:
    """`field >= value`."""
    return _comparison(field, ">=", value)


def ne(field: str, value: str | int | bool | None) -> Condition:
    """`field != value`."""
    return _comparison(field, "!=", value)


def contains(field: str, text: str) -> Condition:
    """`field contains "text"` (case-insensitive substring)."""
    if not isinstance(text, str):
        raise TypeError("contains expects a str")
    return Condition(f"{_field(field, str)} contains {quote_string(text)}")


def in_(field: str, values: Iterable[int]) -> Condition:
    """`field in (1, 2, 3)`; callers skip the query instead of passing an empty list."""
    items = [_int(v) for v in values]
    if not items:
        raise ValueError("in_ needs at least one value")
    return Condition(f"{_field(field, int)} in ({', '.join(items)})")


def list_item(field: str, item: str) -> Condition:
    """`item` is one whole element of the comma-separated list in `field` (so `jdoe` never matches `jdoe2`).

    Only for server-side identifiers: values with wildcard, quote, comma or space characters are refused.
    """
    if not item or _LIKE_UNSAFE.search(item):
        raise ValueError("identifier has characters that cannot be matched as a list item")
    f = _field(field, str)
    patterns = [f"{item},%", f"%, {item}", f"%,{item}", f"%, {item},%", f"%,{item},%"]
    parts = [f"{f} = {quote_string(item)}"] + [f"{f} like {quote_string(p)}" for p in patterns]
    return Condition("(" + " OR ".join(parts) + ")")


def _join(op: str, conds: Iterable[Condition | None]) -> Condition | None:
    items = [c for c in conds if c is not None]
    for c in items:
        if not isinstance(c, Condition):
            raise TypeError("only Condition objects can be combined")
    if not items:
        return None
    if len(items) == 1:
        return items[0]
    return Condition("(" + f" {op} ".join(c.text for c in items) + ")")


def and_(*conds: Condition | None) -> Condition | None:
    """All of the conditions (None entries are skipped; None when nothing is left)."""
    return _join("AND", conds)


def or_(*conds: Condition | None) -> Condition | None:
    """Any of the conditions (None entries are skipped; None when nothing is left)."""
    return _join("OR", conds)


def render(cond: Condition | None) -> str | None:
    """The string to send as the `conditions` parameter (None when there is no condition)."""
    return None if cond is None else cond.text


def text_fragments(text: str, *, max_fragments: int = 8) -> list[str]:
    """Split search text into quotable fragments: on `"` only when it holds both quote kinds."""
    text = text.strip()
    if not text:
        return []
    if not ('"' in text and "'" in text):
        return [text]
    seen: list[str] = []
    for part in text.split('"'):
        part = part.strip()
        if part and part not in seen:
            seen.append(part)
    # Keep the most selective fragments so a pathological input cannot blow up the URL.
    if len(seen) > max_fragments:
        keep = set(sorted(seen, key=len, reverse=True)[:max_fragments])
        seen = [p for p in seen if p in keep][:max_fragments]
    return seen


def text_search(text: str, fields: Iterable[str]) -> Condition | None:
    """Every fragment of `text` is contained in at least one of `fields`."""
    names = list(fields)
    per_fragment = [or_(*(contains(f, frag) for f in names)) for frag in text_fragments(text)]
    return and_(*per_fragment)


def _assigned(assigned: str | int, identifier: str | None) -> Condition | None:
    if assigned == "all":
        return None
    if assigned == "unassigned":
        return and_(or_(eq("resources", None), eq("resources", "")), eq("owner/id", None))
    if isinstance(assigned, bool) or not isinstance(assigned, int):
        raise ValueError(f"unsupported assigned filter {assigned!r}")
    owner = eq("owner/id", assigned)
    if not identifier:
        return owner
    try:
        return or_(owner, list_item("resources", identifier))
    except ValueError:
        # An identifier we cannot match safely as a list item: fall back to the primary assignee.
        return owner


def ticket_filter(f: ProviderFilters, member_identifier: str | None = None) -> Condition | None:
    """The ticket list's seven filters; `member_identifier` belongs to an int `assigned`."""
    text = f.search.strip()[:SEARCH_TEXT_MAX]
    search = text_search(text, ("summary", "company/name")) if text else None
    if search is not None and _NUMERIC.fullmatch(text):
        search = or_(eq("id", int(text)), search)
    return and_(
        search,
        eq("board/id", f.board_id) if f.board_id is not None else None,
        eq("status/id", f.status_id) if f.status_id is not None else None,
        eq("status/name", f.status_name) if f.status_name else None,
        eq("priority/id", f.priority_id) if f.priority_id is not None else None,
        eq("company/id", f.company_id) if f.company_id is not None else None,
        _assigned(f.assigned, member_identifier),
        None if f.include_closed else eq("closedFlag", False),
    )

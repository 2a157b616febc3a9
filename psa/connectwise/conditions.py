"""Builder for ConnectWise `conditions` strings: the one place user text enters a query.

Field names come from a fixed allow-list; strings are quoted by `quote_string`; integers are checked
to be real ints. Nothing a user types can change the structure of the resulting expression.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Every field path this package ever filters on. User text never becomes a field name.
FIELDS: frozenset[str] = frozenset(
    {
        "id",
        "summary",
        "closedFlag",
        "resources",
        "parentTicketId",
        "board/id",
        "status/id",
        "priority/id",
        "company/id",
        "company/name",
        "contact/id",
        "owner/id",
        "name",
        "identifier",
        "deletedFlag",
        "inactiveFlag",
        "inactive",
        "type/id",
        "objectId",
        "doneFlag",
        "member/id",
    }
)

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


def _field(name: str) -> str:
    if name not in FIELDS:
        raise ValueError(f"field {name!r} is not in the conditions allow-list")
    return name


def _int(value: object) -> str:
    # bool is an int subclass; True must not silently become 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an int, got {type(value).__name__}")
    if not _INT_MIN <= value <= _INT_MAX:
        raise ValueError("integer out of range")
    return str(value)


def _literal(value: str | int | bool | None) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return _int(value)
    if isinstance(value, str):
        return quote_string(value)
    raise TypeError(f"unsupported literal type {type(value).__name__}")


def eq(field: str, value: str | int | bool | None) -> Condition:
    """`field = value`."""
    return Condition(f"{_field(field)} = {_literal(value)}")


def ne(field: str, value: str | int | bool | None) -> Condition:
    """`field != value`."""
    return Condition(f"{_field(field)} != {_literal(value)}")


def contains(field: str, text: str) -> Condition:
    """`field contains "text"` (case-insensitive substring)."""
    if not isinstance(text, str):
        raise TypeError("contains expects a str")
    return Condition(f"{_field(field)} contains {quote_string(text)}")


def in_(field: str, values: Iterable[int]) -> Condition:
    """`field in (1, 2, 3)`; callers skip the query instead of passing an empty list."""
    items = [_int(v) for v in values]
    if not items:
        raise ValueError("in_ needs at least one value")
    return Condition(f"{_field(field)} in ({', '.join(items)})")


def list_item(field: str, item: str) -> Condition:
    """`item` is one whole element of the comma-separated list in `field` (so `jdoe` never matches `jdoe2`).

    Only for server-side identifiers: values with wildcard, quote, comma or space characters are refused.
    """
    if not item or _LIKE_UNSAFE.search(item):
        raise ValueError("identifier has characters that cannot be matched as a list item")
    f = _field(field)
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

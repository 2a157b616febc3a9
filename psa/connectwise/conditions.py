r"""Builder for ConnectWise `conditions` strings: the one place user text enters a query.

Field names come from a fixed allow-list; integers are checked to be real ints; every string literal
is written by `quote_string`, the one quoting function. Nothing a user types can change the structure
of the resulting expression, and a `contains`/`like` operand always matches its text literally.

String literal rules (each with the source that decides it):

1. Delimiters. A string is written between double quotes, `"…"` (Developer Guide [DG], "Conditions":
   "Strings: must be surrounded by quotes", e.g. `summary = "xyz"`). Single quotes delimit too: [DG]'s
   own `/search` example sends `summary like 'test'`, and KerkhoffTechnologies/django-connectwise
   (`djconnectwise/sync.py`, run against real servers) sends `type/identifier='S'`. We use double quotes,
   and single quotes only around a value that contains a double quote.
2. No escape sequence. [DG] "Escaping Characters" covers JSON bodies and URL encoding only; no source
   documents how to write a quote inside a condition string. So a literal never contains its own
   delimiter: a value holding both quote kinds is refused (`UnquotableValueError`), and search text is
   split at `"` into fragments that must each match (`text_fragments`).
3. Backslash. Undocumented whether ConnectWise's parser reads `\` as an escape. If it does, a value ending
   in `\` swallows its closing quote — the issue's `summary contains "C:\temp\"`. Looked for again
   (2026-12-06) and still absent: [DG] "Conditions" and "Escaping Characters" (JSON bodies and URLs
   only); HealthITAU/pyconnectwise (`utils/experimental/condition.py` writes `f'"{value}"'`, no
   escaping), christaylorcodes/ConnectWiseManageAPI and LabtechConsulting/ConnectWise-Manage-Powershell
   (conditions passed through as typed), covenanttechnologysolutions/connectwise-rest (none),
   KerkhoffTechnologies/django-connectwise (quotes ids and identifiers only; its one backslash rule is
   about standard-note *contents*, not conditions). No client shows `\\` or `\"` working against a
   server, so none is sent: a value with `\` is refused and search text is split at `\`; the list
   says it searched in parts (`searched_parts`). What settles it: `python -m psa.connectwise.probe`
   against a real site reads `summary contains "\"` and `summary contains "\\"` and reports the reading
   ("Backslash in condition strings: …"); the sandbox refuses both, stricter than either reading.
   Control characters are treated the same way ([DG] lists newlines as unsupported in bodies).
4. `*`. [DG] "Conditions": strings "accept * for wildcards", and no literal form is documented: a value
   with `*` is refused and search text is split at `*`.
5. LIKE wildcards. `contains` and `like` are evaluated as SQL Server `LIKE` patterns, where `%`, `_` and
   `[` are wildcards; as literals they are bracketed: `[%]`, `[_]`, `[[]` ([DG] "Escaping Characters",
   URL parameters: `[string]` is written `[[]string]`; Microsoft's Transact-SQL `LIKE` reference, "Using
   wildcard characters as literals"). `quote_string(..., like=True)` does this for every operand of
   `contains`/`like`; a `]` alone is literal and stays as it is.
6. URL encoding (`&`, `"`, `'`, `%`, `+` … in [DG]'s URL table) is the HTTP layer's job: httpx encodes
   query parameters, and `/search` bodies are JSON.

[DG]: ConnectWise PSA Developer Guide (8 Apr 2025), as mirrored in docs/connectwise/Developer-Guide.md of
gitea.resolutionflow.com/chihlasm/resolutionflow; see also /work/shared/reference/connectwise-api.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import quote

from psa.base import ProviderFilters
from psa.connectwise.mapping import SERVICE_SCHEDULE_TYPE_IDENTIFIER

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
    "type/identifier": str,
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

# Summaries are at most 100 characters, so longer text cannot match one. The search part of a
# condition is kept under SEARCH_URL_BUDGET encoded characters (text_search), so every list URL stays
# below ConnectWise's ~2000 limit and /count (which has no POST form) always works too.
SEARCH_TEXT_MAX = 100
SEARCH_URL_BUDGET = 1200
_NUMERIC = re.compile(r"[0-9]{1,9}")
_INT_MIN = -(2**31)
_INT_MAX = 2**31 - 1
# Rules 3 and 4: characters no literal may contain.
_NEVER = re.compile(r"[\\*\x00-\x1f\x7f]")
# Rule 5: LIKE wildcards, bracketed inside contains/like operands.
_LIKE_SPECIAL = re.compile(r"[%_\[]")
# Where search text is cut into fragments (rules 2-4).
_SPLIT = re.compile(r"[\\*\x00-\x1f\x7f]+")
# List items (member identifiers) also must not contain the list's separators or quotes.
_NOT_AN_ITEM = re.compile(r"[,\s\"']")


class UnquotableValueError(ValueError):
    """The value cannot be written as one literal (both quote kinds, `\\`, `*` or a control character)."""


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


def quote_string(value: str, *, like: bool = False) -> str:
    """The one quoting function: `value` as a string literal (rules 1-5 of the module docstring).

    With `like=True` the value is an operand of `contains`/`like` and its LIKE wildcards are bracketed,
    so it matches literally. Raises `UnquotableValueError` for what no literal can hold.
    """
    return _delimit(like_literal(value) if like else _checked(value))


def like_literal(value: str) -> str:
    """`value` with its LIKE wildcards bracketed (`[%]`, `[_]`, `[[]`), still to be delimited."""
    return _LIKE_SPECIAL.sub(lambda m: f"[{m.group()}]", _checked(value))


def _checked(value: str) -> str:
    if not isinstance(value, str):
        raise TypeError("quote_string expects a str")
    if _NEVER.search(value):
        raise UnquotableValueError("value contains a backslash, * or a control character")
    return value


def _delimit(value: str) -> str:
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
    """`field contains "text"`: case-insensitive substring, matched literally."""
    if not isinstance(text, str):
        raise TypeError("contains expects a str")
    return Condition(f"{_field(field, str)} contains {quote_string(text, like=True)}")


class _Any:
    """The `%` of a `like` pattern built by `like`."""

    def __repr__(self) -> str:
        return "ANY"


ANY = _Any()


def like(field: str, *parts: str | _Any) -> Condition:
    """`field like "…"`: each `ANY` part is `%`, each string part matches literally."""
    pattern = "".join("%" if isinstance(p, _Any) else like_literal(p) for p in parts)
    return Condition(f"{_field(field, str)} like {_delimit(pattern)}")


def in_(field: str, values: Iterable[int]) -> Condition:
    """`field in (1, 2, 3)`; callers skip the query instead of passing an empty list."""
    items = [_int(v) for v in values]
    if not items:
        raise ValueError("in_ needs at least one value")
    return Condition(f"{_field(field, int)} in ({', '.join(items)})")


def list_item(field: str, item: str) -> Condition:
    """`item` is one whole element of the comma-separated list in `field` (so `jdoe` never matches `jdoe2`).

    Only for server-side identifiers: values with separators, quotes, `*` or `\\` are refused; `%`, `_`
    and `[` are matched literally.
    """
    if not item or _NOT_AN_ITEM.search(item):
        raise ValueError("identifier has characters that cannot be matched as a list item")
    f = _field(field, str)
    cond = or_(
        eq(f, item),
        like(f, item, ",", ANY),
        like(f, ANY, ", ", item),
        like(f, ANY, ",", item),
        like(f, ANY, ", ", item, ",", ANY),
        like(f, ANY, ",", item, ",", ANY),
    )
    assert cond is not None
    return cond


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
    """Split search text into quotable fragments (rules 2-4): at `\\`, `*` and control characters,
    and at `"` when the text holds both quote kinds. A row containing the text contains every fragment."""
    parts = _SPLIT.split(text)
    if any('"' in p for p in parts) and any("'" in p for p in parts):
        parts = [q for p in parts for q in p.split('"')]
    seen: list[str] = []
    for part in parts:
        part = part.strip()
        if part and part not in seen:
            seen.append(part)
    # Keep the most selective fragments so a pathological input cannot blow up the URL.
    if len(seen) > max_fragments:
        keep = set(sorted(seen, key=len, reverse=True)[:max_fragments])
        seen = [p for p in seen if p in keep][:max_fragments]
    return seen


def text_search(
    text: str, fields: Iterable[str], *, max_encoded: int = SEARCH_URL_BUDGET
) -> Condition | None:
    """Every fragment of `text` is contained in at least one of `fields`.

    A condition that would pass `max_encoded` URL characters loses its shortest fragments, then the
    end of its last one: fewer or shorter fragments find a superset of rows, never fewer.
    """
    return _fitted_search(text, list(fields), max_encoded)[0]


def searched_parts(
    text: str, fields: Iterable[str], *, max_encoded: int = SEARCH_URL_BUDGET
) -> list[str] | None:
    """The parts `text_search` sends when it cannot send `text` as one literal (rules 2-4, the URL
    budget), each of which must match ([] when nothing of it can be sent); None when the text is
    searched exactly as typed."""
    typed = text.strip()
    if not typed:
        return None
    fragments = _fitted_search(typed, list(fields), max_encoded)[1]
    return None if fragments == [typed] else fragments


def _fitted_search(text: str, names: list[str], max_encoded: int) -> tuple[Condition | None, list[str]]:
    fragments = text_fragments(text)
    while True:
        cond = and_(*(or_(*(contains(f, frag) for f in names)) for frag in fragments))
        if cond is None or len(quote(cond.text, safe="")) <= max_encoded:
            return cond, fragments
        if len(fragments) > 1:
            fragments.remove(min(fragments, key=len))
        else:
            fragments = [fragments[0][: max(1, len(fragments[0]) * 9 // 10)].rstrip() or fragments[0][0]]


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


def service_entries(ticket_id: int, member_id: int | None = None) -> Condition | None:
    """A ticket's open Service schedule entries (optionally one member's).

    The Service schedule type is selected by its identifier "S", as KerkhoffTechnologies/django-connectwise
    does (`djconnectwise/sync.py`): its record id differs between sites.
    """
    return and_(
        eq("type/identifier", SERVICE_SCHEDULE_TYPE_IDENTIFIER),
        eq("objectId", ticket_id),
        eq("doneFlag", False),
        eq("member/id", member_id) if member_id is not None else None,
    )


TICKET_SEARCH_FIELDS = ("summary", "company/name")


def ticket_search_text(f: ProviderFilters) -> str:
    """The part of the typed search text a ticket search uses (summaries hold at most 100 characters)."""
    return f.search.strip()[:SEARCH_TEXT_MAX]


def ticket_filter(f: ProviderFilters, member_identifier: str | None = None) -> Condition | None:
    """The ticket list's seven filters; `member_identifier` belongs to an int `assigned`."""
    text = ticket_search_text(f)
    search = text_search(text, TICKET_SEARCH_FIELDS) if text else None
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

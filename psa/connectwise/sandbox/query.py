"""List-query semantics: conditions, orderBy, paging with Link headers, and `fields`."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from .conditions import ConditionsError, Node, compile_node, getter, is_missing, parse
from .errors import bad_request
from .index import RecordIndex
from .schema import Schema, check, fields_of

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 1000
_ORDER_ITEM = re.compile(
    r"^\s*([A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*)(?:\s+(asc|desc))?\s*$", re.I
)
Rec = dict[str, Any]


@dataclass(frozen=True)
class Fields:
    """What a list endpoint's records may be filtered and ordered on (None: anything)."""

    tree: Schema | None = None
    forgotten: frozenset[str] = frozenset()

    def check(self, paths: Any) -> None:
        """ConnectWise's 400 for a path the resource does not know."""
        if self.tree is not None:
            check(self.tree, paths, self.forgotten)


ANY_FIELDS = Fields()


@dataclass(frozen=True)
class ListParams:
    """The list parameters of one request (names are case-insensitive on the wire)."""

    conditions: str = ""
    child_conditions: str = ""
    order_by: str = ""
    fields: str = ""
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    forward_only: bool = False
    page_id: int = 0


def _int_param(raw: str | None, name: str, default: int) -> int:
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw.strip())
    except ValueError:
        raise bad_request(f"The value '{raw}' is not valid for {name}.") from None


def list_params(
    query: Mapping[str, str], body_conditions: str | None = None, *, forward_only: bool = False
) -> ListParams:
    """Read list parameters from a query mapping (plus /search body conditions)."""
    q = {k.lower(): v for k, v in query.items()}
    if forward_only and q.get("orderby", "").strip():
        raise bad_request("orderBy cannot be used with forward-only pagination.")
    page = max(1, _int_param(q.get("page"), "page", 1))
    size = _int_param(q.get("pagesize"), "pageSize", DEFAULT_PAGE_SIZE)
    size = DEFAULT_PAGE_SIZE if size < 1 else min(size, MAX_PAGE_SIZE)
    conditions = q.get("conditions", "")
    if body_conditions:
        conditions = f"({conditions}) AND ({body_conditions})" if conditions.strip() else body_conditions
    return ListParams(
        conditions=conditions,
        child_conditions=q.get("childconditions", ""),
        order_by=q.get("orderby", ""),
        fields=q.get("fields", ""),
        page=page,
        page_size=size,
        forward_only=forward_only,
        page_id=max(0, _int_param(q.get("pageid"), "pageId", 0)),
    )


def parse_conditions(params: ListParams, fields: Fields = ANY_FIELDS) -> tuple[Node | None, Node | None]:
    """The parsed `conditions` and `childConditions`; malformed or unknown fields are a 400."""
    try:
        node, child = parse(params.conditions), parse(params.child_conditions)
    except ConditionsError as exc:
        raise bad_request(f"Parse error in conditions: {exc}") from None
    fields.check(fields_of(node))
    return node, child


def filter_records(
    records: Sequence[Rec], params: ListParams, fields: Fields = ANY_FIELDS, index: RecordIndex | None = None
) -> list[Rec]:
    """Records satisfying `conditions` and `childConditions`; malformed input is a 400.

    With an `index` over `records`, only the records it cannot rule out are tested (same answer).
    """
    node, child_node = parse_conditions(params, fields)
    if index is not None and index.records is records:
        records = index.narrowed(node)
    pred = compile_node(node)
    if child_node is None:
        return [r for r in records if pred(r)]
    child = compile_node(child_node)
    return [r for r in records if pred(r) and child(r)]


def _sort_key(value: Any, desc: bool) -> tuple[Any, ...]:
    if is_missing(value) or isinstance(value, list | dict):
        # Missing values sort last in either direction.
        return (0,) if desc else (2,)
    if isinstance(value, bool):
        return (1, 0, int(value))
    if isinstance(value, int | float):
        return (1, 0, value)
    return (1, 1, str(value).casefold())


def parse_order_by(order_by: str) -> list[tuple[str, bool]]:
    """`"a/b asc, c desc"` -> [("a/b", False), ("c", True)]; malformed is a 400."""
    items: list[tuple[str, bool]] = []
    for part in order_by.split(","):
        if not part.strip():
            continue
        m = _ORDER_ITEM.match(part)
        if not m:
            raise bad_request(f"Invalid orderBy clause '{part.strip()}'")
        items.append((m.group(1), (m.group(2) or "asc").lower() == "desc"))
    return items


def _key_for(path: str, desc: bool) -> Callable[[Rec], tuple[Any, ...]]:
    get = getter(path)
    return lambda r: _sort_key(get(r), desc)


def sort_records(records: list[Rec], order_by: str, fields: Fields = ANY_FIELDS) -> list[Rec]:
    """Sort by the orderBy items, ties broken by id ascending (stable)."""
    items = parse_order_by(order_by)
    fields.check(path for path, _ in items)
    out = sorted(records, key=lambda r: r.get("id", 0))
    for path, desc in reversed(items):
        out.sort(key=_key_for(path, desc), reverse=desc)
    return out


def project(record: Rec, fields: str) -> Rec:
    """Keep only the requested (possibly nested) fields."""
    out: Rec = {}
    for raw in fields.split(","):
        path = [p for p in raw.strip().split("/") if p]
        if not path:
            continue
        src: Any = record
        for p in path:
            if not isinstance(src, Mapping) or p not in src:
                src = None
                break
            src = src[p]
        if src is None:
            continue
        dst = out
        for p in path[:-1]:
            nxt = dst.get(p)
            if not isinstance(nxt, dict):
                nxt = dst[p] = {}
            dst = nxt
        dst[path[-1]] = src
    return out


def link_header(base_url: str, query: Mapping[str, str], page: int, size: int, total: int) -> str:
    """RFC 5988 Link header with first/prev/next/last (prev/next only when they exist)."""
    last = max(1, math.ceil(total / size))
    keep = [(k, v) for k, v in query.items() if k.lower() not in ("page", "pagesize")]

    def url(n: int) -> str:
        return f"{base_url}?{urlencode([*keep, ('pageSize', str(size)), ('page', str(n))])}"

    links = []
    if page > 1:
        links.append(f'<{url(min(page - 1, last))}>; rel="prev"')
    if page < last:
        links.append(f'<{url(page + 1)}>; rel="next"')
    links.append(f'<{url(1)}>; rel="first"')
    links.append(f'<{url(last)}>; rel="last"')
    return ", ".join(links)


@dataclass
class ListResult:
    """One page of results plus what the headers need."""

    items: list[Rec]
    total: int
    page: int
    page_size: int
    next_page_id: int | None = None


def forward_link(base_url: str, query: Mapping[str, str], size: int, last_id: int) -> str:
    """Link header of forward-only paging: only `next`, carrying the last id seen as pageId."""
    keep = [(k, v) for k, v in query.items() if k.lower() not in ("pageid", "pagesize", "page")]
    url = f"{base_url}?{urlencode([*keep, ('pageSize', str(size)), ('pageId', str(last_id))])}"
    return f'<{url}>; rel="next"'


def run_list(
    records: Sequence[Rec], params: ListParams, fields: Fields = ANY_FIELDS, index: RecordIndex | None = None
) -> ListResult:
    """Filter, order, page and project."""
    if not params.forward_only:
        fields.check(path for path, _ in parse_order_by(params.order_by))
    matched = filter_records(records, params, fields, index)
    if params.forward_only:
        # Forward-only paging is `id > pageId` in id order; `page` is ignored.
        ordered = sorted(
            (r for r in matched if r.get("id", 0) > params.page_id), key=lambda r: r.get("id", 0)
        )
        start = 0
    else:
        ordered = sort_records(matched, params.order_by, fields)
        start = (params.page - 1) * params.page_size
    page = ordered[start : start + params.page_size]
    more = len(ordered) > start + params.page_size
    if params.fields.strip():
        page = [project(r, params.fields) for r in page]
    last_id = page[-1].get("id", 0) if page and more else None
    return ListResult(page, len(matched), params.page, params.page_size, last_id)

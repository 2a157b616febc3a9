"""The ticket indexes change how much work a list request does, never its answer."""

from __future__ import annotations

from typing import Any

import pytest
from fuzz_budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from psa.base import ProviderFilters
from psa.connectwise.conditions import render, ticket_filter
from psa.connectwise.sandbox.conditions import parse
from psa.connectwise.sandbox.query import ListParams, filter_records, run_list
from psa.connectwise.sandbox.store import SandboxStore, load_seed

STORE = SandboxStore(load_seed(None))
VIEWS = STORE.ticket_views()
INDEX = STORE.ticket_index()


def _ids(conditions: str, *, indexed: bool) -> list[int]:
    params = ListParams(conditions=conditions)
    rows = filter_records(VIEWS, params, index=INDEX if indexed else None)
    return [r["id"] for r in rows]


def _values(path: str) -> list[Any]:
    out: list[Any] = []
    for view in VIEWS:
        value: Any = view
        for part in path.split("/"):
            value = value.get(part) if isinstance(value, dict) else None
        if value is not None and value not in out:
            out.append(value)
    return out[:12]


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = str(value).replace('"', "")
    return f'"{text}"'


FIELDS = {
    path: _values(path)
    for path in (
        "board/id",
        "status/id",
        "priority/id",
        "company/id",
        "company/name",
        "contact/id",
        "owner/id",
        "closedFlag",
        "resources",
        "parentTicketId",
        "id",
        "summary",
        "severity",
        "budgetHours",
        "owner/identifier",
    )
}
PATTERNS = ["%", "%jdoe%", "jdoe,%", "%, jdoe", "%a%", "[a-c]%", "[^a]%", "_%", "%[%]%", "%printer%"]


@st.composite
def comparisons(draw: st.DrawFn) -> str:
    field = draw(st.sampled_from(sorted(FIELDS)))
    values = FIELDS[field] or [1]
    kind = draw(
        st.sampled_from(["=", "!=", "<", ">=", "null", "not null", "in", "like", "contains", "not like"])
    )
    if kind == "null":
        return f"{field} = null"
    if kind == "not null":
        return f"{field} != null"
    if kind == "in":
        items = draw(st.lists(st.sampled_from(values), min_size=1, max_size=3))
        return f"{field} {draw(st.sampled_from(['in', 'not in']))} ({', '.join(_literal(v) for v in items)})"
    if kind in ("like", "contains", "not like"):
        pattern = draw(st.sampled_from(PATTERNS + [str(v) for v in values]))
        return f'{field} {kind} "{pattern.replace(chr(34), "")}"'
    return f"{field} {kind} {_literal(draw(st.sampled_from(values)))}"


def trees(depth: int = 3) -> st.SearchStrategy[str]:
    return st.recursive(
        comparisons(),
        lambda inner: st.lists(inner, min_size=2, max_size=3).flatmap(
            lambda items: st.sampled_from([" AND ", " OR "]).map(lambda op: "(" + op.join(items) + ")")
        ),
        max_leaves=6,
    )


@settings(max_examples=examples(300))
@given(trees())
def test_indexed_and_full_scan_answers_are_identical(conditions: str) -> None:
    assert _ids(conditions, indexed=True) == _ids(conditions, indexed=False)


APP_FORMS = [
    ProviderFilters(),
    ProviderFilters(assigned=17),
    ProviderFilters(assigned="unassigned"),
    ProviderFilters(assigned="unassigned", board_id=1),
    ProviderFilters(board_id=1, status_id=101),
    ProviderFilters(priority_id=2, include_closed=True),
    ProviderFilters(company_id=52, assigned=21),
    ProviderFilters(search="printer"),
    ProviderFilters(search="1042", include_closed=True),
    ProviderFilters(search="95%", board_id=2),
]


@pytest.mark.parametrize("filters", APP_FORMS, ids=repr)
def test_the_apps_ticket_lists_are_identical_with_the_index(filters: ProviderFilters) -> None:
    identifiers = {17: "jdoe", 21: "gwhite"}
    member = identifiers.get(filters.assigned) if isinstance(filters.assigned, int) else None
    conditions = render(ticket_filter(filters, member)) or ""
    params = ListParams(conditions=conditions, order_by="priority/sort asc,_info/dateEntered desc,id desc")
    indexed = run_list(VIEWS, params, index=INDEX)
    full = run_list(VIEWS, params)
    assert [r["id"] for r in indexed.items] == [r["id"] for r in full.items] and indexed.total == full.total


def test_an_indexed_query_tests_only_its_matches() -> None:
    # Every comparison of "my open tickets" is on an indexed field: the candidates are the answer.
    conditions = render(ticket_filter(ProviderFilters(assigned=17), "jdoe")) or ""
    candidates = INDEX.narrowed(parse(conditions))
    assert [r["id"] for r in candidates] == _ids(conditions, indexed=False)
    assert len(candidates) < len(VIEWS) / 4


def test_the_index_follows_writes() -> None:
    store = SandboxStore(load_seed(None))
    first = store.ticket_index()
    ticket = next(t for t in store.table("tickets").values() if not t["closedFlag"])
    ticket["closedFlag"] = True
    store.touch("tickets")
    second = store.ticket_index()
    assert second is not first
    rows = filter_records(
        store.ticket_views(),
        ListParams(conditions=f"id = {ticket['id']} AND closedFlag = true"),
        index=second,
    )
    assert [r["id"] for r in rows] == [ticket["id"]]

"""search_tickets against the sandbox: every filter, ordering, paging, quoting, round trips."""

from __future__ import annotations

from typing import Any

import pytest
from round_trips import measure

from psa.base import ProviderFilters
from psa.connectwise import ConnectWiseProvider

ALL = 1000
DEMO_MEMBER_ID = 17  # jdoe
SeedOracle = Any  # the `seed` fixture from conftest.py


async def all_ids(provider: ConnectWiseProvider, **filters: Any) -> tuple[list[int], int]:
    result = await provider.search_tickets(ProviderFilters(**filters), page=1, page_size=ALL)
    return [t.id for t in result.items], result.total


SINGLE_FILTERS: list[dict[str, Any]] = [
    {},
    {"search": "printer"},
    {"search": "PRINTER"},
    {"search": "acme"},
    {"search": "1042"},
    {"search": "O'Brien"},
    {"board_id": 3},
    {"status_id": 102},
    {"priority_id": 1},
    {"company_id": 52},
    {"assigned": DEMO_MEMBER_ID},
    {"assigned": "unassigned"},
    {"assigned": "all"},
    {"include_closed": True},
]
COMBINED_FILTERS: list[dict[str, Any]] = [
    {"board_id": 1, "priority_id": 2, "include_closed": True},
    {"search": "printer", "assigned": DEMO_MEMBER_ID},
    {"company_id": 52, "board_id": 1, "status_id": 101},
    {"assigned": "unassigned", "board_id": 6},
    {"search": "wi-fi", "include_closed": True, "priority_id": 3},
    {
        "search": "a",
        "board_id": 1,
        "status_id": 102,
        "priority_id": 3,
        "company_id": 42,
        "assigned": 7,
        "include_closed": True,
    },
]


@pytest.mark.parametrize("filters", SINGLE_FILTERS + COMBINED_FILTERS, ids=repr)
async def test_filters_return_exactly_the_matching_tickets_in_order(
    provider: ConnectWiseProvider, seed: SeedOracle, filters: dict[str, Any]
) -> None:
    expected = seed.matching(**filters)
    ids, total = await all_ids(provider, **filters)
    assert ids == expected
    assert total == len(expected)


async def test_default_list_is_open_tickets_most_urgent_then_newest(
    provider: ConnectWiseProvider, seed: SeedOracle
) -> None:
    result = await provider.search_tickets(ProviderFilters(), page=1, page_size=25)
    rows = result.items
    assert len(rows) == 25 and not any(t.closed for t in rows)
    keys = [
        (t.priority.sort if t.priority else 99, -(t.date_entered.timestamp() if t.date_entered else 0))
        for t in rows
    ]
    assert keys == sorted(keys)
    assert rows[0].priority is not None and rows[0].priority.sort == 1


async def test_numeric_search_finds_the_ticket_by_number(
    provider: ConnectWiseProvider, seed: SeedOracle
) -> None:
    closed_id = next(t["id"] for t in seed.tickets.values() if t["closedFlag"])
    ids, _ = await all_ids(provider, search=str(closed_id), include_closed=True)
    assert closed_id in ids


async def test_assigned_member_does_not_match_a_longer_identifier(
    provider: ConnectWiseProvider, seed: SeedOracle
) -> None:
    # slee (7) and sleigh (8), arivera (5) and arivers (6): prefixes of each other.
    for member in (7, 5):
        ids, _ = await all_ids(provider, assigned=member, include_closed=True)
        ident = seed.members[member]["identifier"]
        for ticket_id in ids:
            assert ident in seed.resources(seed.tickets[ticket_id])
        assert ids == seed.matching(assigned=member, include_closed=True)


async def test_unassigned_rows_have_no_resources(provider: ConnectWiseProvider) -> None:
    result = await provider.search_tickets(ProviderFilters(assigned="unassigned"), page=1, page_size=ALL)
    assert result.total > 0
    assert all(not t.resources and t.owner is None for t in result.items)


async def test_paging_walks_the_whole_list_without_gaps(
    provider: ConnectWiseProvider, seed: SeedOracle
) -> None:
    expected = seed.matching()
    page1 = await provider.search_tickets(ProviderFilters(), page=1, page_size=25)
    page2 = await provider.search_tickets(ProviderFilters(), page=2, page_size=25)
    last_page = (len(expected) + 24) // 25
    last = await provider.search_tickets(ProviderFilters(), page=last_page, page_size=25)
    beyond = await provider.search_tickets(ProviderFilters(), page=last_page + 1, page_size=25)
    assert [t.id for t in page1.items] == expected[:25]
    assert [t.id for t in page2.items] == expected[25:50]
    assert [t.id for t in last.items] == expected[(last_page - 1) * 25 :]
    assert 0 < len(last.items) <= 25
    assert beyond.items == [] and beyond.total == len(expected)
    assert (page2.page, page2.page_size, page2.total) == (2, 25, len(expected))


async def test_page_size_is_capped_at_1000(provider: ConnectWiseProvider, seed: SeedOracle) -> None:
    result = await provider.search_tickets(ProviderFilters(include_closed=True), page=1, page_size=5000)
    assert result.page_size == 1000
    assert len(result.items) == len(seed.tickets) == result.total


HOSTILE = [
    '"',
    "'",
    "%",
    "[",
    "_",
    "95%",
    "[urgent]",
    "file_name",
    ") OR (1=1",
    '" OR summary contains "',
    "' OR '1'='1",
    "a\nb",
    "C:\\temp\\",
]


@pytest.mark.parametrize("text", HOSTILE, ids=repr)
async def test_hostile_search_text_is_searched_literally(
    provider: ConnectWiseProvider, seed: SeedOracle, text: str
) -> None:
    ids, total = await all_ids(provider, search=text, include_closed=True)
    assert ids == seed.matching(search=text, include_closed=True)
    assert total == len(ids) < len(seed.tickets)


@pytest.mark.parametrize("text", ["*", "\\", " * \\ "], ids=repr)
async def test_search_text_with_nothing_literal_to_find_lists_everything(
    provider: ConnectWiseProvider, seed: SeedOracle, text: str
) -> None:
    _, total = await all_ids(provider, search=text, include_closed=True)
    assert total == len(seed.tickets)


async def test_search_with_both_quote_kinds_still_finds_the_ticket(
    provider: ConnectWiseProvider, seed: SeedOracle
) -> None:
    target = next(t for t in seed.tickets.values() if '"' in t["summary"] and "'" in t["summary"])
    quoted = target["summary"]
    ids, _ = await all_ids(provider, search=quoted, include_closed=True)
    assert target["id"] in ids
    assert ids == seed.matching(search=quoted, include_closed=True)


async def test_search_is_two_requests_in_one_round_trip(provider: ConnectWiseProvider, sandbox: Any) -> None:
    await provider.search_tickets(ProviderFilters(search="printer", board_id=1), page=1, page_size=25)
    assert sandbox.request_count() == 2
    assert sandbox.request_count(path_contains="/service/tickets/count") == 1


async def test_assigned_search_looks_a_member_up_once_then_is_two_requests(
    provider: ConnectWiseProvider, sandbox: Any
) -> None:
    await provider.search_tickets(ProviderFilters(assigned=DEMO_MEMBER_ID))
    assert sandbox.request_count() == 3
    sandbox.clear_requests()
    await provider.search_tickets(ProviderFilters(assigned=DEMO_MEMBER_ID, search="vpn"))
    assert sandbox.request_count() == 2


async def test_search_takes_one_round_trip(provider: ConnectWiseProvider, sandbox: Any) -> None:
    search = provider.search_tickets(ProviderFilters(search="printer", board_id=1), page=1, page_size=25)
    _, trips = await measure(sandbox, search, together=(2,))
    assert trips.rounds == 1, trips

"""TicketService over the real provider and sandbox: 'me', caching, single-flight, mapping marks."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from round_trips import measure

from psa.connectwise import ConnectWiseProvider
from psa.models import TicketCreatePayload, TicketFilters
from psa.service import NotMappedError, TicketService

SeedOracle = Any  # the `seed` fixture from conftest.py
ME = "U_JORDAN"


class InMemoryMappings:
    """The MemberMappingLookup protocol over a dict (the bot implements it over storage)."""

    def __init__(self, mapping: dict[str, int], *, broken: bool = False) -> None:
        self.mapping = mapping
        self.broken = broken

    async def member_id_for(self, user_ref: str) -> int | None:
        return self.mapping.get(user_ref)

    async def mapped_member_ids(self) -> dict[int, str]:
        if self.broken:
            raise RuntimeError("storage is down")
        return {member: user for user, member in self.mapping.items()}


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(provider: ConnectWiseProvider, clock: Clock) -> TicketService:
    return TicketService(provider, InMemoryMappings({ME: 17, "U_SAM": 7}), cache_ttl=300.0, clock=clock)


async def test_me_means_the_users_mapped_member(service: TicketService, seed: SeedOracle) -> None:
    result = await service.search(TicketFilters(assigned="me"), user_ref=ME, page=1, page_size=100)
    assert [t.id for t in result.items] == seed.matching(assigned=17)[:100]
    assert result.total == len(seed.matching(assigned=17))


async def test_rows_carry_the_priority_colour(service: TicketService, seed: SeedOracle) -> None:
    colours = {p["id"]: p["color"] for p in seed.data["priorities"]}
    result = await service.search(TicketFilters(), user_ref=ME)
    assert result.items and all(
        t.priority and t.priority.color == colours[t.priority.id] for t in result.items
    )


async def test_unmapped_user_asking_for_me_gets_not_mapped(service: TicketService, sandbox: Any) -> None:
    with pytest.raises(NotMappedError) as info:
        await service.search(TicketFilters(assigned="me"), user_ref="U_STRANGER")
    assert info.value.user_ref == "U_STRANGER" and info.value.user_hint
    assert sandbox.request_count() == 0


async def test_unmapped_user_can_still_list_everything(service: TicketService, seed: SeedOracle) -> None:
    result = await service.search(TicketFilters(board_id=3), user_ref="U_STRANGER")
    assert result.total == len(seed.matching(board_id=3))


async def test_my_queue_is_the_top_five_with_the_full_count(service: TicketService, seed: SeedOracle) -> None:
    queue = await service.my_queue(ME)
    expected = seed.matching(assigned=17)
    assert [t.id for t in queue.items] == expected[:5] and queue.total == len(expected)


async def test_reference_data_is_cached_until_the_ttl(
    service: TicketService, sandbox: Any, clock: Clock
) -> None:
    first = await service.boards()
    await service.boards()
    clock.now += 299
    await service.boards()
    assert sandbox.request_count("GET", "/service/boards") == 1
    clock.now += 2
    assert await service.boards() == first
    assert sandbox.request_count("GET", "/service/boards") == 2


async def test_invalidate_forgets_the_cache(service: TicketService, sandbox: Any) -> None:
    await asyncio.gather(service.boards(), service.priorities(), service.members(), service.statuses(1))
    service.invalidate_reference_data()
    await asyncio.gather(service.boards(), service.priorities(), service.members(), service.statuses(1))
    assert sandbox.request_count("GET", "/service/boards") == 4  # boards twice, statuses twice
    assert sandbox.request_count("GET", "/service/priorities") == 2


async def test_fifty_concurrent_callers_make_one_request(service: TicketService, sandbox: Any) -> None:
    sandbox.set_latency(50)
    results = await asyncio.gather(*(service.priorities() for _ in range(50)))
    assert sandbox.request_count("GET", "/service/priorities") == 1
    assert all(r == results[0] for r in results) and len(results[0]) == 5


async def test_statuses_are_cached_per_board(service: TicketService, sandbox: Any) -> None:
    help_desk, network, again = await asyncio.gather(
        service.statuses(1), service.statuses(3), service.statuses(1)
    )
    assert help_desk == again and {s.board_id for s in network} == {3}
    assert sandbox.request_count("GET", "/statuses") == 2


async def test_a_failed_load_is_shared_but_not_cached(service: TicketService, sandbox: Any) -> None:
    sandbox.set_latency(30)
    sandbox.inject_fault(method="GET", path_pattern="/service/boards$", status=403)
    results = await asyncio.gather(*(service.boards() for _ in range(5)), return_exceptions=True)
    assert all(isinstance(r, Exception) for r in results)
    assert len(await service.boards()) == 5
    assert sandbox.request_count("GET", "/service/boards") == 2


async def test_companies_are_all_loaded_once(service: TicketService, sandbox: Any, seed: SeedOracle) -> None:
    companies = await service.companies()
    await service.companies()
    assert len(companies) == len(seed.data["companies"])
    assert sandbox.request_count("GET", "/company/companies") == 1


async def test_member_for_identifier(service: TicketService) -> None:
    jordan = await service.member_for_identifier("JDoe")
    assert jordan is not None and jordan.id == 17
    assert await service.member_for_identifier("gwhite") is None  # inactive
    assert await service.member_for_identifier("nobody") is None


async def test_member_choices_put_mapped_members_first(service: TicketService) -> None:
    everyone = await service.member_choices()
    assert len(everyone) == 20
    assert [(c.member_identifier, c.is_rf_user) for c in everyone[:2]] == [("jdoe", True), ("slee", True)]
    assert not any(c.is_rf_user for c in everyone[2:])


async def test_member_choices_filter_by_name_or_identifier(service: TicketService) -> None:
    assert [c.member_identifier for c in await service.member_choices("smith")] == ["jsmith"]
    assert {c.member_identifier for c in await service.member_choices("jo")} >= {"jdoe", "jsmith", "jsmyth"}
    assert [c.member_identifier for c in await service.member_choices("sam lee")] == ["slee"]
    assert [c.member_identifier for c in await service.member_choices("jordn")][:1] == ["jdoe"]
    assert await service.member_choices("zzzzqqq") == []


async def test_resources_are_marked_when_mapped(service: TicketService) -> None:
    added = await service.add_resource(1005, 17)
    assert added.is_rf_user
    resources = await service.list_resources(1005)
    assert [r.is_rf_user for r in resources] == [r.member_id in (17, 7) for r in resources]
    assert any(r.is_rf_user for r in resources)


async def test_create_marks_the_assignee_and_links_the_ticket(service: TicketService, sandbox: Any) -> None:
    default_status = next(s.id for s in await service.statuses(4) if s.default)
    payload = TicketCreatePayload(
        summary="New hire laptop",
        company_id=42,
        board_id=4,
        status_id=default_status,
        priority_id=3,
        assigned_member_id=17,
    )
    created = await service.create_ticket(payload)
    assert [(r.member_id, r.is_rf_user) for r in created.resources] == [(17, True)]
    assert created.url == service.ticket_url(created.id)
    assert sandbox.request_count("POST") == 1


async def test_a_mapping_outage_after_a_create_does_not_hide_the_ticket(
    provider: ConnectWiseProvider, sandbox: Any
) -> None:
    service = TicketService(provider, InMemoryMappings({ME: 17}, broken=True))
    payload = TicketCreatePayload(
        summary="Printer", company_id=42, board_id=1, status_id=101, priority_id=3, assigned_member_id=17
    )
    created = await service.create_ticket(payload)
    assert created.id and not created.resources[0].is_rf_user
    assert sandbox.request_count("POST") == 1


async def test_status_notes_and_removal_go_through(service: TicketService, seed: SeedOracle) -> None:
    raw = next(t for t in seed.tickets.values() if t["status"]["id"] == 101)
    change = await service.update_status(raw["id"], 102)
    assert (change.previous_status, change.new_status) == ("New", "In Progress")
    note = await service.add_note(raw["id"], "On site at 3pm", internal=False)
    assert note.text == "On site at 3pm"
    await service.add_resource(raw["id"], 7)
    await service.remove_resource(raw["id"], 7)
    assert 7 not in [r.member_id for r in await service.list_resources(raw["id"])]
    assert [c.id for c in await service.search_companies("acme")] == [42, 12]


async def test_detail_costs_the_providers_rounds_not_the_sum(
    service: TicketService, sandbox: Any, seed: SeedOracle
) -> None:
    await service.priorities()
    detail, trips = await measure(sandbox, service.get_detail(1322), together=(6, 4))
    assert detail.context.ticket.id == 1322
    assert [r.member_identifier for r in detail.resources] == seed.resources(seed.tickets[1322])
    assert (trips.requests, trips.rounds) == (10, 2)  # the context's 8 and the assignees' 2


async def test_detail_from_a_known_row_is_one_round_without_devices(
    service: TicketService, sandbox: Any, seed: SeedOracle
) -> None:
    with_devices = {c["ticketId"] for c in seed.data["ticket_configurations"]}
    ticket_id = next(t for t in sorted(seed.tickets) if t not in with_devices)
    known = await service.get_ticket(ticket_id)
    detail, trips = await measure(sandbox, service.get_detail(ticket_id, known=known), together=(9,))
    assert trips.rounds == 1
    assert detail.context.ticket.priority and detail.context.ticket.priority.color

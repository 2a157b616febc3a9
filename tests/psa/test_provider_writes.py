"""Status changes, resources through schedule entries, ticket creation and notes."""

from __future__ import annotations

from typing import Any

import pytest

from psa.base import ProviderFilters
from psa.connectwise import ConnectWiseProvider
from psa.errors import PSAValidationError
from psa.models import TicketCreatePayload

SeedOracle = Any  # the `seed` fixture from conftest.py


def _posted(sandbox: Any, method: str, path_end: str) -> list[Any]:
    return [r.body for r in sandbox.requests if r.method == method and r.path.endswith(path_end)]


async def test_update_status_reports_before_and_after_and_sticks(
    provider: ConnectWiseProvider, sandbox: Any, seed: SeedOracle
) -> None:
    raw = next(t for t in seed.tickets.values() if t["board"]["id"] == 1 and t["status"]["id"] == 101)
    result = await provider.update_status(raw["id"], 102)
    assert (result.ticket_id, result.previous_status, result.new_status) == (raw["id"], "New", "In Progress")
    assert _posted(sandbox, "PATCH", f"/service/tickets/{raw['id']}") == [
        [{"op": "replace", "path": "status", "value": {"id": 102}}]
    ]
    row = await provider.get_ticket(raw["id"])
    assert row.status is not None and row.status.id == 102


async def test_closing_status_closes_the_ticket(provider: ConnectWiseProvider, seed: SeedOracle) -> None:
    raw = next(t for t in seed.tickets.values() if t["board"]["id"] == 1 and not t["closedFlag"])
    await provider.update_status(raw["id"], 107)
    assert (await provider.get_ticket(raw["id"])).closed


async def test_same_status_is_not_patched(
    provider: ConnectWiseProvider, sandbox: Any, seed: SeedOracle
) -> None:
    raw = next(t for t in seed.tickets.values() if t["status"]["id"] == 101)
    result = await provider.update_status(raw["id"], 101)
    assert result.previous_status == result.new_status == "New"
    assert sandbox.request_count("PATCH") == 0


async def test_status_of_another_board_is_a_validation_error(
    provider: ConnectWiseProvider, seed: SeedOracle
) -> None:
    raw = next(t for t in seed.tickets.values() if t["board"]["id"] == 1 and not t["closedFlag"])
    other_board_status = next(s["id"] for s in seed.data["board_statuses"] if s["board"]["id"] == 3)
    with pytest.raises(PSAValidationError):
        await provider.update_status(raw["id"], other_board_status)


async def test_list_resources_is_owner_first_then_scheduled_members(
    provider: ConnectWiseProvider, seed: SeedOracle, sandbox: Any
) -> None:
    resources = await provider.list_resources(1005)
    assert [r.member_identifier for r in resources] == seed.resources(seed.tickets[1005])
    assert [r.is_owner for r in resources] == [True] + [False] * (len(resources) - 1)
    assert all(r.member_name and not r.is_rf_user for r in resources)
    assert sandbox.request_count() == 2


async def test_add_resource_schedules_the_member_once(provider: ConnectWiseProvider, sandbox: Any) -> None:
    added = await provider.add_resource(1005, 17)
    assert (added.member_id, added.member_identifier, added.member_name) == (17, "jdoe", "Jordan Doe")
    assert _posted(sandbox, "POST", "/schedule/entries") == [
        {"objectId": 1005, "type": {"identifier": "S"}, "member": {"id": 17}}
    ]
    again = await provider.add_resource(1005, 17)
    assert again.member_id == 17 and sandbox.request_count("POST", "/schedule/entries") == 1
    assert "jdoe" in (await provider.get_ticket(1005)).resources
    listed = await provider.search_tickets(
        ProviderFilters(assigned=17, search="1005", include_closed=True), page_size=100
    )
    assert 1005 in [t.id for t in listed.items]


async def test_adding_the_owner_is_a_no_op(
    provider: ConnectWiseProvider, sandbox: Any, seed: SeedOracle
) -> None:
    owner = seed.tickets[1005]["owner"]
    res = await provider.add_resource(1005, owner["id"])
    assert res.is_owner and sandbox.request_count("POST") == 0


async def test_remove_resource_deletes_the_members_entries(
    provider: ConnectWiseProvider, sandbox: Any, seed: SeedOracle
) -> None:
    raw = seed.tickets[1005]
    scheduled = next(r for r in await provider.list_resources(1005) if not r.is_owner)
    await provider.remove_resource(1005, scheduled.member_id)
    after = await provider.list_resources(1005)
    assert scheduled.member_id not in [r.member_id for r in after]
    assert after[0].member_identifier == raw["owner"]["identifier"]
    assert sandbox.request_count("DELETE", "/schedule/entries/") >= 1
    assert sandbox.request_count("PATCH") == 0


async def test_removing_the_owner_clears_the_owner(provider: ConnectWiseProvider, sandbox: Any) -> None:
    owner = (await provider.get_ticket(1005)).owner
    assert owner is not None
    await provider.remove_resource(1005, owner.id)
    row = await provider.get_ticket(1005)
    assert row.owner is None and owner.identifier not in row.resources
    assert _posted(sandbox, "PATCH", "/service/tickets/1005") == [[{"op": "remove", "path": "owner"}]]


async def test_removing_someone_not_assigned_changes_nothing(
    provider: ConnectWiseProvider, sandbox: Any
) -> None:
    before = await provider.list_resources(1005)
    await provider.remove_resource(1005, 19)
    assert await provider.list_resources(1005) == before
    assert sandbox.request_count("DELETE") == 0 and sandbox.request_count("PATCH") == 0


async def test_create_ticket_is_one_request_with_names_back(
    provider: ConnectWiseProvider, sandbox: Any, seed: SeedOracle
) -> None:
    payload = TicketCreatePayload(
        summary="VPN drops every 10 minutes",
        company_id=52,
        board_id=1,
        status_id=101,
        priority_id=2,
        description="Since this morning's update.",
        assigned_member_id=17,
        contact_id=366,
    )
    created = await provider.create_ticket(payload)
    assert sandbox.request_count() == 1
    assert created.id > max(seed.tickets)
    assert (created.summary, created.board_name, created.status_name) == (payload.summary, "Help Desk", "New")
    assert created.priority_name.startswith("Priority 2") and created.company_name.startswith("Cascade")
    assert [(r.member_identifier, r.is_owner) for r in created.resources] == [("jdoe", True)]
    assert created.url and f"service_recid={created.id}" in created.url
    ctx = await provider.get_ticket_context(created.id)
    assert ctx.contact is not None and ctx.contact.id == 366
    assert ctx.notes and ctx.notes[0].text == "Since this morning's update."


async def test_add_note_sends_the_right_flag(provider: ConnectWiseProvider, sandbox: Any) -> None:
    internal = await provider.add_note(1000, "Reset the print spooler", internal=True)
    public = await provider.add_note(1000, "We are on it", internal=False)
    assert internal.internal and not public.internal
    assert internal.ticket_id == 1000 and internal.text == "Reset the print spooler"
    assert internal.author_identifier and internal.created_at is not None
    bodies = _posted(sandbox, "POST", "/service/tickets/1000/notes")
    assert bodies[0]["internalAnalysisFlag"] is True and bodies[0]["detailDescriptionFlag"] is False
    assert bodies[1]["internalAnalysisFlag"] is False and bodies[1]["detailDescriptionFlag"] is True

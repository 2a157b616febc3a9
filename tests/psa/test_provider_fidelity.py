"""What works against the sandbox works against ConnectWise: schedule types, owner removal, wildcards."""

from __future__ import annotations

import re
from typing import Any

import pytest

from psa.base import ProviderFilters
from psa.connectwise import ConnectWiseProvider
from psa.errors import PSANotFoundError, PSAUnavailableError, PSAValidationError
from psa.models import TicketCreatePayload

SeedOracle = Any


def _ticket_with_owner_and_other_resources(seed: SeedOracle) -> dict[str, Any]:
    return next(
        t
        for t in seed.tickets.values()
        if t.get("owner") and not t["closedFlag"] and len(seed.resources(t)) >= 3
    )


async def test_assignees_come_from_service_entries_whatever_the_type_id(
    provider: ConnectWiseProvider, sandbox: Any, seed: SeedOracle
) -> None:
    # In the seed, schedule type id 4 is "Opportunity" and Service is another id; opportunity entries
    # share object ids with tickets. A type/id = 4 query would list strangers as assignees.
    opportunity = next(e for e in seed.data["schedule_entries"] if e["type"]["id"] == 4)
    ticket = seed.tickets[opportunity["objectId"]]
    resources = await provider.list_resources(ticket["id"])
    assert [r.member_identifier for r in resources] == seed.resources(ticket)
    sent = [r.query.get("conditions", "") for r in sandbox.requests if r.path == "/schedule/entries"]
    assert sent and all('type/identifier = "S"' in c and not re.search(r"type/id\b", c) for c in sent)


async def test_adding_an_assignee_twice_creates_one_entry_whatever_the_type_id(
    provider: ConnectWiseProvider, sandbox: Any
) -> None:
    await provider.add_resource(1005, 19)
    await provider.add_resource(1005, 19)
    assert sandbox.request_count("POST", "/schedule/entries") == 1
    await provider.remove_resource(1005, 19)
    assert 19 not in [r.member_id for r in await provider.list_resources(1005)]


async def test_a_new_assignee_entry_is_dateless_as_connectwise_stores_it(
    provider: ConnectWiseProvider, sandbox: Any, cw_get: Any
) -> None:
    await provider.add_resource(1005, 19)
    body = next(r.body for r in sandbox.requests if r.method == "POST" and r.path == "/schedule/entries")
    assert "dateStart" not in body and "dateEnd" not in body
    stored = await cw_get("/schedule/entries", {"conditions": "objectId = 1005 AND member/id = 19"})
    assert len(stored) == 1 and "dateStart" not in stored[0] and "dateEnd" not in stored[0]


async def test_removing_the_owner_patches_before_deleting_entries(
    provider: ConnectWiseProvider, sandbox: Any, seed: SeedOracle
) -> None:
    ticket = _ticket_with_owner_and_other_resources(seed)
    owner_id = ticket["owner"]["id"]
    await provider.add_resource(ticket["id"], owner_id)  # the owner also has a Service entry now
    sandbox.clear_requests()
    await provider.add_resource(ticket["id"], 19)
    await provider.remove_resource(ticket["id"], owner_id)
    writes = [(r.method, r.path) for r in sandbox.requests if r.method in ("PATCH", "DELETE")]
    assert writes[0] == ("PATCH", f"/service/tickets/{ticket['id']}")
    assert all(method == "DELETE" for method, _ in writes[1:])


async def test_a_refused_owner_patch_leaves_the_ticket_unchanged(
    provider: ConnectWiseProvider, sandbox: Any, seed: SeedOracle
) -> None:
    ticket = _ticket_with_owner_and_other_resources(seed)
    owner_id = ticket["owner"]["id"]
    await provider.add_resource(ticket["id"], owner_id)
    before = await provider.list_resources(ticket["id"])
    sandbox.refuse_owner_remove()
    with pytest.raises(PSAValidationError):
        await provider.remove_resource(ticket["id"], owner_id)
    assert await provider.list_resources(ticket["id"]) == before
    assert sandbox.request_count("DELETE") == 0


async def test_a_delete_failing_after_the_owner_patch_says_what_changed(
    provider: ConnectWiseProvider, sandbox: Any, seed: SeedOracle
) -> None:
    ticket = _ticket_with_owner_and_other_resources(seed)
    owner_id = ticket["owner"]["id"]
    await provider.add_resource(ticket["id"], owner_id)
    sandbox.inject_fault(method="DELETE", path_pattern="/schedule/entries/", status=503, count=None)
    with pytest.raises(PSAUnavailableError) as info:
        await provider.remove_resource(ticket["id"], owner_id)
    assert "cleared the owner" in info.value.user_hint
    assert "check the ticket" in info.value.user_hint.lower()
    assert sandbox.request_count("DELETE") == 1  # a DELETE is a write: never resent


async def test_an_entry_already_deleted_counts_as_removed(
    provider: ConnectWiseProvider, sandbox: Any
) -> None:
    await provider.add_resource(1005, 19)
    sandbox.inject_fault(method="DELETE", path_pattern="/schedule/entries/", status=404)
    await provider.remove_resource(1005, 19)


async def test_not_found_is_not_swallowed_for_the_ticket_itself(provider: ConnectWiseProvider) -> None:
    with pytest.raises(PSANotFoundError):
        await provider.remove_resource(999_999, 19)


WILDCARD_SUMMARIES = [
    "Disk at 95% on FS01",
    "9500 errors in the event log",
    "file_name too long on share",
    "fileXname mismatch on share",
    "[urgent] printer jammed",
    "u printer jammed",
]


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("95%", ["Disk at 95% on FS01"]),
        ("file_name", ["file_name too long on share"]),
        ("[urgent]", ["[urgent] printer jammed"]),
        ("%", ["Disk at 95% on FS01"]),
        ("_", ["file_name too long on share"]),
    ],
)
async def test_wildcard_characters_in_a_search_match_only_themselves(
    provider: ConnectWiseProvider, search: str, expected: list[str]
) -> None:
    for summary in WILDCARD_SUMMARIES:
        await provider.create_ticket(
            TicketCreatePayload(summary=summary, company_id=52, board_id=1, status_id=101, priority_id=2)
        )
    page = await provider.search_tickets(ProviderFilters(search=search, company_id=52), page_size=100)
    assert sorted(t.summary for t in page.items if t.summary in WILDCARD_SUMMARIES) == expected

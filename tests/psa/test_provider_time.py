"""Time entries through the provider and the service, against the sandbox over HTTP."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr

from psa.connectwise import ConnectWiseProvider
from psa.errors import PSAValidationError
from psa.models import TimeEntryCreate
from psa.service import TicketService
from psa.time import TimeSpan

SeedOracle = Any


class NoMappings:
    async def member_id_for(self, user_ref: str) -> int | None:
        return None

    async def mapped_member_ids(self) -> dict[int, str]:
        return {}


def _open_ticket(seed: SeedOracle) -> dict[str, Any]:
    return next(
        t
        for t in seed.tickets.values()
        if not t["closedFlag"] and t["status"]["id"] == 102 and t["actualHours"]
    )


def _span(minutes: int, ago: timedelta = timedelta(minutes=2)) -> TimeSpan:
    now = datetime.now(UTC).replace(microsecond=0)
    return TimeSpan.ending_at(now - ago, timedelta(minutes=minutes), now=now)


async def test_logged_time_is_sent_as_connectwise_expects_and_comes_back_neutral(
    provider: ConnectWiseProvider, sandbox: Any, seed: SeedOracle
) -> None:
    ticket = _open_ticket(seed)
    span = _span(45)
    ref = uuid.uuid4()
    entry = await provider.add_time_entry(
        TimeEntryCreate(
            ticket_id=ticket["id"],
            span=span,
            member_id=17,
            notes="Replaced toner, tested",
            note_target="discussion",
            work_type_id=2,
            billable="no_charge",
            email_contact=True,
            client_ref=ref,
        )
    )
    (body,) = [r.body for r in sandbox.requests if r.method == "POST" and r.path == "/time/entries"]
    assert body == {
        "chargeToType": "ServiceTicket",
        "chargeToId": ticket["id"],
        "timeStart": span.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "timeEnd": span.end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "member": {"id": 17},
        "notes": "Replaced toner, tested",
        "addToDetailDescriptionFlag": True,
        "workType": {"id": 2},
        "billableOption": "NoCharge",
        "emailContactFlag": True,
        "mobileGuid": str(ref),
    }
    assert (entry.ticket_id, entry.member_identifier, entry.hours) == (ticket["id"], "jdoe", 0.75)
    assert (entry.start, entry.end) == (span.start, span.end)
    assert entry.work_type is not None and entry.work_type.name == "Onsite Support"
    assert entry.work_role is not None and entry.work_role.name == "Technician"  # jdoe's default
    assert (entry.billable, entry.note_target, entry.client_ref) == ("no_charge", "discussion", ref)
    assert (await provider.get_ticket(ticket["id"])).actual_hours == round(ticket["actualHours"] + 0.75, 2)


async def test_entries_of_a_ticket_come_latest_first_and_limit_is_one_request(
    provider: ConnectWiseProvider, sandbox: Any, seed: SeedOracle
) -> None:
    ticket = _open_ticket(seed)
    for minutes, ago in ((30, timedelta(hours=3)), (15, timedelta(hours=1))):
        await provider.add_time_entry(TimeEntryCreate(ticket_id=ticket["id"], span=_span(minutes, ago)))
    everything = await provider.list_time_entries(ticket["id"])
    assert round(sum(e.hours for e in everything), 2) == round(ticket["actualHours"] + 0.75, 2)
    assert [e.start for e in everything] == sorted((e.start for e in everything), reverse=True)
    sandbox.clear_requests()
    latest = await provider.list_time_entries(ticket["id"], limit=2)
    assert [e.hours for e in latest] == [0.25, 0.5]
    (request,) = sandbox.requests
    assert request.query["pageSize"] == "2"
    assert request.query["conditions"] == f'(chargeToId = {ticket["id"]} AND chargeToType = "ServiceTicket")'


async def test_an_entry_is_found_again_by_its_client_ref(
    provider: ConnectWiseProvider, seed: SeedOracle
) -> None:
    ticket = _open_ticket(seed)
    ref = uuid.uuid4()
    made = await provider.add_time_entry(
        TimeEntryCreate(ticket_id=ticket["id"], span=_span(20), client_ref=ref)
    )
    found = await provider.find_time_entry(ticket["id"], ref)
    assert found is not None and found.id == made.id
    assert await provider.find_time_entry(ticket["id"], uuid.uuid4()) is None


async def test_undo_deletes_the_entry_and_its_hours(provider: ConnectWiseProvider, seed: SeedOracle) -> None:
    ticket = _open_ticket(seed)
    entry = await provider.add_time_entry(TimeEntryCreate(ticket_id=ticket["id"], span=_span(30)))
    await provider.delete_time_entry(entry.id)
    assert entry.id not in {e.id for e in await provider.list_time_entries(ticket["id"])}
    assert (await provider.get_ticket(ticket["id"])).actual_hours == ticket["actualHours"]


async def test_refused_time_is_a_validation_error_naming_the_field(
    provider: ConnectWiseProvider, seed: SeedOracle
) -> None:
    ticket = _open_ticket(seed)
    with pytest.raises(PSAValidationError) as caught:
        await provider.add_time_entry(
            TimeEntryCreate(ticket_id=ticket["id"], span=_span(30), work_type_id=999)
        )
    assert set(caught.value.fields) == {"workType"}


async def test_work_types_roles_and_member_defaults_are_cached_by_the_service(
    provider: ConnectWiseProvider, sandbox: Any
) -> None:
    service = TicketService(provider, NoMappings())
    types = await service.work_types()
    assert [t.name for t in types][:2] == ["Admin", "After Hours Emergency"]
    assert next(t for t in types if t.name == "Travel").billable == "no_charge"
    assert next(t for t in types if t.default).name == "Remote Support"
    assert "Help Desk (retired)" not in {r.name for r in await service.work_roles()}
    defaults = await service.member_time_defaults(9)
    assert defaults.work_type is not None and defaults.work_type.name == "Remote Support"
    assert defaults.work_role is not None and defaults.work_role.name == "Senior Engineer"
    sandbox.clear_requests()
    await service.work_types()
    await service.work_roles()
    await service.member_time_defaults(9)
    assert sandbox.requests == []


async def test_an_engineer_logging_with_their_own_keys_owns_the_entry(
    make_provider: Any, sandbox: Any, seed: SeedOracle
) -> None:
    pair = sandbox.mint_member_keys("jdoe")
    jordan = make_provider(public_key=pair.public_key, private_key=SecretStr(pair.private_key))
    entry = await jordan.add_time_entry(TimeEntryCreate(ticket_id=_open_ticket(seed)["id"], span=_span(25)))
    assert (entry.member_identifier, entry.entered_by) == ("jdoe", "jdoe")
    with pytest.raises(PSAValidationError) as caught:
        await jordan.add_time_entry(
            TimeEntryCreate(ticket_id=_open_ticket(seed)["id"], span=_span(25), member_id=9)
        )
    assert caught.value.fields == {"member": "You do not have permission to enter time for other members."}

"""Callbacks and polling through the provider and service, against the sandbox over real HTTP."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from cw_receiver import Delivery, Receiver
from pydantic import SecretStr

from psa.changes import ChangeKeyUnavailableError, ForgedChangeError, PollCursor
from psa.connectwise import ConnectWiseProvider
from psa.connectwise.sandbox import SandboxServer
from psa.service import TicketService


class NoMappings:
    async def member_id_for(self, user_ref: str) -> int | None:
        return None

    async def mapped_member_ids(self) -> dict[int, str]:
        return {}


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with Receiver() as r:
        yield r


@pytest.fixture
async def cw(sandbox: SandboxServer) -> AsyncIterator[httpx.AsyncClient]:
    auth = httpx.BasicAuth(f"{sandbox.company_id}+{sandbox.public_key}", sandbox.private_key)
    headers = {"clientId": "tests"}
    async with httpx.AsyncClient(base_url=sandbox.base_url, auth=auth, headers=headers, timeout=10) as client:
        yield client


@pytest.fixture
async def control(sandbox: SandboxServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sandbox.root_url + "/__sandbox", timeout=10) as client:
        yield client


def _open_tickets(sandbox: SandboxServer) -> list[dict[str, Any]]:
    return [
        t
        for t in sandbox.state.store.table("tickets").values()
        if not t["closedFlag"] and t["board"]["id"] == 1
    ]


async def _subscribed(provider: ConnectWiseProvider, receiver: Receiver) -> None:
    await provider.subscribe_to_changes(receiver.url("/cw/callbacks/T1"), description="Slack app (T1)")


async def test_subscribing_registers_ticket_and_schedule_callbacks_once(
    provider: ConnectWiseProvider, sandbox: SandboxServer, receiver: Receiver
) -> None:
    first = await provider.subscribe_to_changes(
        receiver.url("/cw/callbacks/T1"), description="Slack app (T1)"
    )
    assert [(s.record_type, s.level, s.object_id) for s in first.created] == [
        ("Ticket", "Owner", 1),
        ("Schedule", "Owner", 1),
    ]
    assert {s.url for s in first.created} == {receiver.url("/cw/callbacks/T1?recordId=")}
    sandbox.clear_requests()
    again = await provider.subscribe_to_changes(
        receiver.url("/cw/callbacks/T1"), description="Slack app (T1)"
    )
    assert (len(again.kept), again.created, again.removed) == (2, [], [])
    assert [r.method for r in sandbox.requests] == ["GET"]


async def test_subscribing_repairs_disabled_and_duplicate_callbacks(
    provider: ConnectWiseProvider, cw: httpx.AsyncClient, receiver: Receiver
) -> None:
    url = receiver.url("/cw/callbacks/T1?recordId=")
    ticket = (
        await cw.post(
            "/system/callbacks",
            json={"url": url, "type": "ticket", "level": "owner", "objectId": 1, "inactiveFlag": True},
        )
    ).json()
    board = (
        await cw.post(
            "/system/callbacks", json={"url": url, "type": "Ticket", "level": "Board", "objectId": 1}
        )
    ).json()
    result = await provider.subscribe_to_changes(
        receiver.url("/cw/callbacks/T1"), description="Slack app (T1)"
    )
    assert [s.id for s in result.reactivated] == [ticket["id"]] and not result.reactivated[0].inactive
    assert [s.id for s in result.removed] == [board["id"]]
    assert [s.record_type for s in result.created] == ["Schedule"]
    removed = await provider.unsubscribe_from_changes(receiver.url("/cw/callbacks/T1"))
    assert len(removed) == 2 and await provider.list_change_subscriptions() == []


async def test_a_delivery_for_a_change_made_from_the_app_verifies_and_names_the_ticket(
    provider: ConnectWiseProvider, sandbox: SandboxServer, receiver: Receiver
) -> None:
    await _subscribed(provider, receiver)
    ticket = _open_tickets(sandbox)[0]
    await provider.update_status(ticket["id"], 105 if ticket["status"]["id"] != 105 else 102)
    (delivery,) = await receiver.wait_for(1)
    change = await provider.parse_change_notification(delivery.headers, delivery.body)
    assert (change.record_type, change.record_id, change.action, change.source) == (
        "ticket",
        ticket["id"],
        "updated",
        "callback",
    )
    assert change.changed_by == "apiuser" and change.delivery_id == delivery.payload["MessageId"]


async def test_the_signing_key_is_fetched_once_for_many_deliveries(
    provider: ConnectWiseProvider, sandbox: SandboxServer, receiver: Receiver, control: httpx.AsyncClient
) -> None:
    await _subscribed(provider, receiver)
    tickets = _open_tickets(sandbox)[:3]
    for t in tickets:
        await control.post(
            f"/changes/tickets/{t['id']}/notes", json={"text": "Customer called back", "member": "jsmith"}
        )
    deliveries = await receiver.wait_for(3)
    changes = [await provider.parse_change_notification(d.headers, d.body) for d in deliveries]
    assert [c.record_id for c in changes] == [t["id"] for t in tickets]
    assert {c.changed_by for c in changes} == {"jsmith"}
    assert sandbox.request_count("GET", "callbackkey") == 1


async def test_forged_deliveries_are_refused_and_no_foreign_url_is_fetched(
    provider: ConnectWiseProvider, sandbox: SandboxServer, receiver: Receiver, control: httpx.AsyncClient
) -> None:
    await _subscribed(provider, receiver)
    ticket = _open_tickets(sandbox)[0]
    await control.post(
        f"/changes/tickets/{ticket['id']}/status", json={"status": {"id": 104}, "member": "jsmith"}
    )
    (real,) = await receiver.wait_for(1)
    tampered = real.body.replace(b'"updated"', b'"deleted"')
    async with Receiver() as evil:
        elsewhere = dict(real.payload, Metadata={"key_url": evil.url("/key?id=1")})
        forgeries = {
            "signature": (real.headers, tampered),
            "unsigned": ({"Content-Type": "application/json"}, real.body),
            "key_url": (real.headers, json.dumps(elsewhere).encode()),
            "not_json": (real.headers, b"payload=1"),
        }
        for code, (headers, body) in forgeries.items():
            with pytest.raises(ForgedChangeError) as caught:
                await provider.parse_change_notification(headers, body)
            assert caught.value.code == code
        assert evil.hits == []


async def test_a_key_that_cannot_be_fetched_is_neither_trusted_nor_called_forged(
    provider: ConnectWiseProvider, sandbox: SandboxServer, receiver: Receiver, control: httpx.AsyncClient
) -> None:
    await _subscribed(provider, receiver)
    await control.post(
        f"/changes/tickets/{_open_tickets(sandbox)[0]['id']}/notes", json={"text": "x", "member": "jsmith"}
    )
    (delivery,) = await receiver.wait_for(1)
    sandbox.inject_fault(method="GET", path_pattern="callbackkey", status=503)
    with pytest.raises(ChangeKeyUnavailableError):
        await provider.parse_change_notification(delivery.headers, delivery.body)
    assert (await provider.parse_change_notification(delivery.headers, delivery.body)).action == "updated"


async def test_a_duplicated_delivery_has_the_same_dedupe_key(
    provider: ConnectWiseProvider, sandbox: SandboxServer, receiver: Receiver, control: httpx.AsyncClient
) -> None:
    await _subscribed(provider, receiver)
    await control.post("/callbacks/behaviour", json={"mode": "duplicate"})
    await control.post(
        f"/changes/tickets/{_open_tickets(sandbox)[0]['id']}/notes", json={"text": "x", "member": "jsmith"}
    )
    first, second = [
        await provider.parse_change_notification(d.headers, d.body) for d in await receiver.wait_for(2)
    ]
    assert first.dedupe_key == second.dedupe_key


async def test_an_assignment_delivery_leads_to_the_member_and_ticket(
    provider: ConnectWiseProvider, sandbox: SandboxServer, receiver: Receiver, control: httpx.AsyncClient
) -> None:
    await _subscribed(provider, receiver)
    ticket = _open_tickets(sandbox)[0]
    await control.post(f"/changes/tickets/{ticket['id']}/assign", json={"member": "jdoe", "by": "mchen"})
    deliveries: list[Delivery] = await receiver.wait_for(2)
    changes = [await provider.parse_change_notification(d.headers, d.body) for d in deliveries]
    schedule = next(c for c in changes if c.record_type == "schedule_entry")
    assert (schedule.action, schedule.changed_by) == ("added", "mchen")
    assignment = await provider.get_assignment(schedule.record_id)
    assert assignment is not None
    assert (assignment.ticket_id, assignment.member_identifier, assignment.done) == (
        ticket["id"],
        "jdoe",
        False,
    )
    assert await provider.get_assignment(999999) is None


async def test_the_poller_reports_each_change_once_with_who_made_it(
    provider: ConnectWiseProvider, sandbox: SandboxServer, control: httpx.AsyncClient
) -> None:
    service = TicketService(provider, NoMappings())
    start = await service.poll_ticket_changes(PollCursor())
    assert start.changes == [] and start.cursor.since is not None
    a, b = _open_tickets(sandbox)[:2]
    await control.post(f"/changes/tickets/{a['id']}/status", json={"status": {"id": 104}, "member": "jsmith"})
    await provider.add_note(b["id"], "Rebooted the switch", internal=False)
    polled = await service.poll_ticket_changes(start.cursor)
    assert [(c.record_id, c.changed_by, c.source) for c in polled.changes] == [
        (a["id"], "jsmith", "poll"),
        (b["id"], "apiuser", "poll"),
    ]
    assert [t.id for t in polled.tickets] == [a["id"], b["id"]] and polled.complete
    assert polled.tickets[0].status is not None and polled.tickets[0].status.id == 104
    sandbox.clear_requests()
    again = await service.poll_ticket_changes(polled.cursor)
    assert again.changes == [] and len(sandbox.requests) == 1
    (request,) = sandbox.requests
    assert request.query["conditions"].startswith("lastUpdated >= [") and request.query[
        "conditions"
    ].endswith("Z]")
    assert request.query["orderBy"] == "_info/lastUpdated asc,id asc"


async def test_a_change_the_callback_could_not_deliver_is_found_by_the_poller(
    provider: ConnectWiseProvider, sandbox: SandboxServer, receiver: Receiver, control: httpx.AsyncClient
) -> None:
    service = TicketService(provider, NoMappings())
    await _subscribed(provider, receiver)
    cursor = (await service.poll_ticket_changes(PollCursor())).cursor
    await control.post("/callbacks/behaviour", json={"mode": "drop"})
    ticket = _open_tickets(sandbox)[0]
    await control.post(
        f"/changes/tickets/{ticket['id']}/assign", json={"member": "jdoe", "owner": True, "by": "mchen"}
    )
    polled = await service.poll_ticket_changes(cursor)
    assert [c.record_id for c in polled.changes] == [ticket["id"]]
    assert polled.tickets[0].owner is not None and polled.tickets[0].owner.identifier == "jdoe"
    assert receiver.deliveries == []


async def test_polling_pages_through_a_burst_of_changes_without_losing_one(
    provider: ConnectWiseProvider,
    sandbox: SandboxServer,
    control: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import psa.changes

    monkeypatch.setattr(psa.changes, "POLL_PAGE", 2)
    service = TicketService(provider, NoMappings())
    cursor = (await service.poll_ticket_changes(PollCursor())).cursor
    burst = _open_tickets(sandbox)[:5]
    for t in burst:
        await control.post(f"/changes/tickets/{t['id']}/notes", json={"text": "bulk", "member": "jsmith"})
    first = await service.poll_ticket_changes(cursor, max_pages=2)
    assert not first.complete  # two pages of two, the cursor's own ticket among them
    rest = await service.poll_ticket_changes(first.cursor, max_pages=2)
    assert rest.complete
    seen = [c.record_id for c in first.changes + rest.changes]
    assert sorted(seen) == sorted(t["id"] for t in burst) and len(seen) == len(set(seen))


async def test_a_change_made_with_an_engineers_own_keys_is_delivered_as_theirs(
    provider: ConnectWiseProvider, make_provider: Any, sandbox: SandboxServer, receiver: Receiver
) -> None:
    await _subscribed(provider, receiver)
    pair = sandbox.mint_member_keys("jdoe")
    jordan = make_provider(public_key=pair.public_key, private_key=SecretStr(pair.private_key))
    ticket = _open_tickets(sandbox)[0]
    await jordan.add_note(ticket["id"], "On my way to the site", internal=False)
    (delivery,) = await receiver.wait_for(1)
    change = await provider.parse_change_notification(delivery.headers, delivery.body)
    assert (change.record_id, change.changed_by) == (ticket["id"], "jdoe")
    row = await provider.get_ticket(ticket["id"])
    assert row.updated_by == "jdoe"

"""`/system/callbacks` and the signed deliveries the sandbox sends for changes, like ConnectWise does."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from cw_receiver import Delivery, Receiver

from psa.connectwise.sandbox import SandboxServer

OWNER = {"type": "Ticket", "level": "Owner", "objectId": 1, "description": "Slack app"}


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with Receiver() as r:
        yield r


@pytest.fixture
async def control(sandbox: SandboxServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sandbox.root_url + "/__sandbox", timeout=10) as client:
        yield client


async def _register(cw: httpx.AsyncClient, url: str, **fields: Any) -> dict[str, Any]:
    r = await cw.post("/system/callbacks", json={**OWNER, "url": url, **fields})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def _open_ticket(sandbox: SandboxServer, board_id: int = 1) -> dict[str, Any]:
    tickets = sandbox.state.store.table("tickets").values()
    return next(t for t in tickets if not t["closedFlag"] and t["board"]["id"] == board_id)


def _signature(body: bytes, key: str) -> str:
    # Developer Guide (C#): base64(HMACSHA256(key: SHA256(UTF8(sharedSecretKey))) of the JSON payload).
    return base64.b64encode(
        hmac.new(hashlib.sha256(key.encode()).digest(), body, hashlib.sha256).digest()
    ).decode()


async def _key(delivery: Delivery) -> str:
    async with httpx.AsyncClient() as client:
        r = await client.get(delivery.payload["Metadata"]["key_url"])
    assert r.status_code == 200
    return r.json()["signing_key"]  # type: ignore[no-any-return]


async def test_registration_answers_connectwises_record(cw: httpx.AsyncClient, receiver: Receiver) -> None:
    entry = await _register(cw, receiver.url())
    assert {k: entry[k] for k in ("type", "level", "objectId", "url", "inactiveFlag", "payloadVersion")} == {
        "type": "Ticket",
        "level": "Owner",
        "objectId": 1,
        "url": receiver.url(),
        "inactiveFlag": False,
        "payloadVersion": "3.0.0",
    }
    assert entry["memberId"] == 23 and entry["connectWiseID"] and entry["isSelfSuppressedFlag"] is False
    assert (await cw.get("/system/callbacks")).json() == [entry]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"url": "not a url"}, "url", "Invalid URL"),
        (
            {"level": "Galaxy"},
            "level",
            "Unrecognized level for type, see documentation for supported levels for each type",
        ),
        (
            {"type": "Ticket", "level": "Member"},
            "level",
            "Unrecognized level for type, see documentation for supported levels for each type",
        ),
        ({"objectId": None}, "objectId", "objectId is required"),
    ],
)
async def test_bad_registrations_are_refused_like_connectwise(
    cw: httpx.AsyncClient, receiver: Receiver, fields: dict[str, Any], field: str, message: str
) -> None:
    body = {k: v for k, v in {**OWNER, "url": receiver.url(), **fields}.items() if v is not None}
    r = await cw.post("/system/callbacks", json=body)
    assert r.status_code == 400
    assert r.json()["message"] == "callbackEntry object is invalid"
    assert (field, message) in {(e["field"], e["message"]) for e in r.json()["errors"]}


async def test_the_same_callback_twice_is_object_exists(cw: httpx.AsyncClient, receiver: Receiver) -> None:
    await _register(cw, receiver.url())
    r = await cw.post(
        "/system/callbacks", json={**OWNER, "type": "ticket", "level": "owner", "url": receiver.url()}
    )
    assert r.status_code == 400
    assert [(e["code"], e["message"]) for e in r.json()["errors"]] == [
        ("ObjectExists", "A matching callback entry already exists")
    ]


async def test_a_status_change_through_the_api_is_delivered_signed(
    cw: httpx.AsyncClient, sandbox: SandboxServer, receiver: Receiver
) -> None:
    entry = await _register(cw, receiver.url())
    ticket = _open_ticket(sandbox)
    r = await cw.patch(
        f"/service/tickets/{ticket['id']}", json=[{"op": "replace", "path": "status", "value": {"id": 104}}]
    )
    assert r.status_code == 200
    (delivery,) = await receiver.wait_for(1)
    assert delivery.path_qs == f"/cw/callbacks?workspace=T1&recordId={ticket['id']}"
    assert delivery.headers["Content-Type"] == "application/json"
    payload = delivery.payload
    assert (payload["Type"], payload["ID"], payload["Action"]) == ("ticket", ticket["id"], "updated")
    assert (payload["MemberId"], payload["CompanyId"], payload["CallbackObjectRecId"]) == (
        "apiuser",
        "sandbox",
        entry["id"],
    )
    assert json.loads(payload["Entity"])["status"]["id"] == 104  # the record as a JSON string
    assert delivery.headers["x-content-signature"] == _signature(delivery.body, await _key(delivery))


async def test_a_patch_that_changes_nothing_is_not_delivered(
    cw: httpx.AsyncClient, sandbox: SandboxServer, receiver: Receiver
) -> None:
    await _register(cw, receiver.url())
    ticket = _open_ticket(sandbox)
    same = [{"op": "replace", "path": "status", "value": {"id": ticket["status"]["id"]}}]
    assert (await cw.patch(f"/service/tickets/{ticket['id']}", json=same)).status_code == 200
    await cw.post(f"/service/tickets/{ticket['id']}/notes", json={"text": "marker"})
    (delivery,) = await receiver.wait_for(1)  # deliveries go out in change order: the note's comes first
    assert delivery.payload["ID"] == ticket["id"]
    assert len(await _log(sandbox)) == 1


async def test_a_customer_note_made_in_connectwise_moves_last_updated_and_is_delivered(
    cw: httpx.AsyncClient, sandbox: SandboxServer, receiver: Receiver, control: httpx.AsyncClient
) -> None:
    await _register(cw, receiver.url())
    ticket = _open_ticket(sandbox)
    contact = next(
        c
        for c in sandbox.state.store.table("contacts").values()
        if c["company"]["id"] == ticket["company"]["id"]
    )
    before = ticket["_info"]["lastUpdated"]
    r = await control.post(
        f"/changes/tickets/{ticket['id']}/notes",
        json={"text": "Still broken!", "contact": {"id": contact["id"]}},
    )
    assert r.status_code == 200, r.text
    (delivery,) = await receiver.wait_for(1)
    assert (delivery.payload["MemberId"], delivery.payload["Action"]) == ("EmailConnector", "updated")
    now = (await cw.get(f"/service/tickets/{ticket['id']}")).json()
    assert now["_info"]["lastUpdated"] > before and now["customerUpdatedFlag"] is True
    changed = (
        await cw.get(
            "/service/tickets", params={"conditions": f"lastUpdated >= [{now['_info']['lastUpdated']}]"}
        )
    ).json()
    assert ticket["id"] in {t["id"] for t in changed}
    notes = (
        await cw.get(f"/service/tickets/{ticket['id']}/notes", params={"orderBy": "id desc", "pageSize": 1})
    ).json()
    assert notes[0]["text"] == "Still broken!" and notes[0]["contact"]["id"] == contact["id"]


async def test_an_assignment_made_in_connectwise_is_a_schedule_and_a_ticket_delivery(
    cw: httpx.AsyncClient, sandbox: SandboxServer, receiver: Receiver, control: httpx.AsyncClient
) -> None:
    await _register(cw, receiver.url())
    await _register(cw, receiver.url(), type="Schedule")
    ticket = _open_ticket(sandbox)
    r = await control.post(f"/changes/tickets/{ticket['id']}/assign", json={"member": "jdoe", "by": "mchen"})
    assert r.status_code == 200 and "jdoe" in r.json()["resources"]
    deliveries = await receiver.wait_for(2)
    kinds = {(d.payload["Type"], d.payload["Action"], d.payload["MemberId"]) for d in deliveries}
    assert kinds == {("schedule", "added", "mchen"), ("ticket", "updated", "mchen")}
    entry = next(json.loads(d.payload["Entity"]) for d in deliveries if d.payload["Type"] == "schedule")
    assert (entry["objectId"], entry["member"]["identifier"], entry["type"]["identifier"]) == (
        ticket["id"],
        "jdoe",
        "S",
    )


async def test_levels_narrow_what_is_delivered(
    cw: httpx.AsyncClient, sandbox: SandboxServer, receiver: Receiver, control: httpx.AsyncClient
) -> None:
    on_board_3 = _open_ticket(sandbox, board_id=3)
    await _register(cw, receiver.url("/board3?recordId="), level="Board", objectId=3)
    await control.post(
        f"/changes/tickets/{_open_ticket(sandbox)['id']}/status",
        json={"status": {"id": 104}, "member": "jsmith"},
    )
    await control.post(
        f"/changes/tickets/{on_board_3['id']}/notes", json={"text": "marker", "member": "jsmith"}
    )
    (delivery,) = await receiver.wait_for(1)  # in change order: board 1's change sent nothing before it
    assert delivery.payload["ID"] == on_board_3["id"]


async def test_self_suppressed_callbacks_skip_their_own_members_changes(
    cw: httpx.AsyncClient, sandbox: SandboxServer, receiver: Receiver, control: httpx.AsyncClient
) -> None:
    await _register(cw, receiver.url(), isSelfSuppressedFlag=True)
    ticket = _open_ticket(sandbox)
    await cw.post(f"/service/tickets/{ticket['id']}/notes", json={"text": "by the API member"})
    await control.post(f"/changes/tickets/{ticket['id']}/notes", json={"text": "by Jon", "member": "jsmith"})
    (delivery,) = await receiver.wait_for(1)
    assert delivery.payload["MemberId"] == "jsmith"


async def test_deliveries_answered_429_are_retried_and_500_is_not(
    cw: httpx.AsyncClient, sandbox: SandboxServer, receiver: Receiver, control: httpx.AsyncClient
) -> None:
    await control.post("/callbacks/behaviour", json={"retry_delays_ms": [0, 0]})
    await _register(cw, receiver.url())
    ticket = _open_ticket(sandbox)
    receiver.script = [429, 200, 500]
    for text in ("first", "second"):
        await control.post(f"/changes/tickets/{ticket['id']}/notes", json={"text": text, "member": "jsmith"})
    await receiver.wait_for(3)
    attempts = await _log(sandbox, at_least=3)
    assert [(d["attempt"], d["status"]) for d in attempts] == [(0, 429), (1, 200), (0, 500)]


async def _log(sandbox: SandboxServer, *, at_least: int = 0) -> list[dict[str, Any]]:
    """The sandbox's delivery log once it has `at_least` attempts (it logs after the receiver answered)."""
    async with httpx.AsyncClient(base_url=sandbox.root_url) as client:

        async def read() -> list[dict[str, Any]]:
            return list((await client.get("/__sandbox/callbacks/deliveries")).json())

        deadline = time.monotonic() + 10  # only catches a hang
        entries = await read()
        while len(entries) < at_least:
            assert time.monotonic() < deadline, f"still {len(entries)} attempts logged, want {at_least}"
            await asyncio.sleep(0.005)
            entries = await read()
        return entries


async def test_the_drop_switch_sends_nothing_and_duplicate_sends_twice(
    cw: httpx.AsyncClient, sandbox: SandboxServer, receiver: Receiver, control: httpx.AsyncClient
) -> None:
    await _register(cw, receiver.url())
    ticket = _open_ticket(sandbox)
    await control.post("/callbacks/behaviour", json={"mode": "drop"})
    await control.post(f"/changes/tickets/{ticket['id']}/notes", json={"text": "lost", "member": "jsmith"})
    (dropped,) = await _log(sandbox, at_least=1)
    assert dropped["error"] == "dropped by the sandbox's switch" and receiver.deliveries == []
    await control.post("/callbacks/behaviour", json={"mode": "duplicate"})
    await control.post(f"/changes/tickets/{ticket['id']}/notes", json={"text": "twice", "member": "jsmith"})
    first, second = await receiver.wait_for(2)
    assert first.body == second.body and first.payload["MessageId"] == second.payload["MessageId"]


async def test_inactive_and_deleted_callbacks_get_nothing(
    cw: httpx.AsyncClient, sandbox: SandboxServer, receiver: Receiver, control: httpx.AsyncClient
) -> None:
    off = await _register(cw, receiver.url("/off?recordId="))
    gone = await _register(cw, receiver.url("/gone?recordId="))
    on = await _register(cw, receiver.url("/on?recordId="))
    r = await cw.patch(
        f"/system/callbacks/{off['id']}", json=[{"op": "replace", "path": "inactiveFlag", "value": True}]
    )
    assert r.status_code == 200 and r.json()["inactiveFlag"] is True
    assert (await cw.delete(f"/system/callbacks/{gone['id']}")).status_code == 204
    await control.post(
        f"/changes/tickets/{_open_ticket(sandbox)['id']}/status",
        json={"status": {"id": 104}, "member": "jsmith"},
    )
    (delivery,) = await receiver.wait_for(1)
    assert delivery.path_qs.startswith("/on?") and delivery.payload["CallbackObjectRecId"] == on["id"]
    assert {d["callback_id"] for d in await _log(sandbox, at_least=1)} == {on["id"]}


async def test_key_urls_serve_the_key_without_credentials_and_rotate(
    cw: httpx.AsyncClient, sandbox: SandboxServer, receiver: Receiver, control: httpx.AsyncClient
) -> None:
    await _register(cw, receiver.url())
    ticket = _open_ticket(sandbox)
    for text in ("one", "two"):
        await control.post(f"/changes/tickets/{ticket['id']}/notes", json={"text": text, "member": "jsmith"})
        if text == "one":
            await receiver.wait_for(1)
            await control.post("/callbacks/rotate-keys")
    one, two = await receiver.wait_for(2)
    url_one, url_two = (d.payload["Metadata"]["key_url"] for d in (one, two))
    assert (
        url_one != url_two
        and "/v4_6_release//system/callbackkey/index.rails?companyName=sandbox&id=" in url_two
    )
    assert two.headers["x-content-signature"] == _signature(two.body, await _key(two))
    async with httpx.AsyncClient() as client:
        assert (await client.get(url_one)).status_code == 404

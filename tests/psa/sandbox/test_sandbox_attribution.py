"""Attribution as ConnectWise records it: every key pair belongs to a member, writes name that member."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from psa.connectwise.sandbox import KeyPair, SandboxServer

HeaderFactory = Callable[..., dict[str, str]]

NEW = {"summary": "Outlook not syncing", "company": {"identifier": "CascadeCU"}}
OPEN_TICKET_ON_HELP_DESK = 1642  # board 1, open in the seed


@pytest.fixture
def jdoe_keys(sandbox: SandboxServer) -> KeyPair:
    """Jordan Doe's own API keys, as if created under My Account → API Keys."""
    return sandbox.mint_member_keys("jdoe")


@pytest.fixture
async def as_jdoe(
    sandbox: SandboxServer, jdoe_keys: KeyPair, make_headers: HeaderFactory
) -> AsyncIterator[httpx.AsyncClient]:
    """A client authenticated with Jordan's own keys."""
    headers = make_headers(public=jdoe_keys.public_key, private=jdoe_keys.private_key)
    async with httpx.AsyncClient(base_url=sandbox.base_url, headers=headers, timeout=10) as client:
        yield client


async def _json(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def test_my_members_names_the_owner_of_the_keys(
    cw: httpx.AsyncClient, as_jdoe: httpx.AsyncClient
) -> None:
    api = await _json(await cw.get("/system/myMembers"))
    jdoe = await _json(await as_jdoe.get("/system/myMembers"))
    assert (api["identifier"], api["licenseClass"]) == ("apiuser", "A")
    assert (jdoe["id"], jdoe["identifier"]) == (17, "jdoe")


async def test_a_note_with_the_workspace_key_is_the_api_members(cw: httpx.AsyncClient) -> None:
    note = await _json(
        await cw.post(f"/service/tickets/{OPEN_TICKET_ON_HELP_DESK}/notes", json={"text": "Rebooted"}), 201
    )
    assert note["member"]["identifier"] == "apiuser"
    assert note["createdBy"] == note["_info"]["updatedBy"] == "apiuser"


async def test_a_note_naming_the_engineer_is_theirs_but_created_by_the_api_member(
    cw: httpx.AsyncClient,
) -> None:
    body = {"text": "Rebooted", "member": {"id": 17}, "createdBy": "jdoe", "_info": {"updatedBy": "jdoe"}}
    note = await _json(await cw.post(f"/service/tickets/{OPEN_TICKET_ON_HELP_DESK}/notes", json=body), 201)
    assert note["member"] == {"id": 17, "identifier": "jdoe", "name": "Jordan Doe"}
    # createdBy and _info are the server's: a client cannot claim them.
    assert note["createdBy"] == note["_info"]["updatedBy"] == "apiuser"


async def test_a_note_with_the_engineers_own_keys_is_theirs_everywhere(as_jdoe: httpx.AsyncClient) -> None:
    note = await _json(
        await as_jdoe.post(f"/service/tickets/{OPEN_TICKET_ON_HELP_DESK}/notes", json={"text": "On it"}), 201
    )
    assert note["member"]["identifier"] == note["createdBy"] == note["_info"]["updatedBy"] == "jdoe"


@pytest.mark.parametrize(
    "member", [{"id": 99999}, {"identifier": "nobody"}, "jdoe"], ids=["id", "ident", "str"]
)
async def test_naming_an_unknown_member_on_a_note_is_a_field_error(
    cw: httpx.AsyncClient, member: Any
) -> None:
    r = await cw.post(
        f"/service/tickets/{OPEN_TICKET_ON_HELP_DESK}/notes", json={"text": "x", "member": member}
    )
    assert r.status_code == 400
    assert [e["field"] for e in r.json()["errors"]] == ["member"]


async def test_a_ticket_created_with_own_keys_is_entered_by_the_engineer_with_their_description(
    as_jdoe: httpx.AsyncClient,
) -> None:
    ticket = await _json(
        await as_jdoe.post("/service/tickets", json={**NEW, "initialDescription": "Since 9am"}), 201
    )
    assert ticket["_info"]["enteredBy"] == ticket["_info"]["updatedBy"] == "jdoe"
    notes = await _json(await as_jdoe.get(f"/service/tickets/{ticket['id']}/notes"))
    assert [(n["member"]["identifier"], n["createdBy"]) for n in notes] == [("jdoe", "jdoe")]


async def test_a_ticket_created_with_the_workspace_key_is_entered_by_the_api_member(
    cw: httpx.AsyncClient,
) -> None:
    ticket = await _json(
        await cw.post("/service/tickets", json={**NEW, "initialDescription": "Since 9am"}), 201
    )
    assert ticket["_info"]["enteredBy"] == "apiuser"
    notes = await _json(await cw.get(f"/service/tickets/{ticket['id']}/notes"))
    assert [n["member"]["identifier"] for n in notes] == ["apiuser"]


async def test_a_status_change_records_who_updated_and_who_closed(
    cw: httpx.AsyncClient, as_jdoe: httpx.AsyncClient
) -> None:
    path = f"/service/tickets/{OPEN_TICKET_ON_HELP_DESK}"
    moved = await _json(
        await cw.patch(path, json=[{"op": "replace", "path": "status", "value": {"id": 103}}])
    )
    assert moved["_info"]["updatedBy"] == "apiuser"
    closed = await _json(
        await as_jdoe.patch(path, json=[{"op": "replace", "path": "status", "value": {"id": 106}}])
    )
    assert closed["_info"]["updatedBy"] == closed["closedBy"] == "jdoe"
    assert closed["_info"]["enteredBy"] == moved["_info"]["enteredBy"]  # entry facts never change


async def test_a_schedule_entry_names_the_assignee_and_records_who_made_it(
    as_jdoe: httpx.AsyncClient,
) -> None:
    body = {
        "objectId": OPEN_TICKET_ON_HELP_DESK,
        "type": {"identifier": "S"},
        "member": {"identifier": "slee"},
    }
    entry = await _json(await as_jdoe.post("/schedule/entries", json=body), 201)
    assert entry["member"]["identifier"] == "slee"
    assert entry["_info"]["updatedBy"] == "jdoe"


async def test_keys_stop_working_when_revoked_or_after_a_reset(
    sandbox: SandboxServer, jdoe_keys: KeyPair, make_headers: HeaderFactory
) -> None:
    headers = make_headers(public=jdoe_keys.public_key, private=jdoe_keys.private_key)
    async with httpx.AsyncClient(base_url=sandbox.base_url, headers=headers, timeout=10) as client:
        assert (await client.get("/system/info")).status_code == 200
        wrong = make_headers(public=jdoe_keys.public_key, private="not-it")
        assert (await client.get("/system/info", headers=wrong)).status_code == 401
        assert sandbox.revoke_member_keys(jdoe_keys.public_key)
        assert (await client.get("/system/info")).status_code == 401
        again = sandbox.mint_member_keys("jdoe")
        sandbox.reset()
        fresh = make_headers(public=again.public_key, private=again.private_key)
        assert (await client.get("/system/info", headers=fresh)).status_code == 401


async def test_keys_of_a_deactivated_member_are_refused(
    sandbox: SandboxServer, jdoe_keys: KeyPair, make_headers: HeaderFactory
) -> None:
    with sandbox.state.store.lock:
        sandbox.state.store.get("members", 17)["inactiveFlag"] = True  # type: ignore[index]
        sandbox.state.store.touch("members")
    headers = make_headers(public=jdoe_keys.public_key, private=jdoe_keys.private_key)
    async with httpx.AsyncClient(base_url=sandbox.base_url, headers=headers, timeout=10) as client:
        assert (await client.get("/system/myMembers")).status_code == 401


async def test_keys_can_be_minted_through_the_control_api(
    sandbox: SandboxServer, make_headers: HeaderFactory
) -> None:
    async with httpx.AsyncClient(base_url=sandbox.root_url, timeout=10) as control:
        minted = await _json(await control.post("/__sandbox/members/slee/keys"), 201)
        assert (await control.post("/__sandbox/members/nobody/keys")).status_code == 404
        headers = make_headers(public=minted["publicKey"], private=minted["privateKey"])
        me = await _json(await control.get(sandbox.base_url + "/system/myMembers", headers=headers))
        assert (me["id"], minted["memberId"]) == (7, 7)
        assert (await control.delete(f"/__sandbox/keys/{minted['publicKey']}")).status_code == 204


async def test_time_logged_with_own_keys_is_the_engineers_and_entered_by_them(
    as_jdoe: httpx.AsyncClient,
) -> None:
    body = {
        "chargeToType": "ServiceTicket",
        "chargeToId": OPEN_TICKET_ON_HELP_DESK,
        "timeStart": "2026-01-05T09:00:00Z",
        "timeEnd": "2026-01-05T09:30:00Z",
    }
    entry = await _json(await as_jdoe.post("/time/entries", json=body), 201)
    assert entry["member"]["identifier"] == entry["enteredBy"] == "jdoe"

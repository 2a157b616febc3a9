"""Ticket writes, the PATCH traps, derived resources, notes and attached configurations."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from psa.connectwise.sandbox import SandboxServer

NEW = {"summary": "Printer offline on 2nd floor", "company": {"identifier": "CascadeCU"}}


async def _create(cw: httpx.AsyncClient, **extra: Any) -> dict[str, Any]:
    r = await cw.post("/service/tickets", json={**NEW, **extra})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_create_fills_references_and_defaults(cw: httpx.AsyncClient) -> None:
    t = await _create(cw, owner={"identifier": "jdoe"}, priority={"id": 2}, contact={"id": 366})
    assert t["id"] == 1650  # max seed id + 1
    assert t["company"] == {"id": 52, "identifier": "CascadeCU", "name": "Cascade Community Credit Union"}
    assert t["board"] == {"id": 1, "name": "Help Desk"}
    assert t["status"] == {"id": 101, "name": "New"}  # the board's default status
    assert t["priority"]["sort"] == 2 and t["priority"]["name"].startswith("Priority 2")
    assert t["owner"] == {"id": 17, "identifier": "jdoe", "name": "Jordan Doe"}
    assert t["contact"] == {"id": 366, "name": "Omar Lindqvist"}
    assert t["closedFlag"] is False and t["resources"] == "jdoe"
    assert t["_info"]["enteredBy"] == "apiuser" and t["_info"]["dateEntered"].endswith("Z")
    assert (await cw.get(f"/service/tickets/{t['id']}")).json() == t


async def test_create_uses_default_priority_and_named_status(cw: httpx.AsyncClient) -> None:
    t = await _create(cw, board={"name": "Network Operations"}, status={"name": "Resolved"})
    assert t["priority"]["id"] == 3  # the seed's defaultFlag priority
    assert t["status"]["id"] == 114 and t["closedFlag"] is True and t["closedDate"]


async def test_initial_description_becomes_the_first_note_and_is_not_returned(cw: httpx.AsyncClient) -> None:
    t = await _create(cw, initialDescription="Everyone on floor 2 is affected.")
    assert "initialDescription" not in t
    notes = (await cw.get(f"/service/tickets/{t['id']}/notes")).json()
    assert [(n["text"], n["detailDescriptionFlag"]) for n in notes] == [
        ("Everyone on floor 2 is affected.", True)
    ]


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"company": {"id": 52}}, "summary", "MissingRequiredField"),
        ({"summary": "   ", "company": {"id": 52}}, "summary", "MissingRequiredField"),
        ({"summary": "x" * 101, "company": {"id": 52}}, "summary", "OutOfRange"),
        ({"summary": "ok"}, "company", "MissingRequiredField"),
        ({**NEW, "company": {"id": 99999}}, "company", "InvalidField"),
        ({**NEW, "board": {"id": 2}}, "board", "InvalidField"),
        ({**NEW, "status": {"id": 109}}, "status", "InvalidField"),  # status of another board
        ({**NEW, "priority": {"id": 9}}, "priority", "InvalidField"),
        ({**NEW, "owner": {"identifier": "gwhite"}}, "owner", "InvalidField"),  # inactive member
        ({**NEW, "owner": {"identifier": "nobody"}}, "owner", "InvalidField"),
        ({**NEW, "contact": {"id": 301}}, "contact", "InvalidField"),  # contact of another company
    ],
)
async def test_create_validation_errors_name_the_field(
    cw: httpx.AsyncClient, sandbox: SandboxServer, body: dict[str, Any], field: str, code: str
) -> None:
    r = await cw.post("/service/tickets", json=body)
    assert r.status_code == 400
    err = r.json()
    assert err["code"] == "InvalidObject"
    assert {"code": code, "field": field, "resource": "ticket"}.items() <= err["errors"][0].items()
    assert (await cw.get("/service/tickets/count")).json() == {"count": 650}


async def test_summary_of_exactly_100_characters_is_accepted(cw: httpx.AsyncClient) -> None:
    assert (await _create(cw, summary="y" * 100))["summary"] == "y" * 100


async def test_concurrent_creates_get_distinct_ids(cw: httpx.AsyncClient) -> None:
    created = await asyncio.gather(*(_create(cw, summary=f"burst {i}") for i in range(30)))
    ids = [t["id"] for t in created]
    assert len(set(ids)) == 30 and sorted(ids) == list(range(1650, 1680))


async def test_patch_whole_status_reference_closes_and_reopens(cw: httpx.AsyncClient) -> None:
    path = f"/service/tickets/{(await _create(cw))['id']}"
    r = await cw.patch(path, json=[{"op": "replace", "path": "status", "value": {"id": 107}}])
    assert r.status_code == 200
    t = r.json()
    assert t["status"] == {"id": 107, "name": "Closed"} and t["closedFlag"] is True
    assert t["closedBy"] == "apiuser" and t["closedDate"].endswith("Z")
    reopened = await cw.patch(path, json=[{"op": "replace", "path": "status", "value": {"id": 102}}])
    assert reopened.json()["closedFlag"] is False and "closedDate" not in reopened.json()


async def test_patch_status_sub_path_answers_200_and_changes_nothing(cw: httpx.AsyncClient) -> None:
    before = (await cw.get("/service/tickets/1001")).json()
    r = await cw.patch("/service/tickets/1001", json=[{"op": "replace", "path": "status/id", "value": 107}])
    assert r.status_code == 200
    assert r.json() == before == (await cw.get("/service/tickets/1001")).json()


async def test_patch_resources_answers_200_and_assigns_nobody(cw: httpx.AsyncClient) -> None:
    before = (await cw.get("/service/tickets/1001")).json()
    r = await cw.patch(
        "/service/tickets/1001", json=[{"op": "replace", "path": "resources", "value": "jdoe"}]
    )
    assert r.status_code == 200 and r.json() == before
    assert "jdoe" not in (await cw.get("/service/tickets/1001")).json().get("resources", "")


async def test_patch_status_of_another_board_is_rejected(cw: httpx.AsyncClient) -> None:
    r = await cw.patch(
        "/service/tickets/1001", json=[{"op": "replace", "path": "status", "value": {"id": 109}}]
    )
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "status"


async def test_patch_paths_are_case_sensitive(cw: httpx.AsyncClient) -> None:
    r = await cw.patch("/service/tickets/1001", json=[{"op": "replace", "path": "Summary", "value": "x"}])
    assert r.status_code == 400


async def test_patch_is_all_or_nothing(cw: httpx.AsyncClient) -> None:
    before = (await cw.get("/service/tickets/1001")).json()
    r = await cw.patch(
        "/service/tickets/1001",
        json=[
            {"op": "replace", "path": "summary", "value": "new summary"},
            {"op": "replace", "path": "priority", "value": {"id": 42}},
        ],
    )
    assert r.status_code == 400
    assert (await cw.get("/service/tickets/1001")).json() == before


async def test_owner_replace_and_remove_drive_derived_resources(cw: httpx.AsyncClient) -> None:
    t = await _create(cw)
    assert "resources" not in t and "owner" not in t
    path = f"/service/tickets/{t['id']}"
    r = await cw.patch(path, json=[{"op": "replace", "path": "owner", "value": {"identifier": "mchen"}}])
    assert r.json()["resources"] == "mchen"
    listed = await cw.get(
        "/service/tickets", params={"conditions": 'resources contains "mchen" and id = ' + str(t["id"])}
    )
    assert [x["id"] for x in listed.json()] == [t["id"]]
    r = await cw.patch(path, json=[{"op": "remove", "path": "owner"}])
    assert "owner" not in r.json() and "resources" not in r.json()


async def test_patch_board_moves_status_to_the_new_boards_default(cw: httpx.AsyncClient) -> None:
    r = await cw.patch("/service/tickets/1001", json=[{"op": "replace", "path": "board", "value": {"id": 3}}])
    assert r.json()["board"]["id"] == 3 and r.json()["status"] == {"id": 109, "name": "New"}


async def test_patch_missing_ticket_is_404(cw: httpx.AsyncClient) -> None:
    r = await cw.patch("/service/tickets/99999", json=[{"op": "replace", "path": "summary", "value": "x"}])
    assert r.status_code == 404 and r.json()["message"] == "Ticket 99999 not found"


async def test_notes_post_list_and_count(cw: httpx.AsyncClient) -> None:
    before = (await cw.get("/service/tickets/1000/notes/count")).json()["count"]
    r = await cw.post(
        "/service/tickets/1000/notes", json={"text": "Called the user", "internalAnalysisFlag": True}
    )
    assert r.status_code == 201
    note = r.json()
    assert note["member"]["identifier"] == "apiuser" and note["internalAnalysisFlag"] is True
    assert note["ticketId"] == 1000 and note["dateCreated"].endswith("Z")
    assert (await cw.get("/service/tickets/1000/notes/count")).json()["count"] == before + 1
    newest = await cw.get("/service/tickets/1000/notes", params={"orderBy": "id desc", "pageSize": 1})
    assert newest.json() == [note]


async def test_note_without_text_is_missing_required_field(cw: httpx.AsyncClient) -> None:
    r = await cw.post("/service/tickets/1000/notes", json={"detailDescriptionFlag": True})
    assert r.status_code == 400
    assert r.json()["errors"][0] | {"message": ""} == {
        "code": "MissingRequiredField",
        "field": "text",
        "resource": "serviceNote",
        "message": "",
    }


async def test_attach_and_detach_configuration(cw: httpx.AsyncClient) -> None:
    r = await cw.post("/service/tickets/1000/configurations", json={"id": 5001})
    assert r.status_code == 201 and set(r.json()) == {"id", "deviceIdentifier", "_info"}
    ids = [c["id"] for c in (await cw.get("/service/tickets/1000/configurations")).json()]
    assert 5001 in ids
    again = await cw.post("/service/tickets/1000/configurations", json={"id": 5001})
    assert again.status_code == 400
    neither = await cw.post("/service/tickets/1000/configurations", json={})
    assert neither.json()["errors"][0]["message"] == "id or deviceIdentifier is required"
    assert (await cw.delete("/service/tickets/1000/configurations/5001")).status_code == 204
    assert 5001 not in [c["id"] for c in (await cw.get("/service/tickets/1000/configurations")).json()]


async def test_reset_restores_seed_after_writes(cw: httpx.AsyncClient, sandbox: SandboxServer) -> None:
    await _create(cw)
    await cw.patch("/service/tickets/1001", json=[{"op": "replace", "path": "summary", "value": "changed"}])
    sandbox.reset()
    assert (await cw.get("/service/tickets/count")).json() == {"count": 650}
    assert (await cw.get("/service/tickets/1001")).json()["summary"] != "changed"
    assert (await _create(cw))["id"] == 1650

"""Service schedule entries are how tickets get resources; `resources` is derived from them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

SEED: dict[str, Any] = json.loads(
    (Path(__file__).parents[3] / "psa/connectwise/sandbox/seed.json").read_text(encoding="utf-8")
)
SERVICE_ID = next(t["id"] for t in SEED["schedule_types"] if t["identifier"] == "S")
OPPORTUNITY_ID = next(t["id"] for t in SEED["schedule_types"] if t["identifier"] == "O")


def test_the_service_type_id_is_not_the_usual_4() -> None:
    # Sites number schedule types differently; the seed makes sure nothing depends on one id.
    assert SERVICE_ID != 4 and OPPORTUNITY_ID == 4
    assert any(e["type"]["id"] == 4 for e in SEED["schedule_entries"])


def _derived(ticket: dict[str, Any], entries: list[dict[str, Any]]) -> str:
    idents = [ticket["owner"]["identifier"]] if ticket.get("owner") else []
    for e in sorted(entries, key=lambda e: e["id"]):
        ident = e["member"]["identifier"]
        if (
            e["objectId"] == ticket["id"]
            and e["type"]["identifier"] == "S"
            and not e["doneFlag"]
            and ident not in idents
        ):
            idents.append(ident)
    return ", ".join(idents)


async def test_every_seed_ticket_reports_the_derived_resources(cw: httpx.AsyncClient) -> None:
    rows = (await cw.get("/service/tickets", params={"pageSize": 1000})).json()
    assert len(rows) == 650
    for row, seed in zip(rows, sorted(SEED["tickets"], key=lambda t: t["id"]), strict=True):
        assert row.get("resources", "") == _derived(seed, SEED["schedule_entries"])


async def _open_entries(cw: httpx.AsyncClient, ticket_id: int) -> list[dict[str, Any]]:
    r = await cw.get(
        "/schedule/entries",
        params={"conditions": f'type/identifier="S" AND objectId={ticket_id} AND doneFlag=false'},
    )
    return r.json()  # type: ignore[no-any-return]


async def test_adding_and_removing_a_resource_through_schedule_entries(cw: httpx.AsyncClient) -> None:
    ticket = next(t for t in SEED["tickets"] if t.get("owner") and not t["closedFlag"])
    path = f"/service/tickets/{ticket['id']}"
    r = await cw.post(
        "/schedule/entries",
        json={"objectId": ticket["id"], "type": {"identifier": "S"}, "member": {"identifier": "jdoe"}},
    )
    assert r.status_code == 201
    entry = r.json()
    assert entry["member"] == {"id": 17, "identifier": "jdoe", "name": "Jordan Doe"}
    assert entry["type"] == {"id": SERVICE_ID, "identifier": "S"} and entry["doneFlag"] is False
    assert "dateStart" not in entry and "dateEnd" not in entry  # stored as sent: no dates
    resources = (await cw.get(path)).json()["resources"].split(", ")
    assert resources[0] == ticket["owner"]["identifier"] and "jdoe" in resources
    hit = await cw.get(
        "/service/tickets/count", params={"conditions": f'id={ticket["id"]} and resources contains "jdoe"'}
    )
    assert hit.json() == {"count": 1}
    assert entry["id"] in [e["id"] for e in await _open_entries(cw, ticket["id"])]

    assert (await cw.delete(f"/schedule/entries/{entry['id']}")).status_code == 204
    assert "jdoe" not in (await cw.get(path)).json()["resources"]
    assert (await cw.delete(f"/schedule/entries/{entry['id']}")).status_code == 404


async def test_marking_an_entry_done_removes_the_resource(cw: httpx.AsyncClient) -> None:
    body = {"objectId": 1000, "type": {"id": SERVICE_ID}, "member": {"id": 2}}
    entry = (await cw.post("/schedule/entries", json=body)).json()
    assert "mchen" in (await cw.get("/service/tickets/1000")).json()["resources"]
    r = await cw.patch(
        f"/schedule/entries/{entry['id']}", json=[{"op": "replace", "path": "doneFlag", "value": True}]
    )
    assert r.status_code == 200 and r.json()["doneFlag"] is True
    assert "mchen" not in (await cw.get("/service/tickets/1000")).json()["resources"]


async def test_resources_order_by_sorts_on_the_derived_string(cw: httpx.AsyncClient) -> None:
    rows = (await cw.get("/service/tickets", params={"orderBy": "resources asc", "pageSize": 1000})).json()
    with_res = [r["resources"].casefold() for r in rows if "resources" in r]
    assert with_res == sorted(with_res) and "resources" not in rows[-1]


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"objectId": 1000, "member": {"identifier": "jdoe"}}, "type", "MissingRequiredField"),
        ({"objectId": 1000, "type": {"id": 99}, "member": {"identifier": "jdoe"}}, "type", "InvalidField"),
        (
            {"objectId": 1000, "type": {"id": SERVICE_ID, "identifier": "O"}, "member": {"id": 17}},
            "type",
            "InvalidField",
        ),
        ({"type": {"id": SERVICE_ID}, "member": {"identifier": "jdoe"}}, "objectId", "MissingRequiredField"),
        (
            {"objectId": 99999, "type": {"id": SERVICE_ID}, "member": {"identifier": "jdoe"}},
            "objectId",
            "NotFound",
        ),
        ({"objectId": 1000, "type": {"id": 2}, "member": {"identifier": "jdoe"}}, "objectId", "NotFound"),
        ({"objectId": 1000, "type": {"id": SERVICE_ID}}, "member", "MissingRequiredField"),
        (
            {"objectId": 1000, "type": {"id": SERVICE_ID}, "member": {"identifier": "tbaker"}},
            "member",
            "InvalidField",
        ),
        (
            {"objectId": 1000, "type": {"id": SERVICE_ID}, "member": {"id": 17}, "resource": "x"},
            "resource",
            "InvalidField",
        ),
    ],
)
async def test_schedule_entry_validation(
    cw: httpx.AsyncClient, body: dict[str, Any], field: str, code: str
) -> None:
    r = await cw.post("/schedule/entries", json=body)
    assert r.status_code == 400
    assert r.json()["code"] == "InvalidObject" and r.json()["message"] == "schedule object is invalid"
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [(field, code)]


async def test_an_activity_type_entry_names_an_activity_not_the_ticket(cw: httpx.AsyncClient) -> None:
    body = {"objectId": 1000, "type": {"id": 2}, "member": {"id": 17}}
    r = await cw.post("/schedule/entries", json=body)
    assert r.json()["errors"][0]["message"] == "Activity 1000 not found"


async def test_a_dateless_entry_is_stored_and_listed_without_dates(cw: httpx.AsyncClient) -> None:
    body = {"objectId": 1000, "type": {"identifier": "S"}, "member": {"id": 2}}
    created = (await cw.post("/schedule/entries", json=body)).json()
    listed = (await cw.get(f"/schedule/entries/{created['id']}")).json()
    assert "dateStart" not in listed and "dateEnd" not in listed
    missing = await cw.get(
        "/schedule/entries/count", params={"conditions": f"id={created['id']} AND dateStart = null"}
    )
    assert missing.json() == {"count": 1}


async def test_entries_of_other_types_do_not_make_a_ticket_resource(cw: httpx.AsyncClient) -> None:
    tickets = {t["id"]: t for t in SEED["tickets"]}
    outsiders = [
        e
        for e in SEED["schedule_entries"]
        if e["type"]["identifier"] == "O"
        and e["member"]["identifier"] not in _derived(tickets[e["objectId"]], SEED["schedule_entries"])
    ]
    assert outsiders
    for entry in outsiders:
        ticket = (await cw.get(f"/service/tickets/{entry['objectId']}")).json()
        assert entry["member"]["identifier"] not in ticket.get("resources", "").split(", ")

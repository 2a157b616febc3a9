"""`/time/entries`, work types and roles over HTTP: defaults, validation, ticket hours, listing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from psa.connectwise.sandbox import SandboxServer

SEED = json.loads((Path(__file__).resolve().parents[3] / "psa/connectwise/sandbox/seed.json").read_text())
OPEN_TICKET = next(
    t for t in SEED["tickets"] if not t["closedFlag"] and t["status"]["id"] == 102 and t["board"]["id"] == 1
)
BLOCKING_STATUSES = {s["id"] for s in SEED["board_statuses"] if s.get("timeEntryNotAllowed")}
BLOCKED_TICKET = next(t for t in SEED["tickets"] if t["status"]["id"] in BLOCKING_STATUSES)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _body(minutes: int = 45, ending: timedelta = timedelta(minutes=5), **extra: Any) -> dict[str, Any]:
    end = datetime.now(UTC).replace(microsecond=0) - ending
    return {
        "chargeToType": "ServiceTicket",
        "chargeToId": OPEN_TICKET["id"],
        "timeStart": _iso(end - timedelta(minutes=minutes)),
        "timeEnd": _iso(end),
        **extra,
    }


async def _ticket(cw: httpx.AsyncClient, ticket_id: int = OPEN_TICKET["id"]) -> dict[str, Any]:
    return (await cw.get(f"/service/tickets/{ticket_id}")).json()  # type: ignore[no-any-return]


async def test_new_entry_takes_the_key_members_defaults_and_adds_to_the_ticket(cw: httpx.AsyncClient) -> None:
    before = await _ticket(cw)
    r = await cw.post("/time/entries", json=_body(45, notes="Replaced toner, tested"))
    assert r.status_code == 201, r.text
    entry = r.json()
    assert entry["member"]["identifier"] == SEED["api_member"]["identifier"] == entry["enteredBy"]
    assert entry["actualHours"] == 0.75 and entry["notes"] == "Replaced toner, tested"
    assert entry["workType"] == {"id": 1, "name": "Remote Support"}  # the member's work type
    assert entry["workRole"] == {"id": 1, "name": "Technician"}
    assert entry["billableOption"] == "Billable"  # the work type's billTime
    assert entry["ticket"] == {"id": OPEN_TICKET["id"], "summary": OPEN_TICKET["summary"]}
    after = await _ticket(cw)
    assert after["actualHours"] == round(before["actualHours"] + 0.75, 2)
    assert after["_info"]["lastUpdated"] >= before["_info"]["lastUpdated"]
    assert (await cw.get(f"/time/entries/{entry['id']}")).json() == entry


async def test_hours_alone_derive_the_end_and_the_work_type_sets_billing(cw: httpx.AsyncClient) -> None:
    body = _body(ending=timedelta(hours=3))
    del body["timeEnd"]
    r = await cw.post("/time/entries", json={**body, "actualHours": 1.5, "workType": {"name": "Travel"}})
    assert r.status_code == 201, r.text
    entry = r.json()
    start = datetime.fromisoformat(entry["timeStart"].replace("Z", "+00:00"))
    assert datetime.fromisoformat(entry["timeEnd"].replace("Z", "+00:00")) - start == timedelta(hours=1.5)
    assert (entry["workType"]["name"], entry["billableOption"], entry["hoursBilled"]) == (
        "Travel",
        "NoCharge",
        0,
    )


async def test_time_for_another_member_keeps_that_member_and_their_role(cw: httpx.AsyncClient) -> None:
    r = await cw.post("/time/entries", json=_body(member={"identifier": "ppatel"}))
    assert r.status_code == 201, r.text
    entry = r.json()
    assert (
        entry["member"]["identifier"] == "ppatel" and entry["enteredBy"] == SEED["api_member"]["identifier"]
    )
    assert entry["workRole"]["name"] == "Senior Engineer"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"timeEnd": _iso(datetime.now(UTC) + timedelta(hours=2))}, "timeEnd"),  # in the future
        ({"timeStart": _iso(datetime.now(UTC) - timedelta(minutes=1))}, "timeEnd"),  # ends before it starts
        ({"timeStart": _iso(datetime.now(UTC) - timedelta(hours=30))}, "timeEnd"),  # longer than a day
        ({"timeStart": None}, "timeStart"),
        ({"workType": {"id": 999}}, "workType"),
        ({"workType": {"id": 7}}, "workType"),  # inactive
        ({"workRole": {"id": 6}}, "workRole"),  # inactive
        ({"billableOption": "Sometimes"}, "billableOption"),
        ({"member": {"identifier": "gwhite"}}, "member"),  # inactive member
        ({"chargeToId": 999999}, "chargeToId"),
        ({"chargeToType": "Lunch"}, "chargeToType"),
    ],
)
async def test_invalid_time_is_refused_naming_the_field(
    cw: httpx.AsyncClient, change: dict[str, Any], field: str
) -> None:
    body = {k: v for k, v in {**_body(30, ending=timedelta(hours=1)), **change}.items() if v is not None}
    before = await _ticket(cw)
    r = await cw.post("/time/entries", json=body)
    assert r.status_code == 400, r.text
    error = r.json()
    assert (error["code"], error["message"]) == ("InvalidObject", "timeEntry object is invalid")
    assert field in {e["field"] for e in error["errors"]}
    assert all(e["resource"] == "timeEntry" for e in error["errors"])
    assert (await _ticket(cw))["actualHours"] == before["actualHours"]


async def test_a_status_that_forbids_time_refuses_it_with_connectwises_message(cw: httpx.AsyncClient) -> None:
    r = await cw.post("/time/entries", json=_body(chargeToId=BLOCKED_TICKET["id"]))
    assert r.status_code == 400
    assert [e["message"] for e in r.json()["errors"]] == [
        "Please update the status of this ticket before entering time, "
        "the current status does not allow time entry."
    ]


async def test_ticket_entries_are_listed_by_charge_with_paging_and_count(cw: httpx.AsyncClient) -> None:
    made = [
        (await cw.post("/time/entries", json=_body(15 * (i + 1), ending=timedelta(hours=i + 1)))).json()
        for i in range(3)
    ]
    cond = f'chargeToId={OPEN_TICKET["id"]} AND chargeToType="ServiceTicket"'
    total = (await cw.get("/time/entries/count", params={"conditions": cond})).json()["count"]
    assert total > len(made)  # the seed's generated entries are part of the ticket's history too
    page = await cw.get(
        "/time/entries", params={"conditions": cond, "orderBy": "timeStart desc", "pageSize": 2}
    )
    rows = page.json()
    assert len(rows) == 2 and 'rel="next"' in page.headers["Link"]
    assert [r["id"] for r in rows] == [made[0]["id"], made[1]["id"]]  # latest work first
    every = (await cw.get("/time/entries", params={"conditions": cond, "pageSize": 1000})).json()
    assert round(sum(e["actualHours"] for e in every), 2) == (await _ticket(cw))["actualHours"]


async def test_deleting_an_entry_takes_its_hours_off_the_ticket(cw: httpx.AsyncClient) -> None:
    before = await _ticket(cw)
    entry = (await cw.post("/time/entries", json=_body(60))).json()
    r = await cw.delete(f"/time/entries/{entry['id']}")
    assert r.status_code == 204 and r.content == b""
    assert (await _ticket(cw))["actualHours"] == before["actualHours"]
    assert (await cw.get(f"/time/entries/{entry['id']}")).status_code == 404
    assert (await cw.delete(f"/time/entries/{entry['id']}")).status_code == 404


async def test_work_types_and_roles_are_listed_with_conditions(cw: httpx.AsyncClient) -> None:
    active = {"conditions": "inactiveFlag=false", "orderBy": "name asc"}
    types = (await cw.get("/time/workTypes", params=active)).json()
    assert [t["name"] for t in types] == sorted(
        t["name"] for t in SEED["work_types"] if not t["inactiveFlag"]
    )
    roles = (await cw.get("/time/workRoles", params=active)).json()
    assert "Help Desk (retired)" not in {r["name"] for r in roles} and len(roles) == 5
    assert (await cw.get("/time/workTypes/1")).json()["overallDefaultFlag"] is True
    member = (await cw.get("/system/members/ppatel")).json()
    assert (member["workType"]["name"], member["workRole"]["name"]) == ("Remote Support", "Senior Engineer")


async def _as_member(sandbox: SandboxServer, make_headers: Any, identifier: str) -> httpx.AsyncClient:
    pair = sandbox.mint_member_keys(identifier)
    headers = make_headers(sandbox.company_id, pair.public_key, pair.private_key)
    return httpx.AsyncClient(base_url=sandbox.base_url, headers=headers, timeout=10)


async def test_an_engineers_own_keys_log_time_as_that_engineer(
    sandbox: SandboxServer, make_headers: Any
) -> None:
    async with await _as_member(sandbox, make_headers, "ppatel") as priya:
        r = await priya.post("/time/entries", json=_body(20))
    assert r.status_code == 201, r.text
    entry = r.json()
    assert (entry["member"]["identifier"], entry["enteredBy"], entry["_info"]["updatedBy"]) == ("ppatel",) * 3
    assert entry["workRole"]["name"] == "Senior Engineer"  # her own default role


@pytest.mark.parametrize(
    ("identifier", "body", "message"),
    [
        (
            "ppatel",
            {"member": {"identifier": "jdoe"}},
            "You do not have permission to enter time for other members.",
        ),
        ("aschultz", {}, "You do not have permission to enter time."),  # a Read Only security role
    ],
)
async def test_time_the_callers_security_role_does_not_allow_is_refused(
    sandbox: SandboxServer, make_headers: Any, identifier: str, body: dict[str, Any], message: str
) -> None:
    async with await _as_member(sandbox, make_headers, identifier) as member:
        r = await member.post("/time/entries", json=_body(20, **body))
    assert r.status_code == 400
    assert [(e["field"], e["message"]) for e in r.json()["errors"]] == [("member", message)]


async def test_an_engineer_cannot_delete_someone_elses_time(
    cw: httpx.AsyncClient, sandbox: SandboxServer, make_headers: Any
) -> None:
    theirs = (await cw.post("/time/entries", json=_body(30, member={"identifier": "jdoe"}))).json()
    async with await _as_member(sandbox, make_headers, "ppatel") as priya:
        r = await priya.delete(f"/time/entries/{theirs['id']}")
        assert r.status_code == 403
        mine = (await priya.post("/time/entries", json=_body(10))).json()
        assert (await priya.delete(f"/time/entries/{mine['id']}")).status_code == 204
    assert (await cw.get(f"/time/entries/{theirs['id']}")).status_code == 200

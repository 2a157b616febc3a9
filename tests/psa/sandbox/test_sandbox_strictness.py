"""The sandbox refuses what ConnectWise refuses: unknown fields in conditions, orderBy and bodies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from psa.connectwise.sandbox import SandboxServer
from psa.connectwise.sandbox.schema import knows, schema

SEED: dict[str, Any] = json.loads(
    (Path(__file__).parents[3] / "psa/connectwise/sandbox/seed.json").read_text(encoding="utf-8")
)


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/service/tickets", {"conditions": "typeids = 1"}, "typeids"),
        ("/service/tickets", {"conditions": 'closedFlag = false AND board/nme = "x"'}, "board/nme"),
        ("/service/tickets/count", {"conditions": "priority/sortOrder = 1"}, "priority/sortOrder"),
        ("/service/tickets", {"orderBy": "priority/sort asc,dateEnterd desc"}, "dateEnterd"),
        ("/service/boards", {"conditions": 'board/name = "x"'}, "board/name"),
        ("/schedule/entries", {"conditions": "type/name = 'Service'"}, "type/name"),
        ("/company/companies", {"orderBy": "nmae asc"}, "nmae"),
    ],
)
async def test_an_unknown_field_answers_connectwise_400(
    cw: httpx.AsyncClient, path: str, params: dict[str, str], field: str
) -> None:
    r = await cw.get(path, params=params)
    assert r.status_code == 400
    assert r.json() == {
        "code": "ApiFindCondition",
        "message": f"{field} is not a recognized name.",
        "errors": None,
    }


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/service/tickets", {"orderBy": "priority/sort asc,_info/dateEntered desc,id desc"}),
        (
            "/service/tickets",
            {"orderBy": "dateEntered desc", "conditions": "dateEntered > [2020-01-01T00:00:00Z]"},
        ),
        (
            "/service/tickets",
            {"conditions": 'Board/Id = 1 AND ClosedFlag = False AND company/name contains "a"'},
        ),
        ("/service/tickets", {"conditions": '(resources = null OR resources = "") AND owner/id = null'}),
        ("/service/tickets", {"conditions": 'resources like "%,jdoe,%" OR _info/enteredBy = "jsmith"'}),
        (
            "/schedule/entries",
            {"conditions": 'type/identifier = "S" AND member/id = 17 AND doneFlag = false'},
        ),
        ("/company/contacts", {"childConditions": 'communicationItems/value like "%@%"'}),
        ("/system/mySecurity", {"conditions": 'moduleFunctionName = "Service Tickets"'}),
    ],
)
async def test_the_forms_the_app_uses_are_known(
    cw: httpx.AsyncClient, path: str, params: dict[str, str]
) -> None:
    r = await cw.get(path, params=params)
    assert r.status_code == 200, r.text


def test_every_seed_record_uses_only_fields_connectwise_has() -> None:
    def paths(record: Any, prefix: str = "") -> list[str]:
        out = []
        for key, value in record.items():
            if key == "_info":
                continue
            out.append(prefix + key)
            if isinstance(value, dict):
                out.extend(paths(value, prefix + key + "/"))
        return out

    for resource in (
        "tickets",
        "schedule_entries",
        "members",
        "companies",
        "contacts",
        "notes",
        "boards",
        "board_statuses",
        "priorities",
        "configurations",
        "schedule_types",
        "my_security",
        "work_types",
        "work_roles",
    ):
        tree = schema(resource)
        unknown = {p for r in SEED[resource] for p in paths(r) if not knows(tree, p)}
        assert not unknown, (resource, unknown)


async def test_a_site_told_to_forget_a_field_refuses_it(
    sandbox: SandboxServer, cw: httpx.AsyncClient
) -> None:
    async with httpx.AsyncClient(base_url=sandbox.root_url) as control:
        r = await control.post("/__sandbox/quirks", json={"forget": {"tickets": ["resources"]}})
        assert r.json()["forget"] == {"tickets": ["resources"]}
    refused = await cw.get("/service/tickets", params={"conditions": 'resources = ""'})
    assert refused.status_code == 400 and refused.json()["message"] == "resources is not a recognized name."
    assert (await cw.get("/schedule/entries", params={"conditions": "doneFlag = false"})).status_code == 200
    sandbox.reset()
    assert (await cw.get("/service/tickets", params={"conditions": 'resources = ""'})).status_code == 200


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/service/tickets", {"summary": "x", "company": {"id": 52}, "assignee": {"id": 17}}, "assignee"),
        ("/service/tickets/1000/notes", {"text": "hi", "internal": True}, "internal"),
        (
            "/schedule/entries",
            {"objectId": 1000, "type": {"identifier": "S"}, "member": {"id": 17}, "ticket": 1},
            "ticket",
        ),
    ],
)
async def test_an_unknown_body_field_is_refused(
    cw: httpx.AsyncClient, path: str, body: dict[str, Any], field: str
) -> None:
    r = await cw.post(path, json=body)
    assert r.status_code == 400 and r.json()["code"] == "InvalidObject"
    assert [e["field"] for e in r.json()["errors"]] == [field]


async def test_removing_the_owner_is_accepted_unless_the_site_refuses_it(
    sandbox: SandboxServer, cw: httpx.AsyncClient
) -> None:
    remove = [{"op": "remove", "path": "owner"}]
    sandbox.refuse_owner_remove()
    refused = await cw.patch("/service/tickets/1005", json=remove)
    assert refused.status_code == 400 and refused.json()["code"] == "InvalidObject"
    assert (await cw.get("/service/tickets/1005")).json().get("owner")
    sandbox.refuse_owner_remove(False)
    accepted = await cw.patch("/service/tickets/1005", json=remove)
    assert accepted.status_code == 200 and "owner" not in accepted.json()


async def test_schedule_types_and_my_security_are_listed(cw: httpx.AsyncClient) -> None:
    types = (await cw.get("/schedule/types", params={"conditions": 'identifier = "S"'})).json()
    assert [(t["identifier"], t["name"]) for t in types] == [("S", "Service")] and types[0]["id"] != 4
    security = (await cw.get("/system/mySecurity", params={"pageSize": 1000})).json()
    assert {"Service Tickets", "Resource Scheduling", "Time Entry"} <= {
        s["moduleFunctionName"] for s in security
    }

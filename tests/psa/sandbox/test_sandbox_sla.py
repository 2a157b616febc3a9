"""Ticket SLA fields as ConnectWise reports them: the stage and due time in `slaStatus`, `isInSla`."""

from __future__ import annotations

import re

import httpx

STATUS = re.compile(
    r"^(Respond|Resolve) by (Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d\d/\d\d \d{1,2}:\d\d (AM|PM) UTC[+-]\d\d$"
)


async def test_every_open_ticket_under_an_sla_reports_its_stage(cw: httpx.AsyncClient) -> None:
    rows = (
        await cw.get("/service/tickets", params={"conditions": "closedFlag=false", "pageSize": 1000})
    ).json()
    assert rows
    for row in rows:
        assert row["sla"] == {"id": 1, "name": "Standard SLA"}
        assert STATUS.match(row["slaStatus"]) or row["slaStatus"] == "Waiting", row["slaStatus"]
        assert isinstance(row["isInSla"], bool)


async def test_sla_fields_can_be_filtered_like_any_field(cw: httpx.AsyncClient) -> None:
    params = {"conditions": 'slaStatus like "Respond by%" AND closedFlag=false', "pageSize": 1000}
    rows = (await cw.get("/service/tickets", params=params)).json()
    assert rows and all(r["slaStatus"].startswith("Respond by") and "dateResponded" not in r for r in rows)
    count = (await cw.get("/service/tickets/count", params={"conditions": params["conditions"]})).json()
    assert count["count"] == len(rows)


async def test_a_status_that_answers_the_customer_records_the_response(cw: httpx.AsyncClient) -> None:
    new = (await cw.post("/service/tickets", json={"summary": "Printer jam", "company": {"id": 52}})).json()
    assert new["slaStatus"].startswith("Respond by") and new["isInSla"] is True
    patch = [{"op": "replace", "path": "status", "value": {"id": 102}}]
    answered = (await cw.patch(f"/service/tickets/{new['id']}", json=patch)).json()
    assert (
        answered["slaStatus"].startswith("Resolve by")
        and answered["dateResponded"] >= new["_info"]["dateEntered"]
    )
    assert answered["respondMinutes"] >= 0
    assert (await cw.get(f"/service/tickets/{new['id']}")).json() == answered

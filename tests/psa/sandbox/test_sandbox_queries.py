"""List queries: conditions over HTTP, orderBy, paging with Link headers, count, fields, search."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

SEED: dict[str, Any] = json.loads(
    (Path(__file__).parents[3] / "psa/connectwise/sandbox/seed.json").read_text(encoding="utf-8")
)


def _links(response: httpx.Response) -> dict[str, str]:
    return {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers.get("Link", ""))}


async def test_conditions_filter_tickets_like_the_seed(cw: httpx.AsyncClient) -> None:
    expected = sorted(
        t["id"]
        for t in SEED["tickets"]
        if t["board"]["id"] == 1 and not t["closedFlag"] and t["priority"]["sort"] <= 2
    )
    r = await cw.get(
        "/service/tickets",
        params={"conditions": "board/id = 1 AND closedFlag = false AND priority/sort <= 2", "pageSize": 1000},
    )
    assert [t["id"] for t in r.json()] == expected


async def test_order_by_several_fields_with_missing_values_last(cw: httpx.AsyncClient) -> None:
    r = await cw.get(
        "/service/tickets",
        params={"orderBy": "owner/identifier desc, priority/sort asc, id desc", "pageSize": 1000},
    )
    rows = r.json()
    assert len(rows) == 650
    keys = [(t.get("owner", {}).get("identifier"), t["priority"]["sort"], t["id"]) for t in rows]
    owned = [k for k in keys if k[0] is not None]
    assert keys[len(owned) :] and all(k[0] is None for k in keys[len(owned) :])
    assert owned == sorted(owned, key=lambda k: (_desc(k[0]), k[1], -k[2]))


def _desc(text: str) -> list[int]:
    return [-ord(c) for c in text] + [0]


async def test_most_urgent_then_newest_ordering(cw: httpx.AsyncClient) -> None:
    r = await cw.get("/service/tickets", params={"orderBy": "priority/sort asc, _info/dateEntered desc"})
    expected = sorted(SEED["tickets"], key=lambda t: t["id"])
    expected.sort(key=lambda t: t["_info"]["dateEntered"], reverse=True)
    expected.sort(key=lambda t: t["priority"]["sort"])
    assert [t["id"] for t in r.json()] == [t["id"] for t in expected[:25]]


async def test_paging_walks_every_record_once_following_link_next(cw: httpx.AsyncClient) -> None:
    seen: list[int] = []
    url: str | None = "/service/tickets?conditions=closedFlag%3Dtrue&pageSize=40&orderBy=id%20desc"
    pages = 0
    while url:
        r = await cw.get(url)
        seen += [t["id"] for t in r.json()]
        url = _links(r).get("next")
        pages += 1
    closed = sorted((t["id"] for t in SEED["tickets"] if t["closedFlag"]), reverse=True)
    assert seen == closed
    assert pages == -(-len(closed) // 40)


async def test_link_header_has_first_last_and_omits_missing_prev_next(cw: httpx.AsyncClient) -> None:
    first = _links(await cw.get("/service/tickets", params={"pageSize": 100}))
    assert set(first) == {"next", "first", "last"} and "page=7" in first["last"]
    last = _links(await cw.get("/service/tickets", params={"pageSize": 100, "page": 7}))
    assert set(last) == {"prev", "first", "last"} and "page=6" in last["prev"]
    middle = _links(await cw.get("/service/tickets", params={"pageSize": 100, "page": 3}))
    assert set(middle) == {"prev", "next", "first", "last"}


async def test_page_size_is_capped_at_1000_and_defaults_to_25(cw: httpx.AsyncClient) -> None:
    r = await cw.get("/service/tickets/1000/notes", params={"pageSize": 5000})
    assert len((await cw.get("/service/tickets")).json()) == 25
    r = await cw.get("/company/configurations", params={"pageSize": 5000})
    assert len(r.json()) == len(SEED["configurations"])  # 275 < 1000: all of them
    assert "pageSize=1000" in _links(r)["first"]


async def test_page_past_the_end_is_empty(cw: httpx.AsyncClient) -> None:
    assert (await cw.get("/service/tickets", params={"page": 99})).json() == []


async def test_count_uses_the_same_conditions(cw: httpx.AsyncClient) -> None:
    expected = sum(1 for t in SEED["tickets"] if "jdoe" in t.get("resources", "") and not t["closedFlag"])
    r = await cw.get(
        "/service/tickets/count", params={"conditions": 'resources contains "jdoe" and closedFlag=false'}
    )
    assert r.json() == {"count": expected} and expected > 0


async def test_search_post_takes_conditions_in_the_body(cw: httpx.AsyncClient) -> None:
    long_in = ", ".join(str(i) for i in range(1000, 1400))
    r = await cw.post(
        "/service/tickets/search",
        params={"pageSize": 1000, "orderBy": "id asc"},
        json={"conditions": f"id in ({long_in}) and board/id = 3"},
    )
    expected = [t["id"] for t in SEED["tickets"] if t["id"] < 1400 and t["board"]["id"] == 3]
    assert [t["id"] for t in r.json()] == expected


async def test_fields_returns_only_the_requested_parts(cw: httpx.AsyncClient) -> None:
    r = await cw.get("/service/tickets", params={"fields": "id,summary,status/name", "pageSize": 2})
    assert [set(t) for t in r.json()] == [{"id", "summary", "status"}] * 2
    assert set(r.json()[0]["status"]) == {"name"}


@pytest.mark.parametrize(
    ("path", "conditions", "expected"),
    [
        ("/system/members", "inactiveFlag=false", 20),
        ("/system/members", 'identifier="JDOE"', 1),
        ("/system/members", 'officeEmail="jdoe@northstar-msp.com"', 1),
        ("/company/configurations", "id in (5001, 5002)", 2),
        ("/schedule/entries", "type/identifier='S' AND objectId=1000 AND doneFlag=false", None),
    ],
)
async def test_reference_lists_accept_conditions(
    cw: httpx.AsyncClient, path: str, conditions: str, expected: int | None
) -> None:
    r = await cw.get(path, params={"conditions": conditions, "pageSize": 1000})
    if expected is None:
        expected = sum(
            1
            for e in SEED["schedule_entries"]
            if e["objectId"] == 1000 and not e["doneFlag"] and e["type"]["identifier"] == "S"
        )
    assert len(r.json()) == expected


async def test_companies_by_name_contains_and_identifier_like(cw: httpx.AsyncClient) -> None:
    word = SEED["companies"][3]["name"].split()[0]
    r = await cw.get("/company/companies", params={"conditions": f'name contains "{word.lower()}"'})
    assert r.json() and all(word.lower() in c["name"].lower() for c in r.json())
    prefix = SEED["companies"][3]["identifier"][:3]
    r = await cw.get("/company/companies", params={"conditions": f'identifier like "{prefix}%"'})
    assert SEED["companies"][3]["id"] in [c["id"] for c in r.json()]


async def test_member_by_identifier_or_id_and_my_member(cw: httpx.AsyncClient) -> None:
    assert (await cw.get("/system/members/jdoe")).json()["id"] == 17
    assert (await cw.get("/system/members/17")).json()["identifier"] == "jdoe"
    assert (await cw.get("/system/myMembers")).json()["identifier"] == SEED["api_member"]["identifier"]


async def test_board_statuses_and_priorities(cw: httpx.AsyncClient) -> None:
    statuses = (await cw.get("/service/boards/3/statuses")).json()
    assert {s["board"]["id"] for s in statuses} == {3} and any(s["closedStatus"] for s in statuses)
    assert len((await cw.get("/service/priorities")).json()) == 5
    assert (await cw.get("/service/boards/2/statuses")).status_code == 404


async def test_contact_and_configuration_by_id(cw: httpx.AsyncClient) -> None:
    contact = SEED["contacts"][0]
    assert (await cw.get(f"/company/contacts/{contact['id']}")).json()["lastName"] == contact["lastName"]
    assert (await cw.get("/company/configurations/5001")).json()["name"] == SEED["configurations"][0]["name"]


async def test_ticket_configurations_have_the_real_shape(cw: httpx.AsyncClient) -> None:
    rows = (await cw.get("/service/tickets/1000/configurations")).json()
    wanted = [tc["configurationId"] for tc in SEED["ticket_configurations"] if tc["ticketId"] == 1000]
    assert [r["id"] for r in rows] == wanted
    assert all(set(r) == {"id", "deviceIdentifier", "_info"} for r in rows)


@pytest.mark.parametrize(
    "params",
    [
        {"conditions": 'summary = "unterminated'},
        {"conditions": "id = = 1"},
        {"orderBy": "summary sideways"},
        {"page": "two"},
    ],
)
async def test_malformed_queries_are_400_never_500(cw: httpx.AsyncClient, params: dict[str, str]) -> None:
    r = await cw.get("/service/tickets", params=params)
    assert r.status_code == 400
    assert r.json()["code"] == "ConnectWiseApi" and r.json()["message"]


async def test_unknown_ticket_is_a_404_naming_it(cw: httpx.AsyncClient) -> None:
    r = await cw.get("/service/tickets/99999")
    assert r.status_code == 404
    assert r.json() == {"code": "NotFound", "message": "Ticket 99999 not found", "errors": None}


async def test_ticket_page_stands_in_for_open_in_connectwise(cw: httpx.AsyncClient) -> None:
    root = str(cw.base_url).split("/v4_6_release")[0]
    r = await cw.get(
        f"{root}/v4_6_release/services/system_io/Service/fv_sr100_request.rails?service_recid=1000"
    )
    assert r.status_code == 200 and "Cannot access S: drive" in r.text


async def test_forward_only_paging_follows_page_id(cw: httpx.AsyncClient) -> None:
    headers = {"pagination-type": "forward-only"}
    seen: list[int] = []
    url: str | None = "/service/tickets?pageSize=200&conditions=board/id%3D1"
    while url:
        r = await cw.get(url, headers=headers)
        seen += [t["id"] for t in r.json()]
        url = _links(r).get("next")
    assert seen == sorted(t["id"] for t in SEED["tickets"] if t["board"]["id"] == 1)
    bad = await cw.get("/service/tickets", params={"orderBy": "id desc"}, headers=headers)
    assert bad.status_code == 400


async def test_wrong_method_and_bad_json_get_cw_shaped_errors(cw: httpx.AsyncClient) -> None:
    r = await cw.delete("/service/boards")
    assert r.status_code == 405 and r.json()["errors"] is None and r.json()["code"]
    r = await cw.post("/service/tickets", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["code"] == "ConnectWiseApi"


async def test_single_record_honours_fields(cw: httpx.AsyncClient) -> None:
    r = await cw.get("/service/tickets/1000", params={"fields": "id,company/identifier"})
    assert r.json() == {"id": 1000, "company": {"identifier": "CascadeCU"}}


async def test_order_by_accepts_bare_info_aliases(cw: httpx.AsyncClient) -> None:
    r = await cw.get("/service/tickets", params={"orderBy": "lastUpdated desc", "pageSize": 5})
    expected = sorted(SEED["tickets"], key=lambda t: t["id"])
    expected.sort(key=lambda t: t["_info"]["lastUpdated"], reverse=True)
    assert [t["id"] for t in r.json()] == [t["id"] for t in expected[:5]]

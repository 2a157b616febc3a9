"""The sandbox answers like ConnectWise for the basics every client needs."""

from __future__ import annotations

import httpx

from psa.connectwise.sandbox import SandboxServer


async def test_ticket_list_is_a_bare_array_of_25_with_link_header(cw: httpx.AsyncClient) -> None:
    r = await cw.get("/service/tickets")
    assert r.status_code == 200
    body = r.json()
    assert isinstance(body, list) and len(body) == 25
    assert 'rel="next"' in r.headers["Link"]


async def test_count_matches_seed(cw: httpx.AsyncClient) -> None:
    r = await cw.get("/service/tickets/count")
    assert r.json() == {"count": 650}


async def test_fixture_resets_between_tests_part1(cw: httpx.AsyncClient, sandbox: SandboxServer) -> None:
    sandbox.set_latency(5)
    sandbox.inject_fault(status=500, count=None)
    assert (await cw.get("/system/info")).status_code == 500


async def test_fixture_resets_between_tests_part2(cw: httpx.AsyncClient, sandbox: SandboxServer) -> None:
    assert (await cw.get("/system/info")).status_code == 200
    assert sandbox.request_count() == 1

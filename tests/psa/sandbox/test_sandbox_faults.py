"""Fault injection, latency, the request log, the HTTP controls and the CLI."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import httpx
import pytest
from fuzz_budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from waiting import wait_until

from psa.connectwise.sandbox import RequestRecord, SandboxServer, rounds


async def test_429_uses_the_throttle_body_and_retry_after(
    cw: httpx.AsyncClient, sandbox: SandboxServer
) -> None:
    sandbox.inject_fault(method="GET", path_pattern=r"^/service/tickets$", status=429, retry_after=7)
    r = await cw.get("/service/tickets")
    assert r.status_code == 429 and r.headers["Retry-After"] == "7"
    assert r.json() == {
        "error": "ConnectWiseAPI",
        "message": "Too many requests. Please try again in 7 seconds.",
    }
    assert (await cw.get("/service/tickets")).status_code == 200  # count=1: consumed


async def test_fault_matches_only_its_method_and_path(cw: httpx.AsyncClient, sandbox: SandboxServer) -> None:
    sandbox.inject_fault(method="POST", path_pattern="/notes", status=500, count=2)
    assert (await cw.get("/service/tickets/1000/notes")).status_code == 200
    for _ in range(2):
        r = await cw.post("/service/tickets/1000/notes", json={"text": "x"})
        assert r.status_code == 500 and r.json()["code"] == "ConnectWiseApi"
    assert (await cw.post("/service/tickets/1000/notes", json={"text": "x"})).status_code == 201
    assert sandbox.request_count("POST", "/notes") == 3
    assert [r.status for r in sandbox.requests if r.method == "POST"] == [500, 500, 201]


async def test_custom_body_and_503_with_retry_after(cw: httpx.AsyncClient, sandbox: SandboxServer) -> None:
    sandbox.inject_fault(status=503, retry_after=2, body={"message": "maintenance"})
    r = await cw.get("/system/info")
    assert (r.status_code, r.headers["Retry-After"], r.json()) == (503, "2", {"message": "maintenance"})


async def test_slowness_fault_delays_then_answers_normally(
    cw: httpx.AsyncClient, sandbox: SandboxServer
) -> None:
    sandbox.inject_fault(status=None, delay_ms=50)
    assert (await cw.get("/system/info")).status_code == 200
    assert [r.status for r in sandbox.requests] == [200]
    # Far longer than the client waits: the client gives up whatever the machine's load.
    sandbox.inject_fault(status=None, delay_ms=3000)
    with pytest.raises(httpx.ReadTimeout):
        await cw.get("/system/info", timeout=0.1)


async def test_holding_leaves_requests_unanswered_until_the_block_ends(
    cw: httpx.AsyncClient, sandbox: SandboxServer
) -> None:
    with sandbox.holding():
        pending = asyncio.create_task(cw.get("/system/info"))
        done, _ = await asyncio.wait({pending}, timeout=0.2)  # it could wait forever: nothing answers it
        assert not done and sandbox.request_count() == 0
    assert (await pending).status_code == 200
    assert [r.status for r in sandbox.requests] == [200]


async def test_dropped_connection_sends_no_response(cw: httpx.AsyncClient, sandbox: SandboxServer) -> None:
    sandbox.inject_fault(path_pattern="/service/tickets/1000$", drop_connection=True)
    with pytest.raises(httpx.RemoteProtocolError):
        await cw.get("/service/tickets/1000")
    assert (await cw.get("/service/tickets/1000")).status_code == 200
    assert [r.status for r in sandbox.requests] == [0, 200]


async def test_requests_answered_together_are_one_round_and_later_ones_are_each_another(
    cw: httpx.AsyncClient, sandbox: SandboxServer
) -> None:
    await cw.get("/system/info")  # warm the connection pool path
    sandbox.clear_requests()
    with sandbox.answering_together(10) as batches:
        pages = (cw.get("/service/tickets", params={"page": i}) for i in range(1, 11))
        results = await asyncio.gather(*pages)
        for i in range(1, 4):
            await cw.get("/service/tickets", params={"page": i})
    assert all(r.status_code == 200 for r in results) and batches.short() == []
    assert (sandbox.request_count(), sandbox.rounds()) == (13, 4)


async def test_a_batch_sent_one_by_one_never_fills_and_is_reported_short(
    cw: httpx.AsyncClient, sandbox: SandboxServer
) -> None:
    # The first request waits for a second that only comes after its answer: the safety net lets it go.
    with sandbox.answering_together(2, within=0.1) as batches:
        for page in (1, 2):
            assert (await cw.get("/service/tickets", params={"page": page})).status_code == 200
    [short] = batches.short()
    assert (short.expected, short.arrived) == (2, ["GET /service/tickets"])
    assert sandbox.rounds() == 2


async def test_leaving_the_block_answers_what_is_still_held(
    cw: httpx.AsyncClient, sandbox: SandboxServer
) -> None:
    with sandbox.answering_together(3) as batches:
        pending = asyncio.create_task(cw.get("/system/info"))
        await wait_until(lambda: batches.short() and batches.short()[0].arrived, what="the request held")
    assert (await pending).status_code == 200
    assert [str(b) for b in batches.short()] == ["1 of 3 ['GET /system/info']"]


def _record(received: int, answered: int) -> RequestRecord:
    return RequestRecord(
        method="GET",
        path="/x",
        query={},
        status=200,
        timestamp=0.0,
        received_seq=received,
        answered_seq=answered,
    )


def test_rounds_are_the_longest_chain_of_requests_sent_after_an_answer() -> None:
    assert rounds([]) == 0
    parallel = [_record(1, 5), _record(2, 6), _record(3, 4)]
    assert rounds(parallel) == 1
    # 1 → 3 (after 1's answer) → 5 (after 3's); 2 overlaps them all and adds nothing.
    chain = [_record(1, 2), _record(3, 8), _record(4, 7), _record(9, 10), _record(11, 12)]
    assert rounds(chain) == 4


def _longest_chain(records: list[RequestRecord]) -> int:
    """The definition, spelled out: the longest sequence where each was received after the last's answer."""
    best = dict.fromkeys(range(len(records)), 1)
    for i in sorted(best, key=lambda k: records[k].received_seq):
        for j in range(len(records)):
            if records[j].answered_seq < records[i].received_seq:
                best[i] = max(best[i], best[j] + 1)
    return max(best.values(), default=0)


@settings(max_examples=examples(200))
@given(st.lists(st.tuples(st.integers(0, 60), st.integers(1, 20)), max_size=25))
def test_rounds_match_the_definition(spans: list[tuple[int, int]]) -> None:
    # Distinct seqs as the log hands them out: each request's answer comes after its arrival.
    seqs = iter(range(10_000))
    events = sorted([(start, i, "in") for i, (start, _) in enumerate(spans)]
        + [(start + length, i, "out") for i, (start, length) in enumerate(spans)])  # fmt: skip
    stamped: dict[int, dict[str, int]] = {}
    for _, i, kind in events:
        stamped.setdefault(i, {})[kind] = next(seqs)
    records = [_record(stamped[i]["in"], stamped[i]["out"]) for i in range(len(spans))]
    assert rounds(records) == _longest_chain(records)


async def test_reset_clears_faults_latency_and_log(cw: httpx.AsyncClient, sandbox: SandboxServer) -> None:
    sandbox.inject_fault(status=500, count=None)
    sandbox.set_latency(50)
    await cw.get("/system/info")
    sandbox.reset()
    assert (sandbox.state.latency_ms, sandbox.state.faults.pending()) == (0, [])
    assert (await cw.get("/system/info")).status_code == 200
    assert sandbox.request_count() == 1


async def test_http_controls_drive_the_same_state(cw: httpx.AsyncClient, sandbox: SandboxServer) -> None:
    root = sandbox.root_url + "/__sandbox"
    async with httpx.AsyncClient(timeout=10) as ctl:
        r = await ctl.post(
            root + "/faults", json={"status": 429, "retry_after": 3, "path_pattern": "/system/info"}
        )
        assert r.status_code == 201
        assert (await ctl.post(root + "/faults", json={"nonsense": 1})).status_code == 400
        assert (await cw.get("/system/info")).status_code == 429
        assert (await ctl.post(root + "/latency", json={"ms": 20})).json() == {"ms": 20}
        assert sandbox.state.latency_ms == 20
        log = (await ctl.get(root + "/requests", params={"path_contains": "/system/info"})).json()
        assert [(e["method"], e["path"], e["status"]) for e in log] == [("GET", "/system/info", 429)]
        await cw.post("/service/tickets", json={"summary": "x", "company": {"id": 52}})
        assert (await ctl.post(root + "/reset")).status_code == 204
        assert (await cw.get("/service/tickets/count")).json() == {"count": 650}
        assert sandbox.state.latency_ms == 0  # back to the latency the server started with
        inject = await ctl.post(root + "/faults", json={"status": 500, "count": None})
        assert inject.status_code == 201
        assert (await ctl.delete(root + "/faults")).status_code == 204
        assert (await cw.get("/system/info")).status_code == 200


def test_cli_prints_base_url_and_serves(tmp_path: object) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "psa.connectwise.sandbox", "--port", "0", "--latency-ms", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v4_6_release/apis/3.0")
        r = httpx.get(base_url.split("/v4_6")[0] + "/__sandbox/health", timeout=5)
        assert r.json()["ok"] is True
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_reset_returns_to_the_start_latency() -> None:
    with SandboxServer(latency_ms=30, seed={}) as server:
        server.set_latency(0)
        server.reset()
        assert server.state.latency_ms == 30

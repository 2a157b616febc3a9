"""Live updates: how long a change made in ConnectWise takes to reach the engineer's DM, and what the
poller costs ConnectWise (`python -m bench.live [--quick]`).

The real app (`create_asgi` under uvicorn, in this process), the sandbox answering every request after
LATENCY_MS, FakeSlack. A colleague changes the status of one of the engineer's tickets through the
sandbox's control API ("someone else, in ConnectWise"); the clock runs until FakeSlack records the DM.
- callback path: PUBLIC_URL set, the sandbox posts the signed delivery to the app at once;
- poller path: no PUBLIC_URL; the figure is the poll's own work (the next poll comes on average half
  an interval after the change, LIVE_POLL_SECONDS / 2, which is added).
PSA requests are counted, and sequential rounds derived by causality, from the sandbox's request log.
Poller cost: idle polls of W workspaces (each its own connection), requests counted per poll.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.rounds import running_app
from bench.stack import TEAM, Backends, bench_users, prepare_database
from bot.flows.live.poller import poll_all, poll_once
from bot.flows.live.subscriptions import subscribe
from psa.connectwise.sandbox import rounds

LATENCY_MS = 100
USER = "U0BENCH00"  # mapped to jdoe


def _jdoe_tickets(backends: Backends) -> list[int]:
    store = backends.sandbox.state.store
    views = store.ticket_views()
    return [
        v["id"]
        for v in views
        if not v["closedFlag"] and v["board"]["id"] == 1 and "jdoe" in str(v.get("resources", "")).split(", ")
    ]


async def _change(backends: Backends, ticket_id: int) -> None:
    store = backends.sandbox.state.store
    with store.lock:
        current = store.tables["tickets"][ticket_id]["status"]["name"]
    status = "Scheduled" if current == "Waiting on Client" else "Waiting on Client"
    async with httpx.AsyncClient(base_url=backends.sandbox.root_url + "/__sandbox", timeout=30) as http:
        resp = await http.post(
            f"/changes/tickets/{ticket_id}/status", json={"status": {"name": status}, "member": "mchen"}
        )
        resp.raise_for_status()


def _dms(backends: Backends) -> int:
    return len([c for c in backends.fake.calls_to("chat.postMessage") if c.args.get("channel") == USER])


async def _until_dm(backends: Backends, count: int, within: float = 30.0) -> float:
    deadline = time.monotonic() + within
    while _dms(backends) < count:
        if time.monotonic() > deadline:
            raise RuntimeError("no DM arrived")
        await asyncio.sleep(0.002)
    return time.time()


async def _measure(backends: Backends, runs: int, *, path: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'live.db'}"
        await asyncio.to_thread(prepare_database, url, backends.sandbox, backends.users)
        async with running_app(backends, url, USER) as driver:
            deps = driver.deps
            settings: dict[str, Any] = {"sla_warn_minutes": 0}
            if path == "callback":
                settings["public_url"] = driver.sender.events_url.removesuffix("/slack/events")
            deps.settings = deps.settings.model_copy(update=settings)
            await subscribe(deps, TEAM) if path == "callback" else await poll_once(deps, TEAM)
            tickets = _jdoe_tickets(backends)
            walls, requests, sequential = [], [], []
            for i in range(runs):
                ticket = tickets[i % len(tickets)]
                await deps.work.drain(30)
                backends.sandbox.clear_requests()
                before = _dms(backends)
                started = time.time()
                await _change(backends, ticket)
                if path == "poll":
                    started = time.time()  # the poll's own work; the wait for the next tick is added below
                    await poll_once(deps, TEAM)
                shown = await _until_dm(backends, before + 1)
                log = [r for r in backends.sandbox.requests if "/__sandbox" not in r.path]
                walls.append((shown - started) * 1000)
                requests.append(len(log))
                sequential.append(rounds(log))
                paths = sorted(f"{r.method} {r.path}" for r in log)
            return {
                "path": path,
                "median_ms": statistics.median(walls),
                "requests": statistics.median(requests),
                "rounds": statistics.median(sequential),
                "paths": paths,
            }


async def _poll_cost(backends: Backends, workspaces: list[int]) -> list[dict[str, Any]]:
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'poll.db'}"
        await asyncio.to_thread(prepare_database, url, backends.sandbox, backends.users)
        async with running_app(backends, url, USER) as driver:
            deps = driver.deps
            store = deps.storage
            made = 1
            for count in workspaces:
                for n in range(made, count):  # more workspaces: a mapped engineer each, the same site
                    await store.workspace(f"T0BENCH{n:03d}").map_member(
                        USER,
                        member_id=17,
                        member_identifier="jdoe",
                        member_name="Jane Doe",
                        mapped_by="bench",
                    )
                made = max(made, count)
                await poll_all(deps)  # first polls: cursors and baselines
                await deps.work.drain(60)
                backends.sandbox.clear_requests()
                await poll_all(deps)
                await deps.work.drain(60)
                per_poll = len(backends.sandbox.requests)
                minute = 60 / deps.settings.live_poll_seconds
                out.append(
                    {"workspaces": count, "requests_per_poll": per_poll, "per_minute": per_poll * minute}
                )
    return out


async def main(quick: bool) -> None:
    runs = 2 if quick else 9
    with Backends(bench_users(2), latency_ms=LATENCY_MS) as backends:
        callback = await _measure(backends, runs, path="callback")
    with Backends(bench_users(2), latency_ms=LATENCY_MS) as backends:
        poll = await _measure(backends, runs, path="poll")
    with Backends(bench_users(2), latency_ms=0) as backends:
        cost = await _poll_cost(backends, [1, 5] if quick else [1, 5, 20])
    print(f"ConnectWise latency {LATENCY_MS} ms per request; median of {runs} changes")
    for row in (callback, poll):
        print(
            f"{row['path']:>8}: change → DM {row['median_ms']:.0f} ms, "
            f"{row['requests']:.0f} PSA requests in {row['rounds']:.0f} sequential rounds {row['paths']}"
        )
    print("  poll path adds the wait for the next poll: LIVE_POLL_SECONDS / 2 on average (30 s by default)")
    for row in cost:
        each = row["per_minute"] / row["workspaces"]
        print(
            f"idle poll, {row['workspaces']:>2} workspaces: {row['requests_per_poll']} requests per poll, "
            f"{row['per_minute']:.0f} per minute in all ({each:.0f} per workspace)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.live")
    parser.add_argument("--quick", action="store_true")
    asyncio.run(main(parser.parse_args().quick))

"""The default install (`python -m bot serve` on SQLite): jobs run on an event loop of their own, in a
thread, and the ack path writes nothing to the database (a replay is refused from memory).

A real `serve` process, the ConnectWise sandbox and FakeSlack. A command is acked while ConnectWise
holds the request of a job already running: the ack waited for no job.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from waiting import wait_until

from bench.stack import (
    SIGNING_SECRET,
    Backends,
    ServerProcess,
    app_environment,
    bench_users,
    prepare_database,
)
from bot.local import SlackRequestSender
from bot.local import payloads as p

CHANNEL = "C0BENCH"
PATIENCE = 120.0  # only a hang may take this long, whatever the load


@pytest.fixture
def backends() -> Iterator[Backends]:
    with Backends(bench_users(2)) as running:
        yield running


def lists_for(backends: Backends, user: str) -> int:
    return sum(
        1
        for post in backends.fake.responses
        if post.user == user and "Your open tickets" in str(post.body.get("blocks"))
    )


async def test_a_command_is_acked_while_a_job_waits_on_connectwise_and_a_replay_is_refused_from_memory(
    backends: Backends, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/tickets.db"
    await asyncio.to_thread(prepare_database, url, backends.sandbox, backends.users)
    web = ServerProcess(["bot", "serve"], app_environment(backends, url), tmp_path / "web.log")
    await asyncio.to_thread(web.start)
    first, second = (u.slack_id for u in backends.users)
    fake = backends.fake

    def mine(user: str) -> tuple[str, dict[str, str]]:
        return p.slash_command(
            "/tickets",
            "mine",
            user=user,
            channel=CHANNEL,
            trigger_id=fake.new_trigger_id(user),
            response_url=fake.new_response_url(CHANNEL, user),
        )

    try:
        async with httpx.AsyncClient(timeout=60) as http:
            sender = SlackRequestSender(web.events_url, SIGNING_SECRET, http)
            await wait_until(
                lambda: "embedded worker started in thread jobs-embedded" in web.log_text(),
                within=PATIENCE,
                what="the worker's thread",
            )
            with backends.sandbox.holding():
                assert (await sender.send(*mine(first))).status_code == 200
                await wait_until(backends.sandbox.in_flight, within=PATIENCE, what="a job's held request")
                body = mine(second)
                signed_at = int(time.time())
                assert (await sender.send(*body, timestamp=signed_at)).status_code == 200
                assert lists_for(backends, first) == 0  # the first job still waits on ConnectWise
                # The same signed request again: refused without running anything.
                assert (await sender.send(*body, timestamp=signed_at)).status_code == 200
            await wait_until(
                lambda: lists_for(backends, first) and lists_for(backends, second),
                within=PATIENCE,
                what="both lists",
            )

            async def drained() -> bool:
                return bool((await http.get(web.url + "/healthz")).json()["pending_tasks"] == 0)

            await wait_until(drained, within=PATIENCE, what="the jobs to finish")
        assert lists_for(backends, first) == 1
        assert lists_for(backends, second) == 1
        assert "ignored a replayed request" in web.log_text()
    finally:
        web.stop()

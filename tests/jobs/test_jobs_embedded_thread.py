"""The default install (`python -m bot serve` on SQLite): jobs run on an event loop of their own, in a
thread, and the ack path writes nothing to the database (a replay is refused from memory).

A real `serve` process, the ConnectWise sandbox and FakeSlack. A command is acked while ConnectWise
holds the request of a job already running: the ack waited for no job.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import httpx
import pytest
from jobs_kit import mine
from pydantic import SecretStr
from scenario_harness import scenario_settings, serve_app
from waiting import wait_until

from bench.stack import (
    CLIENT_ID,
    SECRET_KEY,
    SIGNING_SECRET,
    Backends,
    ServerProcess,
    app_environment,
    bench_users,
    prepare_database,
)
from bot.deps import build_deps
from bot.jobs.config import WORKSPACE_CONCURRENCY
from bot.local import SlackRequestSender

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

    try:
        async with httpx.AsyncClient(timeout=60) as http:
            sender = SlackRequestSender(web.events_url, SIGNING_SECRET, http)
            await wait_until(
                lambda: "embedded worker started in thread jobs-embedded" in web.log_text(),
                within=PATIENCE,
                what="the worker's thread",
            )
            with backends.sandbox.holding():
                assert (await sender.send(*mine(fake, first))).status_code == 200
                await wait_until(backends.sandbox.in_flight, within=PATIENCE, what="a job's held request")
                body = mine(fake, second)
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


async def test_a_command_replayed_after_the_install_restarts_runs_nothing(
    backends: Backends, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/tickets.db"
    await asyncio.to_thread(prepare_database, url, backends.sandbox, backends.users)
    env = app_environment(backends, url)
    first, second = (u.slack_id for u in backends.users)
    body = mine(backends.fake, first)
    signed_at = int(time.time())

    async with httpx.AsyncClient(timeout=60) as http:
        before = await asyncio.to_thread(ServerProcess(["bot", "serve"], env, tmp_path / "before.log").start)
        try:
            sent = await SlackRequestSender(before.events_url, SIGNING_SECRET, http).send(
                *body, timestamp=signed_at
            )
            assert sent.status_code == 200
            await wait_until(lambda: lists_for(backends, first), within=PATIENCE, what="the first list")
        finally:
            before.stop()  # a graceful stop, as a deploy does
        after = await asyncio.to_thread(ServerProcess(["bot", "serve"], env, tmp_path / "after.log").start)
        try:
            sender = SlackRequestSender(after.events_url, SIGNING_SECRET, http)
            replay = await sender.send(*body, timestamp=signed_at)
            assert (await sender.send(*mine(backends.fake, second))).status_code == 200
            await wait_until(
                lambda: lists_for(backends, second), within=PATIENCE, what="the next user's list"
            )
        finally:
            after.stop()

    assert replay.status_code == 200 and replay.content == b""
    assert lists_for(backends, first) == 1
    assert "ignored a replayed request" in after.log_text()


async def test_a_command_queued_behind_many_others_is_told_so_in_its_own_ack(
    backends: Backends, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/tickets.db"
    await asyncio.to_thread(prepare_database, url, backends.sandbox, backends.users)
    sandbox, fake = backends.sandbox, backends.fake
    settings = scenario_settings(
        url,
        fake,
        tickets_secret_key=SecretStr(SECRET_KEY),
        cw_base_url=sandbox.base_url,
        cw_company_id=sandbox.company_id,
        cw_public_key=sandbox.public_key,
        cw_private_key=SecretStr(sandbox.private_key),
        cw_client_id=CLIENT_ID,
    )
    deps = build_deps(settings)
    assert deps.worker_thread is not None  # the default install's worker: a thread of its own
    user = backends.users[0].slack_id
    slots = WORKSPACE_CONCURRENCY

    async def settled(running: int, waiting: int) -> bool:
        # Every hand-off stored, and `running` jobs started (held by ConnectWise) ahead of `waiting`.
        worker = deps.worker_thread
        assert worker is not None
        return (
            worker.in_transit == 0
            and await worker.waiting() == waiting
            and await worker.pending() >= running + waiting
        )

    try:
        async with serve_app(settings, deps, fake) as sender:
            worker = deps.worker_thread.deps
            assert worker is not None and worker.jobs is not None
            worker.jobs.config.busy_backlog = 3
            with sandbox.holding():
                # The workspace's slots all wait on ConnectWise: every later command waits for one.
                running = []
                for started in range(1, slots + 1):
                    running.append(await sender.send(*mine(fake, user)))
                    await wait_until(partial(settled, started, 0), within=PATIENCE, what="a held job")
                waiting = [await sender.send(*mine(fake, user)) for _ in range(3)]
                await wait_until(partial(settled, slots, 3), within=PATIENCE, what="3 jobs waiting")
                queued = await sender.send(*mine(fake, user))
            await wait_until(lambda: lists_for(backends, user) == slots + 4, within=PATIENCE, what="lists")
    finally:
        await deps.aclose()

    assert [r.content for r in running + waiting] == [b""] * (slots + 3)
    # Slack shows an ack's text at once; the answer itself followed when its job ran.
    assert queued.json() == {
        "text": "Lots of requests right now: 3 ahead of yours. Your answer will follow here shortly."
    }
    assert not [r for r in fake.responses if "Lots of requests" in str(r.body)]

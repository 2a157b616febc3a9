"""The multi-instance deployment: `serve` (WORKERS=external) hands work to `worker` processes on Postgres.

Real processes (`python -m bot serve|worker`), the ConnectWise sandbox, FakeSlack and a fresh database.
A worker killed with SIGKILL in the middle of a job: another worker runs it, and the user is answered once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from jobs_kit import fresh_jobs_database, mine
from waiting import wait_until

from bench.stack import (
    REPO,
    SIGNING_SECRET,
    Backends,
    ServerProcess,
    app_environment,
    bench_users,
    prepare_database,
)
from bot.local import SlackRequestSender

pytestmark = pytest.mark.postgres

PATIENCE = 120.0  # seconds before a wait fails: only a hang may take this long, whatever the load


@pytest.fixture
def backends() -> Iterator[Backends]:
    with Backends(bench_users(2)) as running:
        yield running


@pytest.fixture
async def database(backends: Backends) -> AsyncIterator[str]:
    async with fresh_jobs_database() as url:
        await asyncio.to_thread(prepare_database, url, backends.sandbox, backends.users)
        yield url


def environment(backends: Backends, url: str) -> dict[str, str]:
    env = app_environment(backends, url, log_level="INFO")
    # Dead workers noticed after 2 s instead of 30: the test waits on what the user sees, not on time.
    return {**env, "WORKERS": "external", "JOBS_STALLED_AFTER": "2", "PYTHONPATH": str(REPO)}


class Worker:
    """A `python -m bot worker` process."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        with log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "worker"],
                env=env,
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def answers(backends: Backends, user: str) -> list[dict[str, Any]]:
    """What the user got through response_url: lists of tickets (not the busy notice)."""
    return [
        post.body
        for post in backends.fake.responses
        if post.user == user and "Your open tickets" in str(post.body.get("blocks"))
    ]


async def send_mine(http: httpx.AsyncClient, web: ServerProcess, backends: Backends, user: str) -> None:
    fake = backends.fake
    sender = SlackRequestSender(web.events_url, SIGNING_SECRET, http)
    resp = await sender.send(*mine(fake, user))
    assert resp.status_code == 200, resp.text


async def test_work_acked_by_the_web_process_is_run_by_a_worker_process(
    backends: Backends, database: str, tmp_path: Path
) -> None:
    env = environment(backends, database)
    web = ServerProcess(["bot", "serve"], env, tmp_path / "web.log")
    await asyncio.to_thread(web.start)
    worker = Worker(env, tmp_path / "worker.log")
    user = backends.users[0].slack_id
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            await send_mine(http, web, backends, user)
            await wait_until(lambda: answers(backends, user), within=PATIENCE, what="the list of tickets")
        assert len(answers(backends, user)) == 1
        assert "job 1 started" in worker.log_path.read_text()
        assert "started (attempt" not in (tmp_path / "web.log").read_text()
    finally:
        worker.stop()
        web.stop()


async def test_a_job_of_a_worker_killed_mid_job_is_run_by_another_and_answered_once(
    backends: Backends, database: str, tmp_path: Path
) -> None:
    env = environment(backends, database)
    sandbox = backends.sandbox
    web = ServerProcess(["bot", "serve"], env, tmp_path / "web.log")
    await asyncio.to_thread(web.start)
    first = Worker(env, tmp_path / "first.log")
    second: Worker | None = None
    user = backends.users[1].slack_id
    try:
        async with httpx.AsyncClient(timeout=30) as http:

            async def queue_empty() -> bool:
                return bool((await http.get(web.url + "/healthz")).json()["pending_tasks"] == 0)

            # ConnectWise answers nothing while the first worker runs the job: it is killed mid-job.
            with sandbox.holding():
                await send_mine(http, web, backends, user)
                await wait_until(
                    lambda: "started (attempt 1)" in first.log_path.read_text(),
                    within=PATIENCE,
                    what="the job started by the first worker",
                )
                await wait_until(sandbox.in_flight, within=PATIENCE, what="a request held by ConnectWise")
                first.kill()
            second = Worker(env, tmp_path / "second.log")
            await wait_until(lambda: answers(backends, user), within=PATIENCE, what="the list of tickets")
            # The queue empties once the second worker has finished the job.
            await wait_until(queue_empty, within=PATIENCE, what="the job to finish")
        assert len(answers(backends, user)) == 1
        assert "started (attempt 2)" in (tmp_path / "second.log").read_text()
    finally:
        if second is not None:
            second.stop()
        first.stop()
        web.stop()


def test_worker_refuses_to_start_on_sqlite(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(REPO),
        "DATABASE_URL": f"sqlite:///{tmp_path}/t.db",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "worker"], env=env, cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "Postgres" in done.stderr

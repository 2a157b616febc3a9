"""A ticket being created when the app dies (kill -9) or is stopped (SIGTERM, a deploy): the app as a real
`python -m bot serve` process on SQLite, ConnectWise (the sandbox) holding the create unanswered. After a
restart there is exactly one ticket and its confirmation reached the engineer."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from create_driver import values_for
from waiting import wait_until

from bench.stack import (
    CHANNEL,
    REPO,
    SIGNING_SECRET,
    Backends,
    ServerProcess,
    app_environment,
    bench_users,
    prepare_database,
)
from bot.ids import Callback, CreateAction
from bot.local import SlackRequestSender
from bot.local import payloads as p
from bot.local.block_state import find_element

SUMMARY = "Payroll PC will not print cheques"
TICKETS = "/service/tickets"
# Generous safety nets only: every wait is on a condition (a loaded machine starts a process slowly).
START_S, WAIT_S = 120.0, 90.0


@pytest.fixture
def backends() -> Iterator[Backends]:
    with Backends(bench_users(1)) as running:
        # A loaded machine may take more than Slack's 3 s between minting a trigger and a job using it.
        running.fake.enforce_trigger_expiry = False
        yield running


@pytest.fixture
def environment(backends: Backends, tmp_path: Path) -> dict[str, str]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'tickets.db'}"
    prepare_database(url, backends.sandbox, backends.users)
    # A create's lease lapses 6 s after its process last renewed it; recovery looks every 2 s.
    return {**app_environment(backends, url), "JOBS_STALLED_AFTER": "6"}


def _showing(view: dict[str, Any] | None, action_id: str) -> dict[str, Any] | None:
    if not view or view.get("callback_id") != Callback.CREATE:
        return None
    try:
        find_element(view["blocks"], action_id)
    except ValueError:
        return None
    return view


def tickets(backends: Backends) -> list[dict[str, Any]]:
    store = backends.sandbox.state.store
    with store.lock:
        return [dict(t) for t in store.tables["tickets"].values() if t["summary"] == SUMMARY]


def confirmations(backends: Backends) -> list[dict[str, Any]]:
    """Every "Ticket #N created in ConnectWise" the app posted (its modal aside)."""
    return [
        c.args
        for c in backends.fake.calls_to("chat.postMessage")
        if "created in ConnectWise" in str(c.args.get("text")) and (c.response or {}).get("ok")
    ]


async def fill_in_new_ticket(
    http: httpx.AsyncClient, app: ServerProcess, backends: Backends
) -> tuple[dict[str, Any], dict[str, Any]]:
    """`/tickets new`, pick the board, fill in the form: (the form, what was typed)."""
    fake, user = backends.fake, backends.users[0].slack_id
    sender = SlackRequestSender(app.events_url, SIGNING_SECRET, http)
    command = p.slash_command(
        "/tickets",
        "new",
        user=user,
        channel=CHANNEL,
        trigger_id=fake.new_trigger_id(user),
        response_url=fake.new_response_url(CHANNEL, user),
    )
    assert (await sender.send(*command)).status_code == 200
    form = await wait_until(
        lambda: _showing(fake.last_view(user), CreateAction.BOARD), within=WAIT_S, what="the form"
    )
    click = p.block_actions(
        CreateAction.BOARD, "1", user=user, view=form, trigger_id=fake.new_trigger_id(user)
    )
    assert (await sender.send(*click)).status_code == 200
    await wait_until(lambda: idle(http, app), within=WAIT_S, what="the board's statuses")
    form = fake.view(form["id"]) or form
    return form, values_for(form, summary=SUMMARY, company=("Acme Corp", "42"), priority="3")


async def submit(
    http: httpx.AsyncClient,
    app: ServerProcess,
    backends: Backends,
    form: dict[str, Any],
    typed: dict[str, Any],
) -> str:
    """Press Create ticket (Slack applies the ack to the modal); the modal's id."""
    fake, user = backends.fake, backends.users[0].slack_id
    sender = SlackRequestSender(app.events_url, SIGNING_SECRET, http)
    ack = await sender.send(*p.view_submission(form, user=user, values=typed))
    assert ack.status_code == 200 and "Creating ticket" in ack.text
    fake.apply_view_response(form["id"], ack.json())
    return str(form["id"])


def made_by_posts(backends: Backends) -> int:
    """Tickets ConnectWise made from POSTs (a POST dropped with its connection made none)."""
    requests = backends.sandbox.requests
    return sum(1 for r in requests if r.method == "POST" and r.path == TICKETS and r.status == 201)


def shows_created(backends: Backends, view_id: str) -> bool:
    view = backends.fake.view(view_id)
    return view is not None and "created in ConnectWise" in str(view.get("blocks"))


async def idle(http: httpx.AsyncClient, app: ServerProcess) -> bool:
    return (await http.get(app.url + "/healthz")).json()["pending_tasks"] == 0


class Processes:
    """The app's processes a test starts (`serve`, `worker`); all stopped when the test ends."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.servers: list[ServerProcess] = []
        self.workers: list[subprocess.Popen[bytes]] = []

    async def serve(self, env: dict[str, str], name: str) -> ServerProcess:
        """A `python -m bot serve` process, answering /healthz."""
        app = ServerProcess(["bot", "serve"], env, self.tmp_path / f"{name}.log")
        self.servers.append(app)
        return await asyncio.to_thread(app.start, START_S)

    def worker(self, env: dict[str, str], name: str) -> subprocess.Popen[bytes]:
        """A `python -m bot worker` process."""
        with (self.tmp_path / f"{name}.log").open("wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "worker"],
                env=env,
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.workers.append(proc)
        return proc

    def stop(self) -> None:
        for proc in self.workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(10)
        for app in self.servers:
            app.stop()


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    running = Processes(tmp_path)
    try:
        yield running
    finally:
        running.stop()


@asynccontextmanager
async def create_in_flight(
    http: httpx.AsyncClient, app: ServerProcess, backends: Backends
) -> AsyncIterator[str]:
    """A New Ticket filled in and submitted while ConnectWise holds its POST unanswered (until the block
    ends); the modal's id."""
    form, typed = await fill_in_new_ticket(http, app, backends)
    sandbox = backends.sandbox
    with sandbox.holding("POST", TICKETS):
        view_id = await submit(http, app, backends, form, typed)
        await wait_until(lambda: sandbox.in_flight("POST", TICKETS), within=WAIT_S, what="the POST")
        yield view_id


async def post_ended(backends: Backends) -> None:
    """The held POST ends: made (the usual case), or dropped with the connection: either way the app
    must end with one ticket."""
    await wait_until(lambda: not backends.sandbox.in_flight("POST", TICKETS), within=WAIT_S, what="the POST")


async def confirmed(http: httpx.AsyncClient, app: ServerProcess, backends: Backends, view_id: str) -> None:
    """The confirmation is posted and shown in the modal, and the app has nothing left to do."""
    await wait_until(lambda: confirmations(backends), within=WAIT_S, what="the confirmation")
    await wait_until(lambda: shows_created(backends, view_id), within=WAIT_S, what="the modal")
    await wait_until(lambda: idle(http, app), within=WAIT_S, what="the app to be idle")


def one_ticket_confirmed_once(backends: Backends) -> dict[str, Any]:
    """The one ticket made (by one POST) and the one confirmation naming it; the confirmation."""
    (made,) = tickets(backends)
    (posted,) = confirmations(backends)
    assert f"#{made['id']}" in posted["text"] and made_by_posts(backends) == 1
    return posted


async def test_a_create_killed_mid_flight_is_confirmed_once_after_a_restart(
    backends: Backends, environment: dict[str, str], processes: Processes
) -> None:
    first = await processes.serve(environment, "first")
    async with httpx.AsyncClient(timeout=60) as http:
        async with create_in_flight(http, first, backends) as view_id:  # ConnectWise is slow to answer
            assert first.proc is not None
            first.proc.send_signal(signal.SIGKILL)
            await asyncio.to_thread(first.proc.wait, 30)
        # Released: ConnectWise finishes the create nobody waits for any more.
        await post_ended(backends)
        assert confirmations(backends) == []

        second = await processes.serve(environment, "second")
        await confirmed(http, second, backends, view_id)
    one_ticket_confirmed_once(backends)


async def test_a_create_in_flight_at_sigterm_is_finished_before_the_process_exits(
    backends: Backends, environment: dict[str, str], processes: Processes
) -> None:
    first = await processes.serve(environment, "first")
    async with httpx.AsyncClient(timeout=60) as http:
        async with create_in_flight(http, first, backends) as view_id:
            assert first.proc is not None
            first.proc.send_signal(signal.SIGTERM)  # a deploy stops the app
            await wait_until(
                lambda: "Shutting down" in first.log_text(), within=WAIT_S, what="the shutdown to begin"
            )
        # ConnectWise answers while the app shuts down: the app finishes the create before exiting.
        # uvicorn re-raises the signal once its graceful shutdown is over.
        assert await asyncio.to_thread(first.proc.wait, WAIT_S) in (0, -signal.SIGTERM)
        assert len(confirmations(backends)) == 1 and shows_created(backends, view_id)

        second = await processes.serve(environment, "second")
        await wait_until(lambda: idle(http, second), within=WAIT_S, what="the app to be idle")
    one_ticket_confirmed_once(backends)


async def test_a_create_still_unanswered_when_sigterm_runs_out_of_grace_is_handed_over(
    backends: Backends, environment: dict[str, str], processes: Processes
) -> None:
    first = await processes.serve(environment, "first")
    async with httpx.AsyncClient(timeout=60) as http:
        # Answered only after the app gave up and exited.
        async with create_in_flight(http, first, backends) as view_id:
            assert first.proc is not None
            first.proc.send_signal(signal.SIGTERM)
            assert await asyncio.to_thread(first.proc.wait, WAIT_S) in (0, -signal.SIGTERM)
        await post_ended(backends)
        assert confirmations(backends) == []

        second = await processes.serve(environment, "second")
        await confirmed(http, second, backends, view_id)
    one_ticket_confirmed_once(backends)
    assert "stopped before ConnectWise answered" not in str(backends.fake.calls)  # no internals shown


JOBS_TESTS = Path(__file__).resolve().parents[1] / "jobs"


@pytest.fixture
async def postgres_environment(backends: Backends) -> AsyncIterator[dict[str, str]]:
    """A fresh Postgres database for `serve` (WORKERS=external) and `worker` processes."""
    if str(JOBS_TESTS) not in sys.path:
        sys.path.insert(0, str(JOBS_TESTS))
    from jobs_kit import fresh_jobs_database

    async with fresh_jobs_database() as url:
        await asyncio.to_thread(prepare_database, url, backends.sandbox, backends.users)
        env = app_environment(backends, url)
        yield {**env, "WORKERS": "external", "JOBS_STALLED_AFTER": "6", "PYTHONPATH": str(REPO)}


@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("TEST_POSTGRES_URL"), reason="needs TEST_POSTGRES_URL")
async def test_a_worker_killed_mid_create_leaves_it_to_another_worker_one_ticket(
    backends: Backends, postgres_environment: dict[str, str], processes: Processes
) -> None:
    env = postgres_environment
    web = await processes.serve(env, "web")
    first = processes.worker(env, "first")
    async with httpx.AsyncClient(timeout=60) as http:
        async with create_in_flight(http, web, backends) as view_id:
            first.send_signal(signal.SIGKILL)
            await asyncio.to_thread(first.wait, 30)
        await post_ended(backends)

        processes.worker(env, "second")  # the job and the claim are picked up here
        await confirmed(http, web, backends, view_id)
    one_ticket_confirmed_once(backends)

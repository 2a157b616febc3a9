"""The job engine on real Postgres and in memory: hand-off, retries, fairness, periodic work once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from jobs_kit import FAST, fresh_jobs_database
from pydantic import BaseModel
from waiting import wait_until

from bot.jobs import JobEngine, JobQueue, JobsConfig, RetryLater, current_attempt
from bot.jobs.connector import EmbeddedConnector, connector_for
from bot.jobs.periodic import current_tick

Runner = Callable[[dict[str, Any]], Any]


class Item(BaseModel):
    """A work item shaped like flows' WorkItem (the queue needs team_id, key and model_dump)."""

    team_id: str
    key: str | None = None
    n: int = 0


@asynccontextmanager
async def engine_on(url: str | None, config: JobsConfig = FAST) -> AsyncIterator[JobEngine]:
    """An opened engine on Postgres (`url`) or in memory (None); its worker is stopped on exit."""
    engine = JobEngine(config, connector_for(url) if url else EmbeddedConnector())
    await engine.open()
    try:
        yield engine
    finally:
        await engine.close()


async def test_work_handed_off_by_a_web_process_is_run_by_a_worker(jobs_db: str) -> None:
    done: asyncio.Queue[int] = asyncio.Queue()

    async def run(item: dict[str, Any]) -> None:
        await done.put(Item.model_validate(item).n)

    async with engine_on(jobs_db) as web, engine_on(jobs_db) as worker:
        queue = JobQueue(web, external=True)
        for n in range(3):
            await queue.submit(Item(team_id="T1", n=n))
        worker.bind(run)
        worker.start_worker(name="w1")
        ran = {await asyncio.wait_for(done.get(), 30) for _ in range(3)}
    assert ran == {0, 1, 2}


async def test_work_that_asks_to_retry_runs_again_and_knows_its_last_attempt() -> None:
    attempts: list[tuple[int, bool]] = []

    async def run(item: dict[str, Any]) -> None:
        attempt = current_attempt()
        attempts.append((attempt.number, attempt.final))
        if not attempt.final:
            raise RetryLater("ConnectWise is busy")

    async with engine_on(None, FAST.model_copy(update={"max_attempts": 3})) as engine:
        engine.bind(run)
        queue = JobQueue(engine)
        engine.start_worker()
        await queue.submit(Item(team_id="T1"))
        await queue.drain(30)
    assert attempts == [(1, False), (2, False), (3, True)]


async def test_work_that_fails_otherwise_is_not_run_again() -> None:
    runs = 0

    async def run(item: dict[str, Any]) -> None:
        nonlocal runs
        runs += 1
        raise RuntimeError("a write whose outcome is unknown")

    async with engine_on(None) as engine:
        engine.bind(run)
        queue = JobQueue(engine)
        engine.start_worker()
        await queue.submit(Item(team_id="T1"))
        await queue.drain(30)
    assert runs == 1


async def test_the_same_action_submitted_twice_while_waiting_is_one_job() -> None:
    async with engine_on(None) as engine:
        queue = JobQueue(engine)
        await queue.submit(Item(team_id="T1", key="click-1"))
        await queue.submit(Item(team_id="T1", key="click-1"))
        await queue.submit(Item(team_id="T1", key="click-2"))
        assert await queue.waiting() == 2


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store_url(request: pytest.FixtureRequest) -> AsyncIterator[str | None]:
    """None (the in-process store) or a fresh Postgres database."""
    if request.param == "memory":
        yield None
        return
    async with fresh_jobs_database() as url:
        yield url


async def test_a_noisy_workspace_does_not_delay_another_workspaces_job(store_url: str | None) -> None:
    url = store_url
    config = FAST.model_copy(update={"concurrency": 8, "workspace_concurrency": 4})
    started: list[str] = []
    quiet_started = asyncio.Event()

    async def run(item: dict[str, Any]) -> None:
        team = Item.model_validate(item).team_id
        started.append(team)
        if team == "TQUIET":
            quiet_started.set()
        else:
            # The noisy jobs hold their slots until the quiet one has started: without fairness they
            # would all run first (FIFO) and this would never happen.
            await asyncio.wait_for(quiet_started.wait(), 30)

    async with engine_on(url, config) as engine:
        queue = JobQueue(engine)
        for _ in range(200):
            await queue.submit(Item(team_id="TNOISY"))
        await queue.submit(Item(team_id="TQUIET"))
        engine.bind(run)
        engine.start_worker()
        await asyncio.wait_for(quiet_started.wait(), 30)
        position = started.index("TQUIET") + 1
        await queue.drain(60)
    # At most workspace_concurrency noisy jobs run at once; the quiet job starts right after them.
    assert position <= config.workspace_concurrency + 1
    assert started.count("TNOISY") == 200


async def test_periodic_work_runs_once_per_tick_across_two_workers(jobs_db: str) -> None:
    runs: list[tuple[str, int | None]] = []
    enough = asyncio.Event()

    def ticker(worker: str) -> Callable[[], Any]:
        async def tick() -> None:
            runs.append((worker, current_tick()))
            if len(runs) >= 4:
                enough.set()

        return tick

    async with engine_on(jobs_db) as a, engine_on(jobs_db) as b:
        for name, engine in (("a", a), ("b", b)):
            engine.periodic.register_periodic("tick", ticker(name), every=1, at_start=False)
            engine.bind(lambda item: asyncio.sleep(0))
            engine.start_worker(name=name)
        await asyncio.wait_for(enough.wait(), 30)
        await a.stop_worker()
        await b.stop_worker()
    ticks = [tick for _, tick in runs]
    assert None not in ticks
    assert len(set(ticks)) == len(ticks), f"a tick ran twice: {runs}"


async def test_a_retry_waiting_for_its_backoff_does_not_hold_its_workspaces_slot(
    store_url: str | None,
) -> None:
    # One slot per workspace: without the retry going below fresh work, every later job of the
    # workspace would queue behind the waiting retry (on Postgres) for the whole backoff.
    config = FAST.model_copy(update={"workspace_concurrency": 1, "retry_base": 3600.0, "max_attempts": 2})
    ran: list[int] = []
    later_done = asyncio.Event()

    async def run(item: dict[str, Any]) -> None:
        n = Item.model_validate(item).n
        ran.append(n)
        if n == 0:
            raise RetryLater("ConnectWise is busy")
        if n == 2:
            later_done.set()

    async with engine_on(store_url, config) as engine:
        engine.bind(run)
        queue = JobQueue(engine)
        engine.start_worker()
        await queue.submit(Item(team_id="T1", n=0))
        for n in (1, 2):
            await queue.submit(Item(team_id="T1", n=n))
        await asyncio.wait_for(later_done.wait(), 30)
    assert ran == [0, 1, 2]  # the retry of job 0 is still waiting its hour


async def test_a_retry_waits_at_least_the_retry_after_it_was_given() -> None:
    from procrastinate.jobs import Job

    from bot.jobs.retry import Backoff

    backoff = Backoff(max_attempts=3, base=1.0)
    job = Job(id=1, queue="work", lock=None, queueing_lock=None, task_name="t", attempts=0)
    plain = backoff.get_retry_decision(exception=RetryLater("busy"), job=job)
    asked = backoff.get_retry_decision(exception=RetryLater("throttled", after=30.0), job=job)
    assert plain is not None and asked is not None and plain.retry_at and asked.retry_at
    assert (asked.retry_at - plain.retry_at).total_seconds() > 25
    assert asked.priority == plain.priority == -1  # below fresh work (0)
    last = Job(id=1, queue="work", lock=None, queueing_lock=None, task_name="t", attempts=2)
    assert backoff.get_retry_decision(exception=RetryLater("busy"), job=last) is None


async def test_a_short_job_runs_in_a_free_slot_while_another_slot_of_its_workspace_holds_a_long_one(
    store_url: str | None,
) -> None:
    # Two slots: the long job holds one; a short job has finished in the other. The next short job
    # must take the free slot, not queue behind the long one (round-robin would put it there).
    config = FAST.model_copy(update={"concurrency": 4, "workspace_concurrency": 2})
    long_started, release = asyncio.Event(), asyncio.Event()
    done: asyncio.Queue[int] = asyncio.Queue()

    async def run(item: dict[str, Any]) -> None:
        n = Item.model_validate(item).n
        if n == 0:
            long_started.set()
            await asyncio.wait_for(release.wait(), 60)
        await done.put(n)

    async with engine_on(store_url, config) as engine:
        queue = JobQueue(engine)
        engine.bind(run)
        engine.start_worker()
        await queue.submit(Item(team_id="T1", n=0))
        await asyncio.wait_for(long_started.wait(), 30)
        await queue.submit(Item(team_id="T1", n=1))
        assert await asyncio.wait_for(done.get(), 30) == 1

        async def only_the_long_job_left() -> bool:
            return await queue.pending() == 1

        await wait_until(only_the_long_job_left, what="the first short job finished")
        await queue.submit(Item(team_id="T1", n=2))
        assert await asyncio.wait_for(done.get(), 30) == 2  # while the long job still holds its slot
        assert not release.is_set()
        release.set()
        assert await asyncio.wait_for(done.get(), 30) == 0
        await queue.drain(30)


async def test_a_job_waiting_behind_its_workspaces_busy_slot_starts_when_the_slot_frees(
    store_url: str | None,
) -> None:
    # One slot, no polling and no periodic job to speak of: the second job is skipped while the first
    # holds the slot, and nothing is inserted after it. It must start because the first one ended
    # (the worker is woken by the end of a job), not at the next poll or periodic insert.
    config = FAST.model_copy(
        update={"workspace_concurrency": 1, "poll_interval": 600.0, "recover_every": 3600}
    )
    first_started, release = asyncio.Event(), asyncio.Event()
    done: asyncio.Queue[int] = asyncio.Queue()

    async def run(item: dict[str, Any]) -> None:
        n = Item.model_validate(item).n
        if n == 0:
            first_started.set()
            await asyncio.wait_for(release.wait(), 60)
        await done.put(n)

    async with engine_on(store_url, config) as engine:
        queue = JobQueue(engine)
        engine.bind(run)
        # The first job is queued before the worker starts, so its first fetch finds it: with polling
        # off, a job inserted while the worker was still setting up LISTEN was never seen (1 run in 16).
        await queue.submit(Item(team_id="T1", n=0))
        engine.start_worker()
        await asyncio.wait_for(first_started.wait(), 30)
        await queue.submit(Item(team_id="T1", n=1))

        async def the_second_is_queued_behind_it() -> bool:
            return await queue.pending() == 2

        await wait_until(the_second_is_queued_behind_it, what="the second job waiting for the slot")
        release.set()
        assert [await asyncio.wait_for(done.get(), 30) for _ in range(2)] == [0, 1]

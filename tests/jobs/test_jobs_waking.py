"""The worker's wake-ups on Postgres: after a fetch that found nothing (a noisy workspace's backlog
waiting behind its busy slots), new jobs' NOTIFYs wake the worker once, a moment later, instead of one
fetch each; a job's end, which frees a lock, wakes it at once. Real Postgres, real LISTEN/NOTIFY."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from procrastinate import App
from procrastinate.jobs import Status
from waiting import wait_until

from bot.jobs import waking
from bot.jobs.connector import postgres_conninfo
from bot.jobs.waking import WakingPsycopgConnector, postgres_connector
from storage.db import normalize_database_url

pytestmark = pytest.mark.postgres

CHANNEL = "procrastinate_queue_v1#work"
_LISTENING = (
    "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() "
    "AND state = 'idle' AND position('LISTEN' in query) = 1"
)


async def _listening(connector: WakingPsycopgConnector) -> bool:
    return bool(await connector.execute_query_all_async(_LISTENING))


@pytest.fixture
async def connector(jobs_db: str) -> AsyncIterator[WakingPsycopgConnector]:
    opened = postgres_connector(postgres_conninfo(normalize_database_url(jobs_db)))
    await opened.open_async()
    try:
        yield opened
    finally:
        await opened.close_async()


async def test_after_an_empty_fetch_new_jobs_wake_the_worker_once_later_and_a_jobs_end_at_once(
    connector: WakingPsycopgConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Hold back for 5 s after any empty fetch, whatever the fetch took (a margin for a loaded machine).
    monkeypatch.setattr(waking, "EMPTY_FETCH_HOLD", 1e9)
    monkeypatch.setattr(waking, "EMPTY_FETCH_HOLD_MAX", 5.0)
    app = App(connector=connector)
    slot = app.task(name="t", queue="work", lock="ws:T1:0")(lambda: None)
    wakes: list[str] = []

    async def woken(*, channel: str, payload: str) -> None:
        wakes.append(payload)

    listening = asyncio.create_task(connector.listen_notify(woken, [CHANNEL]))
    try:
        # A NOTIFY sent before the LISTEN is in place is not delivered: wait for the LISTEN session.
        await wait_until(lambda: _listening(connector), what="the LISTEN session")
        worker = await app.job_manager.register_worker()
        await slot.defer_async()
        await wait_until(lambda: len(wakes) == 1, what="the first job's NOTIFY")
        running = await app.job_manager.fetch_job(queues=["work"], worker_id=worker)
        assert running is not None

        await slot.defer_async()
        await wait_until(lambda: len(wakes) == 2, what="a NOTIFY after a fetch that found a job")
        assert await app.job_manager.fetch_job(queues=["work"], worker_id=worker) is None  # slot busy

        await slot.defer_async()
        await slot.defer_async()
        await wait_until(lambda: connector.held_wakeups == 2, what="two NOTIFYs held back")
        assert len(wakes) == 2

        await app.job_manager.finish_job(running, status=Status.SUCCEEDED, delete_job=False)
        assert len(wakes) == 3  # the slot is free: woken at once

        await wait_until(lambda: len(wakes) == 4, what="the held NOTIFYs, delivered once")
        assert connector.held_wakeups == 2
    finally:
        listening.cancel()
        with pytest.raises(asyncio.CancelledError):
            await listening

"""procrastinate's Postgres connector, fitted to the app's workers (see `WakingPsycopgConnector`)."""

from __future__ import annotations

import asyncio
import json
import time
import weakref
from typing import Any

import psycopg
from procrastinate import PsycopgConnector
from procrastinate.connector import Notify
from procrastinate.sql import queries
from psycopg_pool import AsyncConnectionPool

# Connections the job engine holds per process (fetch/finish, heartbeat, the acks' defers; LISTEN has
# one of its own). All are opened with the engine, so no ack pays for a connection being opened.
ENGINE_POOL_MAX = 4
# A pooled connection idle longer than this is checked (one round trip) before use; one used more
# recently is handed out as it is (psycopg_pool's `check` and `reset` callbacks).
CHECK_IDLE_AFTER = 5.0
WAKE = json.dumps({"type": "job_inserted"})
# A job's end frees its lock: the jobs waiting behind it can start (see WakingPsycopgConnector).
_ENDS_A_RUN = frozenset({queries["finish_job"], queries["retry_job"]})
_FETCH = queries["fetch_job"]
_INSERTED = '"job_inserted"'
# After a fetch that found nothing, a new job's NOTIFY wakes the worker only once this many times the
# fetch's own duration has passed (at most EMPTY_FETCH_HOLD_MAX seconds): see WakingPsycopgConnector.
EMPTY_FETCH_HOLD = 4.0
EMPTY_FETCH_HOLD_MAX = 0.5


_returned_at: weakref.WeakKeyDictionary[psycopg.AsyncConnection[Any], float] = weakref.WeakKeyDictionary()


async def _autocommit(conn: psycopg.AsyncConnection[Any]) -> None:
    await conn.set_autocommit(True)


async def _note_return(conn: psycopg.AsyncConnection[Any]) -> None:
    _returned_at[conn] = time.monotonic()


async def _check_if_idle(conn: psycopg.AsyncConnection[Any]) -> None:
    if time.monotonic() - _returned_at.get(conn, float("-inf")) > CHECK_IDLE_AFTER:
        await AsyncConnectionPool.check_connection(conn)


def _pool_checked_when_idle(**kwargs: Any) -> AsyncConnectionPool[Any]:
    """procrastinate's pool, but the liveness check only for a connection that sat idle.

    procrastinate asks psycopg_pool to check every connection handed out (`check=check_connection`:
    an empty query, one more round trip in front of every job insert). A connection returned less
    than CHECK_IDLE_AFTER seconds ago was just working; psycopg_pool discards broken ones on return.
    """
    kwargs["check"] = _check_if_idle
    kwargs["reset"] = _note_return
    return AsyncConnectionPool(**kwargs)


class WakingPsycopgConnector(PsycopgConnector):
    """procrastinate's Postgres connector, whose worker also fetches again when one of its jobs ends.

    procrastinate's worker fetches when a job is inserted (NOTIFY) or every polling interval. A job
    waiting behind a fairness lock (its workspace's slot busy) is skipped by the fetch, and nothing
    wakes the worker when the lock is freed: it started only on the next insert or poll (up to
    `poll_interval`, 1 s, per queued job). Ending a job here hands the worker the same wake-up a
    NOTIFY would (the notification callback procrastinate gave `listen_notify`).

    No wake-up is lost to a fetch in flight. procrastinate's worker clears its wake-up event when a
    fetch returns (worker.py `_fetch_and_process_jobs`), so a NOTIFY or a job's end that arrives while
    the fetch runs is forgotten. That fetch's snapshot may predate the freed lock or the new job, which
    would then wait for the next poll (1 s in production; in a test with polling off it hung, 1 full
    run in 20). Such a wake-up is given again once the fetch has returned.

    A fetch that finds nothing holds new jobs' wake-ups back for a moment. procrastinate's fetch looks
    at every waiting job until it finds one whose lock is free, so with a noisy workspace's backlog
    behind its busy slots a fetch that finds nothing costs O(backlog): 24 ms of Postgres at 9,000
    waiting. Every insert's NOTIFY woke the worker for another such fetch, so at 1,500 inserts a second
    the worker fetched back to back and Postgres spent a third of a core on it. After an empty fetch,
    an insert's wake-up is delivered `EMPTY_FETCH_HOLD` times that fetch's duration later (one wake-up
    for all that came meanwhile), which keeps empty fetches under a fifth of the time however long
    the backlog. A job's end is delivered at once: it frees a lock, so the next fetch finds a job.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._notify: Notify | None = None
        self._channel = ""
        self._fetching = 0
        self._woken_while_fetching = False
        self._urgent_while_fetching = False
        self._rewakes: set[asyncio.Task[None]] = set()
        self._hold_until = 0.0
        self._held: asyncio.TimerHandle | None = None
        self.held_wakeups = 0  # inserts' wake-ups held back after an empty fetch (all delivered later)

    async def listen_notify(self, on_notification: Notify, channels: Any) -> None:
        channels = list(channels)
        self._notify, self._channel = on_notification, channels[0] if channels else ""
        await super().listen_notify(self._listened, channels)

    async def _listened(self, *, channel: str, payload: str) -> None:
        await self._deliver(channel=channel, payload=payload, urgent=_INSERTED not in payload)

    async def _deliver(self, *, channel: str, payload: str, urgent: bool) -> None:
        if self._notify is None:
            return
        if not urgent:
            wait = self._hold_until - time.monotonic()
            if wait > 0:
                self.held_wakeups += 1
                if self._held is None:
                    self._held = asyncio.get_running_loop().call_later(wait, self._release_held)
                return
        if self._fetching:
            self._woken_while_fetching = True
            self._urgent_while_fetching |= urgent
        await self._notify(channel=channel, payload=payload)

    def _release_held(self) -> None:
        self._held = None
        self._wake_again(urgent=True)

    async def execute_query_async(self, query: Any, **arguments: Any) -> None:
        await super().execute_query_async(query, **arguments)
        if query in _ENDS_A_RUN:
            await self._deliver(channel=self._channel, payload=WAKE, urgent=True)

    async def execute_query_one_async(self, query: Any, **arguments: Any) -> dict[str, Any]:
        if query != _FETCH:
            return await super().execute_query_one_async(query, **arguments)
        self._fetching += 1
        started = time.monotonic()
        try:
            row = await super().execute_query_one_async(query, **arguments)
            ended = time.monotonic()
            found = row.get("id") is not None
            hold = min(EMPTY_FETCH_HOLD * (ended - started), EMPTY_FETCH_HOLD_MAX)
            self._hold_until = 0.0 if found else ended + hold
            return row
        finally:
            self._fetching -= 1
            if self._woken_while_fetching and not self._fetching:
                urgent, self._woken_while_fetching, self._urgent_while_fetching = (
                    self._urgent_while_fetching,
                    False,
                    False,
                )
                # Runs after the worker has cleared its event (it does so without yielding).
                asyncio.get_running_loop().call_soon(self._wake_again, urgent)

    def _wake_again(self, urgent: bool) -> None:
        task = asyncio.ensure_future(self._deliver(channel=self._channel, payload=WAKE, urgent=urgent))
        self._rewakes.add(task)
        task.add_done_callback(self._rewakes.discard)


def postgres_connector(conninfo: str) -> WakingPsycopgConnector:
    """The job engine's connector on Postgres: a pool of ENGINE_POOL_MAX connections, opened at start."""
    return WakingPsycopgConnector(
        conninfo=conninfo,
        min_size=ENGINE_POOL_MAX,
        max_size=ENGINE_POOL_MAX,
        # Every query procrastinate (and the ack) sends is one statement: in autocommit it is one
        # round trip. Without it psycopg wraps each in BEGIN ... COMMIT, two more round trips
        # (psycopg_pool's `configure` runs on every connection it opens; procrastinate runs it on
        # its LISTEN connection too, already in autocommit).
        configure=_autocommit,
        pool_factory=_pool_checked_when_idle,
    )

"""`JobQueue`: the `WorkQueue` the web process hands post-ack work to (one INSERT, or one dict write)."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any, Protocol

from procrastinate.exceptions import AlreadyEnqueued

from bot.jobs.engine import WORK_QUEUE, JobEngine

log = logging.getLogger(__name__)

# On Postgres the backlog is counted at most this often (seconds): one cheap COUNT, not one per submit.
BACKLOG_REFRESH = 1.0
_COUNT_WAITING = (
    "SELECT count(*) AS waiting FROM procrastinate_jobs WHERE status = 'todo' AND queue_name = %(queue)s"
)
_COUNT_UNFINISHED = (
    "SELECT count(*) AS unfinished FROM procrastinate_jobs "
    "WHERE status IN ('todo', 'doing') AND queue_name = %(queue)s"
)
# Unfinished jobs per lock of one workspace's slots (`fairness_lock`): a new job goes to the least busy.
_SLOTS_IN_USE = (
    "SELECT lock, count(*) AS jobs FROM procrastinate_jobs WHERE status IN ('todo', 'doing') "
    "AND left(lock, length(%(prefix)s)) = %(prefix)s GROUP BY lock"
)
# Finished jobs are deleted (successful) or final; what is left waiting or running is unfinished.
_UNFINISHED = "SELECT id FROM procrastinate_jobs WHERE id = ANY(%(ids)s) AND status IN ('todo', 'doing')"


class QueueItem(Protocol):
    """What the queue needs of a work item (flows' WorkItem satisfies it)."""

    @property
    def team_id(self) -> str: ...

    @property
    def key(self) -> str | None: ...

    def model_dump(self, *, mode: str = ...) -> dict[str, Any]: ...


# Called (in the background) when a job is submitted behind `ahead` waiting ones: tell the user an
# answer is coming, so a busy moment is never silence.
BusyNotice = Callable[[Any, int], Awaitable[None]]


def fairness_lock(team_id: str, slot: int) -> str:
    """The procrastinate lock of a workspace's slot.

    Jobs sharing a lock run one at a time, in order, across all workers, and a worker skips every job
    whose lock is taken. Spreading a workspace's jobs over `workspace_concurrency` slots caps it at
    that many running jobs: its 200th waiting job is skipped, not queued in front of another
    workspace's first. A new job goes to the slot with the fewest unfinished jobs (a free one when
    there is one), so a short job never waits behind a long one while another slot is idle.
    """
    return f"{_slot_prefix(team_id)}{slot}"


def _slot_prefix(team_id: str) -> str:
    return f"ws:{team_id}:"


class JobQueue:
    """Hands work items to the job engine; `drain` waits for the jobs it handed over (tests, shutdown)."""

    def __init__(
        self, engine: JobEngine, *, external: bool = False, on_busy: BusyNotice | None = None
    ) -> None:
        self._engine = engine
        self._external = external
        self.on_busy = on_busy
        # Called before the first submit (e.g. start the embedded worker), and by drain for the
        # background tasks the jobs started themselves.
        self.before_submit: Callable[[], Awaitable[None]] | None = None
        self.also_drain: Callable[[float], Awaitable[None]] | None = None
        self._slots = itertools.count()
        self._deferred: set[int] = set()
        self._notices: set[asyncio.Task[None]] = set()
        self._waiting = 0
        self._counted_at = float("-inf")

    async def submit(self, item: QueueItem) -> None:
        """Defer the item as a job; returns as soon as it is stored (never waits for the work)."""
        if self.before_submit is not None:
            await self.before_submit()
        slot = await self._least_busy_slot(item.team_id)
        deferrer = self._engine.work_task.configure(
            lock=fairness_lock(item.team_id, slot),
            # The same action submitted twice while the first still waits (a double click, a Slack
            # retry) is one job; the ledger covers the rest of its life.
            queueing_lock=f"key:{item.team_id}:{item.key}" if item.key else None,
        )
        try:
            job_id = await deferrer.defer_async(**self._engine.job_args(item.model_dump(mode="json")))
        except AlreadyEnqueued:
            log.info("work %s is already queued", item.key)
            return
        if not self._external:
            self._deferred.add(job_id)
        ahead = await self.waiting()
        if ahead >= self._engine.config.busy_backlog and self.on_busy is not None:
            task = asyncio.get_running_loop().create_task(self._notify_busy(item, ahead))
            self._notices.add(task)
            task.add_done_callback(self._notices.discard)

    async def _least_busy_slot(self, team_id: str) -> int:
        """The workspace's slot with the fewest jobs waiting or running; ties go round-robin."""
        slots = self._engine.config.workspace_concurrency
        prefix = _slot_prefix(team_id)
        in_use: dict[str, int] = {}
        store = self._engine.embedded_store
        if store is not None:
            for job in store.jobs.values():
                lock = job.get("lock")
                if job["status"] in ("todo", "doing") and lock and lock.startswith(prefix):
                    in_use[lock] = in_use.get(lock, 0) + 1
        else:
            rows = await self._engine.connector.execute_query_all_async(_SLOTS_IN_USE, prefix=prefix)
            in_use = {str(row["lock"]): int(row["jobs"]) for row in rows}
        start = next(self._slots)
        order = [(start + n) % slots for n in range(slots)]
        return min(order, key=lambda slot: in_use.get(f"{prefix}{slot}", 0))

    async def _notify_busy(self, item: QueueItem, ahead: int) -> None:
        assert self.on_busy is not None
        try:
            await self.on_busy(item, ahead)
        except Exception:
            log.exception("could not tell a user their work is queued")

    async def waiting(self) -> int:
        """Jobs waiting to start (all workspaces), counted at most once a second on Postgres."""
        store = self._engine.embedded_store
        if store is not None:
            return store.waiting()
        now = time.monotonic()
        if now - self._counted_at >= BACKLOG_REFRESH:
            self._counted_at = now
            row = await self._engine.connector.execute_query_one_async(_COUNT_WAITING, queue=WORK_QUEUE)
            self._waiting = int(row["waiting"])
        return self._waiting

    async def drain(self, within: float = 30.0) -> None:
        """Wait up to `within` s until the work handed over from here is done (TimeoutError if not).

        With external workers the hand-off is complete once stored: nothing to wait for here.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        async with asyncio.timeout_at(deadline):
            while True:
                if self._notices:
                    await asyncio.gather(*self._notices, return_exceptions=True)
                if not self._external:
                    await self._drain_jobs()
                if self.also_drain is not None:
                    await self.also_drain(max(0.0, deadline - loop.time()))
                # The background tasks may have submitted more work meanwhile.
                if self._external or not self._unfinished():
                    return

    async def pending(self) -> int:
        """Jobs waiting or running (on Postgres: of every process), for health checks."""
        store = self._engine.embedded_store
        if store is not None:
            return store.unfinished()
        row = await self._engine.connector.execute_query_one_async(_COUNT_UNFINISHED, queue=WORK_QUEUE)
        return int(row["unfinished"])

    def _unfinished(self) -> bool:
        store = self._engine.embedded_store
        return bool(store.unfinished()) if store is not None else bool(self._deferred)

    async def _drain_jobs(self) -> None:
        store = self._engine.embedded_store
        if store is None:
            await self._drain_postgres()
            return
        while store.unfinished():
            store.changed.clear()
            await store.changed.wait()

    async def _drain_postgres(self) -> None:
        pause = 0.02
        while self._deferred:
            rows = await self._engine.connector.execute_query_all_async(_UNFINISHED, ids=list(self._deferred))
            self._deferred = {int(row["id"]) for row in rows}
            if self._deferred:
                await asyncio.sleep(pause)  # production shutdown path: no notification to wait on
                pause = min(pause * 2, 0.5)

    async def aclose(self) -> None:
        """Cancel pending busy notices (shutdown)."""
        for task in list(self._notices):
            task.cancel()
        with suppress(Exception):
            await asyncio.gather(*self._notices, return_exceptions=True)

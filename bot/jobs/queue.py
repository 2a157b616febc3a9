"""`JobQueue`: the `WorkQueue` the web process hands post-ack work to (a batched statement, or a dict)."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol

from procrastinate.exceptions import AlreadyEnqueued

from bot.jobs.engine import WORK_QUEUE, WORK_TASK, JobEngine
from bot.jobs.handoff import HandOff, HandOffBatcher, Outcome

log = logging.getLogger(__name__)

# On Postgres the backlog is counted at most this often (seconds): one cheap COUNT, not one per submit.
BACKLOG_REFRESH = 1.0
# Busy notices posted at once by a process (work without an ack that can carry one: clicks, events).
# Past this, the user's answer is what they see: a process at its busiest does not add hundreds of posts.
MAX_NOTICES = 16
_COUNT_WAITING = (
    "SELECT count(*) AS waiting FROM procrastinate_jobs WHERE status = 'todo' AND queue_name = %(queue)s"
)
_COUNT_UNFINISHED = (
    "SELECT count(*) AS unfinished FROM procrastinate_jobs "
    "WHERE status IN ('todo', 'doing') AND queue_name = %(queue)s"
)
# Finished jobs are deleted (successful) or final; what is left waiting or running is unfinished.
_UNFINISHED = "SELECT id FROM procrastinate_jobs WHERE id = ANY(%(ids)s) AND status IN ('todo', 'doing')"

_RECORD_DELIVERY = (
    "INSERT INTO processed_events (team_id, event_id, received_at) "
    "VALUES (%(scope)s::text, %(delivery)s::text, now()) "
    "ON CONFLICT DO NOTHING RETURNING 1"
)


@dataclass
class Delivery:
    """A signed Slack request whose replay check is left to the job hand-off (bot/replay.py).

    Recorded in the hand-off's own statement: `first` tells whether it was new (None: not yet)."""

    scope: str
    key: str
    first: bool | None = None


# Set by the server around the dispatch of a request whose listener only hands work off.
PENDING_DELIVERY: ContextVar[Delivery | None] = ContextVar("pending_delivery", default=None)


@dataclass
class AckRoom:
    """Set around a hand-off whose ack can still carry a message (a slash command's): a busy notice
    goes into that ack (`ahead`: jobs waiting before it) instead of a post from this process."""

    ahead: int | None = None


ACK_ROOM: ContextVar[AckRoom | None] = ContextVar("ack_room", default=None)


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
        self._counting: asyncio.Task[None] | None = None
        self._handoffs = HandOffBatcher(
            engine.connector,
            queue=WORK_QUEUE,
            task=WORK_TASK,
            slots=engine.config.workspace_concurrency,
        )

    @property
    def durable(self) -> bool:
        """Whether jobs go to Postgres (shared by every process), where a delivery can be recorded."""
        return self._engine.embedded_store is None

    async def submit(self, item: QueueItem) -> None:
        """Defer the item as a job; returns as soon as it is stored (never waits for the work)."""
        if self.before_submit is not None:
            await self.before_submit()
        # The same action submitted twice while the first still waits (a double click, a Slack
        # retry) is one job; the ledger covers the rest of its life.
        queueing_lock = f"key:{item.team_id}:{item.key}" if item.key else None
        args = self._engine.job_args(item.model_dump(mode="json"))
        try:
            if self.durable:
                job_id = await self._defer_on_postgres(item.team_id, queueing_lock, args)
                if job_id is None:
                    return  # a replayed delivery: nothing to do
            else:
                slot = self._least_busy_slot(item.team_id)
                deferrer = self._engine.work_task.configure(
                    lock=fairness_lock(item.team_id, slot), queueing_lock=queueing_lock
                )
                job_id = await deferrer.defer_async(**args)
        except AlreadyEnqueued:
            # On Postgres the hand-off recorded the delivery all the same (bot/jobs/handoff.py).
            log.info("work %s is already queued", item.key)
            return
        if not self._external:
            self._deferred.add(job_id)
        ahead = self.waiting_now()
        if ahead < self._engine.config.busy_backlog:
            return
        room = ACK_ROOM.get()
        if room is not None:
            room.ahead = ahead  # no post, no task: the ack itself tells the user
        elif self.on_busy is not None and len(self._notices) < MAX_NOTICES:
            task = asyncio.get_running_loop().create_task(self._notify_busy(item, ahead))
            self._notices.add(task)
            task.add_done_callback(self._notices.discard)

    async def _defer_on_postgres(
        self, team_id: str, queueing_lock: str | None, args: dict[str, Any]
    ) -> int | None:
        """The pending delivery's record, the least busy slot and the job, in one statement shared
        with the hand-offs that arrive at the same time (None: a replay)."""
        delivery = PENDING_DELIVERY.get()
        if delivery is not None and delivery.first is not None:
            delivery = None  # already recorded (a second submit of the same request)
        handed = await self._handoffs.hand_off(
            HandOff(
                slot_prefix=_slot_prefix(team_id),
                args=args,
                queueing_lock=queueing_lock,
                scope=delivery.scope if delivery else None,
                delivery=delivery.key if delivery else None,
            )
        )
        if delivery is not None:
            delivery.first = handed.outcome is not Outcome.REPLAYED
        if handed.outcome is Outcome.REPLAYED:
            log.warning("ignored a replayed request (its work was already handed off)")
            return None
        if handed.outcome is Outcome.ALREADY_QUEUED:
            raise AlreadyEnqueued(queueing_lock)
        assert handed.job_id is not None
        return handed.job_id

    async def first_delivery(self, delivery: Delivery) -> bool:
        """Record a delivery on its own (one statement on the engine's open pool); False: seen before."""
        if self.before_submit is not None:
            await self.before_submit()  # the engine open (done at the server's start)
        rows = await self._engine.connector.execute_query_all_async(
            _RECORD_DELIVERY, scope=delivery.scope, delivery=delivery.key
        )
        return bool(rows)

    def _least_busy_slot(self, team_id: str) -> int:
        """In memory: the workspace's slot with the fewest jobs waiting or running; ties round-robin.

        (On Postgres the same choice is made inside the hand-off's statement, bot/jobs/handoff.py.)"""
        slots = self._engine.config.workspace_concurrency
        store = self._engine.embedded_store
        assert store is not None
        start = next(self._slots)
        order = [(start + n) % slots for n in range(slots)]
        return min(order, key=lambda slot: store.unfinished_in(fairness_lock(team_id, slot)))

    async def _notify_busy(self, item: QueueItem, ahead: int) -> None:
        assert self.on_busy is not None
        try:
            await self.on_busy(item, ahead)
        except Exception:
            log.exception("could not tell a user their work is queued")

    async def waiting(self) -> int:
        """Jobs waiting to start (all workspaces); on Postgres counted now."""
        store = self._engine.embedded_store
        if store is not None:
            return store.waiting()
        await self._count()
        return self._waiting

    def waiting_now(self) -> int:
        """Jobs waiting to start, without waiting: on Postgres the last count (at most a second old;
        a stale one is refreshed in the background, off the ack)."""
        store = self._engine.embedded_store
        if store is not None:
            return store.waiting()
        if time.monotonic() - self._counted_at >= BACKLOG_REFRESH and (
            self._counting is None or self._counting.done()
        ):
            self._counting = asyncio.get_running_loop().create_task(self._count_quietly())
        return self._waiting

    async def _count(self) -> None:
        self._counted_at = time.monotonic()
        row = await self._engine.connector.execute_query_one_async(_COUNT_WAITING, queue=WORK_QUEUE)
        self._waiting = int(row["waiting"])

    async def _count_quietly(self) -> None:
        try:
            await self._count()
        except Exception:
            log.warning("could not count the jobs waiting", exc_info=True)

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
        """Finish the hand-offs in flight; cancel pending busy notices and backlog counts (shutdown)."""
        await self._handoffs.aclose()
        if self._counting is not None:
            self._counting.cancel()
            with suppress(BaseException):
                await self._counting
        for task in list(self._notices):
            task.cancel()
        with suppress(Exception):
            await asyncio.gather(*self._notices, return_exceptions=True)

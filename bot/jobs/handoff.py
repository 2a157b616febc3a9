"""The hand-off to Postgres: the hand-offs that arrive together go in one statement, one commit.

Every ack on Postgres waits for its hand-off to be durable: the request's signature recorded as seen
(bot/replay.py), the workspace's least busy fairness slot chosen and the job inserted, in one
transaction. Sent one per ack, each paid a round trip, a commit (a WAL flush) and the slot counts, and
Postgres, not the web process, set the acks' pace: 596 acks/s with the web process at 41% of its core
and Postgres at 79% of the other (50 clients in a closed loop, 2026-12-07).

`HandOffBatcher` sends a hand-off at once when fewer than `MAX_IN_FLIGHT` statements are running;
the ones that arrive meanwhile wait for the next statement, which carries them all (up to `MAX_ROWS`).
So a quiet web process sends each hand-off alone, with no added delay, and a busy one sends one
statement per batch: one round trip and one commit for many acks, and the slot counts made once per
workspace in the batch. Each hand-off is still its own outcome: new job, replay, or already queued.

The statement calls `bot_hand_off_v1` (installed by bot/jobs/schema.py), which inserts each job
with procrastinate's own `procrastinate_defer_jobs_v1` (what `defer_async` runs).
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from procrastinate import BaseConnector
from procrastinate.manager import QUEUEING_LOCK_CONSTRAINT
from psycopg.types.json import Jsonb

# Statements running at once (the engine's pool holds 4 connections; the others stay free for the
# backlog count and, in a `serve` that runs jobs, the worker's fetches).
MAX_IN_FLIGHT = 2
# Rows in one statement: a batch this size commits in a few milliseconds; more would wait longer.
MAX_ROWS = 200
# Beyond this many unfinished jobs, a workspace's slots count as equally busy (round-robin): the count
# is capped on the index bot/jobs/schema.py adds, so a hand-off's cost does not grow with a noisy
# workspace's backlog (counting them all took 1.5-3.3 ms of Postgres at 3,000 waiting, 0.24 ms capped).
SLOT_COUNT_CAP = 64
# The advisory-lock space (first key) of the queueing locks a batch takes before inserting: "bot".
QUEUEING_LOCKS_SPACE = 0x626F74

# One row per hand-off, in the order of the batch (`item_no`, from 1):
# - deliveries first, all of them in one INSERT sorted by key, then an advisory lock per queueing
#   lock, sorted too: two batches that share keys take them in the same order, so they never deadlock
#   (the jobs themselves are inserted per workspace in the order their requests arrived);
# - a delivery already recorded (by an earlier request or earlier in this batch) is `replayed`;
# - the slot counts are read once per workspace in the batch, then kept up to date as jobs are added;
# - a queueing lock taken by a waiting twin is `already_queued` (only that job's subtransaction is
#   rolled back; its delivery stays recorded, as `defer_async`'s AlreadyEnqueued leaves it).
FUNCTION = f"""
CREATE OR REPLACE FUNCTION bot_hand_off_v1(
    _queue text, _task text, _slots int, _start int, _items jsonb
) RETURNS TABLE (item_no int, deferred_id bigint, outcome text)
LANGUAGE plpgsql AS $$
DECLARE
    item record;
    fresh text[];
    busy int[];
    counted_prefix text := NULL;
    pick int;
    job procrastinate_job_to_defer_v1;
    violated text;
    lock_key int;
BEGIN
    IF jsonb_path_exists(_items, '$[*] ? (@.delivery != null)') THEN
        WITH recorded AS (
            INSERT INTO processed_events (team_id, event_id, received_at)
            SELECT DISTINCT e->>'scope', e->>'delivery', now()
            FROM jsonb_array_elements(_items) AS e
            WHERE e->>'delivery' IS NOT NULL
            ORDER BY 1, 2
            ON CONFLICT DO NOTHING
            RETURNING team_id || ' ' || event_id AS key
        )
        SELECT array_agg(key) INTO fresh FROM recorded;
    END IF;
    fresh := coalesce(fresh, '{{}}');
    FOR lock_key IN
        SELECT DISTINCT hashtext(e->>'queueing_lock') FROM jsonb_array_elements(_items) AS e
        WHERE e->>'queueing_lock' IS NOT NULL ORDER BY 1
    LOOP
        PERFORM pg_advisory_xact_lock({QUEUEING_LOCKS_SPACE}, lock_key);
    END LOOP;

    FOR item IN
        SELECT n::int AS n, e->>'scope' || ' ' || (e->>'delivery') AS delivery, e->>'prefix' AS prefix,
               e->>'queueing_lock' AS queueing_lock, e->'args' AS args
        FROM jsonb_array_elements(_items) WITH ORDINALITY AS t (e, n)
        ORDER BY e->>'prefix', n
    LOOP
        item_no := item.n;
        deferred_id := NULL;
        IF item.delivery IS NOT NULL THEN
            IF NOT item.delivery = ANY (fresh) THEN
                outcome := 'replayed';
                RETURN NEXT;
                CONTINUE;
            END IF;
            fresh := array_remove(fresh, item.delivery);
        END IF;
        IF counted_prefix IS DISTINCT FROM item.prefix THEN
            counted_prefix := item.prefix;
            SELECT array_agg((
                SELECT count(*) FROM (
                    SELECT 1 FROM procrastinate_jobs AS j
                    WHERE j.lock = item.prefix || s AND j.status IN ('todo', 'doing')
                    LIMIT {SLOT_COUNT_CAP}
                ) AS unfinished
            ) ORDER BY s) INTO busy
            FROM generate_series(0, _slots - 1) AS s;
        END IF;
        SELECT s INTO pick FROM generate_series(0, _slots - 1) AS s
        ORDER BY busy[s + 1], ((s - _start - item.n) % _slots + _slots) % _slots
        LIMIT 1;
        job := ROW(
            _queue, _task, 0, item.prefix || pick, item.queueing_lock, item.args, NULL::timestamptz
        )::procrastinate_job_to_defer_v1;
        IF item.queueing_lock IS NULL THEN
            deferred_id := (procrastinate_defer_jobs_v1(ARRAY[job]))[1];
        ELSE
            -- A subtransaction only where a twin can refuse the job (more than 64 in a transaction
            -- would slow every other session's snapshots).
            BEGIN
                deferred_id := (procrastinate_defer_jobs_v1(ARRAY[job]))[1];
            EXCEPTION WHEN unique_violation THEN
                GET STACKED DIAGNOSTICS violated = CONSTRAINT_NAME;
                IF violated IS DISTINCT FROM '{QUEUEING_LOCK_CONSTRAINT}' THEN
                    RAISE;
                END IF;
                outcome := 'already_queued';
                RETURN NEXT;
                CONTINUE;
            END;
        END IF;
        busy[pick + 1] := busy[pick + 1] + 1;
        outcome := 'deferred';
        RETURN NEXT;
    END LOOP;
END;
$$
"""
_CALL = (
    "SELECT item_no, deferred_id, outcome FROM "
    "bot_hand_off_v1(%(queue)s, %(task)s, %(slots)s, %(start)s, %(items)s)"
)


class Outcome(enum.Enum):
    DEFERRED = "deferred"
    REPLAYED = "replayed"  # the delivery was recorded before: nothing was inserted
    ALREADY_QUEUED = "already_queued"  # its queueing lock's twin still waits: nothing was inserted


@dataclass(frozen=True)
class HandOff:
    """One job to insert into a workspace's least busy slot; with `delivery`, only if that is new."""

    slot_prefix: str
    args: dict[str, Any]
    queueing_lock: str | None = None
    scope: str | None = None
    delivery: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "prefix": self.slot_prefix,
            "args": self.args,
            "queueing_lock": self.queueing_lock,
            "scope": self.scope,
            "delivery": self.delivery,
        }


@dataclass(frozen=True)
class Handed:
    outcome: Outcome
    job_id: int | None = None


_Waiting = tuple[HandOff, "asyncio.Future[Handed]"]


class HandOffBatcher:
    """Sends hand-offs to Postgres, together when they arrive together (see the module's docstring)."""

    def __init__(
        self,
        connector: BaseConnector,
        *,
        queue: str,
        task: str,
        slots: int,
        max_in_flight: int = MAX_IN_FLIGHT,
        max_rows: int = MAX_ROWS,
    ) -> None:
        self._connector = connector
        self._queue = queue
        self._task = task
        self._slots = slots
        self._max_in_flight = max_in_flight
        self._max_rows = max_rows
        self._waiting: list[_Waiting] = []
        self._senders: set[asyncio.Task[None]] = set()
        self._started = 0  # round-robin start among equally busy slots

    def hand_off(self, handoff: HandOff) -> asyncio.Future[Handed]:
        """Queue the job at once; the future resolves once its statement has committed.

        A cancelled ack (client gone) does not take its hand-off back: cancelling the future returned
        here leaves the queued hand-off to be sent."""
        future: asyncio.Future[Handed] = asyncio.get_running_loop().create_future()
        self._waiting.append((handoff, future))
        self._start_sender()
        return asyncio.shield(future)

    def _start_sender(self) -> None:
        if len(self._senders) < self._max_in_flight:
            task = asyncio.get_running_loop().create_task(self._send_waiting())
            self._senders.add(task)
            task.add_done_callback(self._sender_done)

    def _sender_done(self, task: asyncio.Task[None]) -> None:
        # A sender that found nothing waiting still counts until this callback: a hand-off queued in
        # between started no sender of its own, and without this look it would wait for the next one
        # (in a quiet process, forever, and its ack with it).
        self._senders.discard(task)
        if self._waiting and not task.cancelled():
            self._start_sender()

    async def aclose(self) -> None:
        """Wait for the statements in flight and the hand-offs queued behind them (shutdown)."""
        while self._senders:
            await asyncio.gather(*self._senders, return_exceptions=True)

    async def _send_waiting(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[: self._max_rows], self._waiting[self._max_rows :]
            await self._send(batch)

    async def _send(self, batch: Sequence[_Waiting]) -> None:
        try:
            rows = await self._run([handoff for handoff, _ in batch])
        except Exception as exc:
            if len(batch) > 1 and _row_specific(exc):
                # One row's data was refused (the whole statement rolled back): each goes alone, so
                # only that request fails.
                for one in batch:
                    await self._send([one])
                return
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), handed in zip(batch, rows, strict=True):
            if not future.done():
                future.set_result(handed)

    async def _run(self, handoffs: Sequence[HandOff]) -> list[Handed]:
        start = self._started % self._slots
        self._started += len(handoffs)
        rows = await self._connector.execute_query_all_async(
            _CALL,
            queue=self._queue,
            task=self._task,
            slots=self._slots,
            start=start,
            items=Jsonb([h.as_json() for h in handoffs]),
        )
        by_number = {int(row["item_no"]): row for row in rows}
        handed = []
        for number in range(1, len(handoffs) + 1):
            row = by_number[number]
            job_id = row["deferred_id"]
            handed.append(Handed(Outcome(row["outcome"]), None if job_id is None else int(job_id)))
        return handed


def _row_specific(exc: BaseException) -> bool:
    """A refusal of the data itself (SQLSTATE classes 22 and 23), not of the connection: a statement
    that failed that way committed nothing, so its rows can be sent again one by one."""
    cause = exc.__cause__ if exc.__cause__ is not None else exc
    return isinstance(cause, psycopg.DataError | psycopg.IntegrityError)

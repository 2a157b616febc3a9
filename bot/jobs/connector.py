"""Where jobs live: Postgres (durable, shared by every process) or this process's memory (SQLite installs)."""

from __future__ import annotations

import asyncio
import bisect
import datetime
from collections import Counter
from collections.abc import Iterable
from typing import Any

from procrastinate import BaseConnector, utils
from procrastinate.exceptions import UniqueViolation
from procrastinate.manager import QUEUEING_LOCK_CONSTRAINT
from procrastinate.testing import InMemoryConnector
from sqlalchemy.engine import URL

from bot.jobs.waking import WAKE, postgres_connector
from storage.db import normalize_database_url

WORK_QUEUE = "work"  # users' post-ack work (periodic jobs have a queue of their own)


def postgres_conninfo(url: URL) -> str:
    """libpq connection string for psycopg from the app's (asyncpg) DATABASE_URL."""
    query = dict(url.query)
    if "ssl" in query:  # asyncpg spells libpq's sslmode `ssl` (storage.db.normalize_database_url)
        query["sslmode"] = query.pop("ssl")
    plain = url.set(drivername="postgresql", query=query)
    return plain.render_as_string(hide_password=False)


def is_postgres(database_url: str) -> bool:
    """True when DATABASE_URL names a Postgres database (jobs are then durable and shared)."""
    return normalize_database_url(database_url).get_backend_name() == "postgresql"


def connector_for(database_url: str) -> BaseConnector:
    """A psycopg pool on Postgres; on SQLite the in-process store (jobs do not outlive the process)."""
    url = normalize_database_url(database_url)
    if url.get_backend_name() == "postgresql":
        return postgres_connector(postgres_conninfo(url))
    return EmbeddedConnector()


class EmbeddedConnector(InMemoryConnector):
    """procrastinate's in-memory store, made fit for a long-running process.

    The parent is written for tests: it records every query and keeps every job's event list forever.
    Here finished jobs are deleted (the worker runs with delete_jobs="always") with their events, and
    queries are not recorded, so memory stays bounded. `changed` wakes `JobQueue.drain`.

    What a hand-off asks (unfinished jobs per lock for the least busy slot, queueing locks of waiting
    jobs, the waiting count) is kept in counters updated on every change of a job's status, not found
    by scanning every job: with a backlog of n jobs each hand-off cost O(n), so a burst cost O(n²) and
    the jobs' thread spent 83% of its time storing jobs (py-spy, 50 clients in a closed loop). The
    waiting jobs are also kept per lock in the fetch's order, so a fetch looks at one job per free lock
    (it was a pass over the backlog per job run: 16% of that thread after the counters).
    """

    def reset(self) -> None:
        super().reset()
        self._unfinished = 0
        self._todo_work = 0
        self._doing_by_lock: Counter[str] = Counter()
        self._todo_queueing_locks: Counter[str] = Counter()
        # Waiting jobs per lock, each list sorted as the fetch prefers them: (-priority, id).
        self._todo_by_lock: dict[str | None, list[tuple[int, int]]] = {}
        # Waiting jobs scheduled for a moment (retries): they count as waiting only once due.
        self._todo_scheduled: set[int] = set()

    def __init__(self) -> None:
        super().__init__()
        self.changed = asyncio.Event()
        # Work jobs due and not started, as of the last fetch (at least every poll interval) and the
        # hand-offs since; one int, so another thread (the web thread's acks) can read it.
        self.waiting_seen = 0

    def _count(self, job: dict[str, Any], sign: int) -> None:
        """Add (1) or remove (-1) a job's part in the counters, as its status stands."""
        status = job["status"]
        if status not in ("todo", "doing"):
            return
        self._unfinished += sign
        if status == "doing":
            _add(self._doing_by_lock, job["lock"], sign)
            return
        _add(self._todo_queueing_locks, job["queueing_lock"], sign)
        self._todo_work += sign * (job["queue_name"] == WORK_QUEUE)
        key = (-job["priority"], job["id"])
        if sign > 0:
            bisect.insort(self._todo_by_lock.setdefault(job["lock"], []), key)
            if job["scheduled_at"]:
                self._todo_scheduled.add(job["id"])
            return
        bucket = self._todo_by_lock[job["lock"]]
        del bucket[bisect.bisect_left(bucket, key)]
        if not bucket:
            del self._todo_by_lock[job["lock"]]
        self._todo_scheduled.discard(job["id"])

    async def generic_execute(self, query: str, suffix: Any, **arguments: Any) -> Any:
        query_name = self.reverse_queries[query]
        return await getattr(self, f"{query_name}_{suffix}")(**arguments)

    @property
    def current_locks(self) -> set[str]:
        return set(self._doing_by_lock)

    async def fetch_job_one(self, queues: Iterable[str] | None, worker_id: int) -> dict[str, Any]:
        """The parent's fetch (same choice: the highest priority, then the oldest, of the due jobs whose
        lock is free), without a pass over the backlog: only the first due job of each free lock's
        sorted list is looked at (the parent recomputed the running jobs' locks for every waiting job:
        with 5,540 jobs waiting the worker crawled, 184 answered in 300 s)."""
        assert worker_id in self.workers, f"Worker {worker_id} not found"
        wanted = None if queues is None else set(queues)
        now = utils.utcnow()
        best: dict[str, Any] | None = None
        best_key: tuple[int, int] | None = None
        for lock, bucket in self._todo_by_lock.items():
            if lock in self._doing_by_lock:
                continue
            for key in bucket:
                if best_key is not None and key >= best_key:
                    break
                job = self.jobs[key[1]]
                if (job["scheduled_at"] and job["scheduled_at"] > now) or (
                    wanted is not None and job["queue_name"] not in wanted
                ):
                    continue
                best, best_key = job, key
                break
        later = sum(
            1
            for job_id in self._todo_scheduled
            if self.jobs[job_id]["scheduled_at"] > now and self.jobs[job_id]["queue_name"] == WORK_QUEUE
        )
        self.waiting_seen = self._todo_work - later - (best is not None and best["queue_name"] == WORK_QUEUE)
        if best is None:
            return {"id": None}
        self._count(best, -1)
        best["status"] = "doing"
        best["worker_id"] = worker_id
        self._count(best, 1)
        self.events[best["id"]].append({"type": "started", "at": now})
        return best

    async def defer_jobs_all(self, jobs: list[Any]) -> list[dict[str, Any]]:
        """Insert jobs, refusing the whole batch when a queueing lock is taken by a waiting job (or
        twice in the batch), as Postgres' unique index does."""
        locks = [job.queueing_lock for job in jobs if job.queueing_lock is not None]
        duplicate = next(
            (lock for lock in locks if self._todo_queueing_locks[lock] or locks.count(lock) > 1), None
        )
        if duplicate is not None:
            raise UniqueViolation(constraint_name=QUEUEING_LOCK_CONSTRAINT, queueing_lock=duplicate)
        # Counted before the insert, which wakes the worker: a fetch meanwhile counts afresh.
        self.waiting_seen += sum(1 for job in jobs if job.queue_name == WORK_QUEUE and not job.scheduled_at)
        rows = []
        for job in jobs:
            job_id = next(self.job_counter)
            row: dict[str, Any] = {
                "id": job_id,
                "queue_name": job.queue_name,
                "task_name": job.task_name,
                "priority": job.priority,
                "lock": job.lock,
                "queueing_lock": job.queueing_lock,
                "args": job.args,
                "status": "todo",
                "scheduled_at": job.scheduled_at,
                "attempts": 0,
                "abort_requested": False,
                "worker_id": None,
            }
            self.jobs[job_id] = row
            self._count(row, 1)
            self.events[job_id] = [{"type": "deferred", "at": utils.utcnow()}]
            await self._notify(job.queue_name, {"type": "job_inserted", "job_id": job_id})
            rows.append(row)
        return rows

    async def finish_job_run(self, job_id: int, status: str, delete_job: bool) -> None:
        self._count(self.jobs[job_id], -1)
        await super().finish_job_run(job_id, status, delete_job)
        if delete_job:
            self.events.pop(job_id, None)
        else:
            self._count(self.jobs[job_id], 1)
        self.changed.set()
        await self._wake()

    async def _wake(self) -> None:
        # As WakingPsycopgConnector: the job's lock is free, the jobs behind it may start now.
        if self.on_notification is not None and self.notify_channels:
            await self.on_notification(channel=self.notify_channels[0], payload=WAKE)

    async def retry_job_run(
        self,
        job_id: int,
        retry_at: datetime.datetime,
        new_priority: int | None = None,
        new_queue_name: str | None = None,
        new_lock: str | None = None,
    ) -> None:
        self._count(self.jobs[job_id], -1)
        await super().retry_job_run(job_id, retry_at, new_priority, new_queue_name, new_lock)
        self._count(self.jobs[job_id], 1)
        # Keep only the latest events: a job retried many times must not grow without bound.
        self.events[job_id] = self.events[job_id][-2:]
        self.changed.set()
        await self._wake()

    async def cancel_job_one(self, job_id: int, abort: bool, delete_job: bool) -> dict[str, Any]:
        self._count(self.jobs[job_id], -1)
        try:
            return await super().cancel_job_one(job_id, abort, delete_job)
        finally:
            if job_id in self.jobs:
                self._count(self.jobs[job_id], 1)
            self.changed.set()

    async def set_job_status_run(self, id: int, status: str) -> None:
        self._count(self.jobs[int(id)], -1)
        await super().set_job_status_run(id, status)
        self._count(self.jobs[int(id)], 1)

    def unfinished(self) -> int:
        """Jobs waiting or running."""
        return self._unfinished

    def unfinished_in(self, lock: str) -> int:
        """Jobs waiting or running under `lock` (a workspace's fairness slot)."""
        return self._doing_by_lock[lock] + len(self._todo_by_lock.get(lock, ()))

    def waiting(self) -> int:
        """Work jobs not started yet (as Postgres counts them)."""
        return self._todo_work


def _add(counter: Counter[str], key: str | None, sign: int) -> None:
    """Change a count, forgetting keys that fall to zero (queueing locks are one per action)."""
    if key is None:
        return
    value = counter[key] + sign
    if value:
        counter[key] = value
    else:
        del counter[key]

"""Where jobs live: Postgres (durable, shared by every process) or this process's memory (SQLite installs)."""

from __future__ import annotations

import asyncio
import datetime
from typing import Any

from procrastinate import BaseConnector, PsycopgConnector
from procrastinate.testing import InMemoryConnector
from sqlalchemy.engine import URL

from storage.db import normalize_database_url

# Connections the job engine itself holds per process: LISTEN, fetch/finish, heartbeat, defer.
ENGINE_POOL_MAX = 4


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
        return PsycopgConnector(conninfo=postgres_conninfo(url), min_size=1, max_size=ENGINE_POOL_MAX)
    return EmbeddedConnector()


class EmbeddedConnector(InMemoryConnector):
    """procrastinate's in-memory store, made fit for a long-running process.

    The parent is written for tests: it records every query and keeps every job's event list forever.
    Here finished jobs are deleted (the worker runs with delete_jobs="always") with their events, and
    queries are not recorded, so memory stays bounded. `changed` wakes `JobQueue.drain`.
    """

    def __init__(self) -> None:
        super().__init__()
        self.changed = asyncio.Event()

    async def generic_execute(self, query: str, suffix: Any, **arguments: Any) -> Any:
        query_name = self.reverse_queries[query]
        return await getattr(self, f"{query_name}_{suffix}")(**arguments)

    async def finish_job_run(self, job_id: int, status: str, delete_job: bool) -> None:
        await super().finish_job_run(job_id, status, delete_job)
        if delete_job:
            self.events.pop(job_id, None)
        self.changed.set()

    async def retry_job_run(
        self,
        job_id: int,
        retry_at: datetime.datetime,
        new_priority: int | None = None,
        new_queue_name: str | None = None,
        new_lock: str | None = None,
    ) -> None:
        await super().retry_job_run(job_id, retry_at, new_priority, new_queue_name, new_lock)
        # Keep only the latest events: a job retried many times must not grow without bound.
        self.events[job_id] = self.events[job_id][-2:]
        self.changed.set()

    def unfinished(self) -> int:
        """Jobs waiting or running."""
        return sum(1 for job in self.jobs.values() if job["status"] in ("todo", "doing"))

    def waiting(self) -> int:
        """Jobs not started yet."""
        return sum(1 for job in self.jobs.values() if job["status"] == "todo")

"""Where the per-site ConnectWise rate limit keeps its count: this process (SQLite) or Postgres (shared)."""

from __future__ import annotations

import hashlib
import threading

from psycopg_pool import ConnectionPool
from pyrate_limiter import AbstractBucket, Duration, InMemoryBucket, PostgresBucket, Rate

from bot.jobs.connector import postgres_conninfo
from psa.ratelimit import BucketFor, SiteLimiter
from storage.db import normalize_database_url


def _rates(per_minute: int) -> list[Rate]:
    return [Rate(per_minute, Duration.MINUTE)]


class _SharedPoolBucket(PostgresBucket):
    """PostgresBucket closes its pool on close(); here every site shares the pool, closed once at the end."""

    def close(self) -> None:
        return None


class _PostgresBuckets:
    """One table per site (pyrate-limiter's PostgresBucket) over one small pool, opened on first use."""

    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo
        self._pool: ConnectionPool | None = None
        self._lock = threading.Lock()

    def __call__(self, site: str, per_minute: int) -> AbstractBucket:
        with self._lock:
            if self._pool is None:
                self._pool = ConnectionPool(self._conninfo, min_size=1, max_size=2, open=True)
        table = "cw_" + hashlib.sha1(site.encode()).hexdigest()[:24]
        return _SharedPoolBucket(self._pool, table, _rates(per_minute))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()


def _in_memory(site: str, per_minute: int) -> AbstractBucket:
    return InMemoryBucket(_rates(per_minute))


def site_limiter(database_url: str, *, per_minute: int) -> SiteLimiter:
    """The per-site limiter for this deployment (shared through Postgres when the database is Postgres)."""
    url = normalize_database_url(database_url)
    buckets: BucketFor = _in_memory
    if url.get_backend_name() == "postgresql":
        buckets = _PostgresBuckets(postgres_conninfo(url))
    return SiteLimiter(buckets, per_minute=per_minute)

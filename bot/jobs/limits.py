"""Where the per-site ConnectWise rate limit keeps its count: this process (SQLite) or Postgres (shared)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable

from psycopg_pool import ConnectionPool
from pyrate_limiter import AbstractBucket, Duration, InMemoryBucket, PostgresBucket, Rate

from bot.jobs.connector import postgres_conninfo
from psa.ratelimit import SiteLimiter
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

    def pool(self) -> ConnectionPool:
        """The pool the buckets and the pause board share."""
        with self._lock:
            if self._pool is None:
                self._pool = ConnectionPool(self._conninfo, min_size=1, max_size=2, open=True)
            return self._pool

    def __call__(self, site: str, per_minute: int) -> AbstractBucket:
        table = "cw_" + hashlib.sha1(site.encode()).hexdigest()[:24]
        return _SharedPoolBucket(self.pool(), table, _rates(per_minute))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()


# Like the buckets' own tables (pyrate-limiter creates them on first use), the board's small table is
# created when first needed. Times are the database's (now()), so processes on hosts whose clocks
# disagree still agree on when a pause ends.
_CREATE_PAUSES = (
    "CREATE TABLE IF NOT EXISTS cw_site_pauses (site text PRIMARY KEY, until timestamptz NOT NULL)"
)
_PAUSE = (
    "INSERT INTO cw_site_pauses (site, until) VALUES (%s, now() + make_interval(secs => %s)) "
    "ON CONFLICT (site) DO UPDATE SET until = GREATEST(cw_site_pauses.until, EXCLUDED.until)"
)
_REMAINING = (
    "SELECT GREATEST(0, EXTRACT(EPOCH FROM until - now()))::float8 FROM cw_site_pauses WHERE site = %s"
)


class PostgresPauseBoard:
    """A 429's Retry-After per site, seen by every process on the database (psa.ratelimit.PauseBoard)."""

    def __init__(self, pool: Callable[[], ConnectionPool]) -> None:
        self._pool = pool
        self._created = False

    def _ready(self) -> ConnectionPool:
        pool = self._pool()
        if not self._created:
            with pool.connection() as conn:
                # CREATE TABLE IF NOT EXISTS is not safe against another process creating it at the same
                # moment (a unique violation on pg_type): serialize it, as pyrate-limiter does its tables.
                conn.execute("SELECT pg_advisory_xact_lock(hashtext('cw_site_pauses'))")
                conn.execute(_CREATE_PAUSES)
            self._created = True
        return pool

    def pause(self, site: str, seconds: float) -> None:
        """Pause `site` for `seconds` from now (an earlier, longer pause stands)."""
        with self._ready().connection() as conn:
            conn.execute(_PAUSE, (site, float(seconds)))

    def remaining(self, site: str) -> float:
        """Seconds left of the site's pause (0 when none)."""
        with self._ready().connection() as conn:
            row = conn.execute(_REMAINING, (site,)).fetchone()
        return float(row[0]) if row else 0.0


def _in_memory(site: str, per_minute: int) -> AbstractBucket:
    return InMemoryBucket(_rates(per_minute))


def site_limiter(database_url: str, *, per_minute: int) -> SiteLimiter:
    """The per-site limiter for this deployment (shared through Postgres when the database is Postgres)."""
    url = normalize_database_url(database_url)
    if url.get_backend_name() != "postgresql":
        return SiteLimiter(_in_memory, per_minute=per_minute)
    buckets = _PostgresBuckets(postgres_conninfo(url))
    return SiteLimiter(buckets, per_minute=per_minute, pauses=PostgresPauseBoard(buckets.pool))

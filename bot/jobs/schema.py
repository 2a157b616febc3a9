"""procrastinate's schema on Postgres, applied and upgraded by `python -m bot migrate` (SQLite: nothing).

A new database gets procrastinate's full schema; a database set up by an older procrastinate gets the
migration files procrastinate ships for every version since (in order, pre and post together: the
release step runs before new workers start). The version applied is kept in `bot_jobs_schema`.
"""

from __future__ import annotations

import importlib.metadata
import logging
import re
from pathlib import Path

import psycopg
from procrastinate.schema import SchemaManager
from psycopg import sql

from bot.jobs.connector import is_postgres, postgres_conninfo
from bot.jobs.handoff import FUNCTION as HAND_OFF_FUNCTION
from storage.db import normalize_database_url

log = logging.getLogger(__name__)

VERSION_TABLE = "bot_jobs_schema"
# Any constant shared by every process: migrations of the job schema never run twice at once.
_ADVISORY_LOCK = 0x6A6F6273  # "jobs"
_MIGRATION = re.compile(r"^(\d+)\.(\d+)\.(\d+)_\d+_.*\.sql$")

Version = tuple[int, int, int]

# The app's own objects beside procrastinate's, applied on every migrate (whatever procrastinate's
# version did to its own): the index of the unfinished jobs of one fairness slot, which every hand-off
# counts, and the hand-off function itself (bot/jobs/handoff.py).
OWN_OBJECTS = (
    "CREATE INDEX IF NOT EXISTS bot_jobs_unfinished_lock ON procrastinate_jobs (lock) "
    "WHERE status IN ('todo', 'doing')",
    HAND_OFF_FUNCTION,
)


def installed_version() -> Version:
    """The procrastinate version installed in this environment."""
    return _parse(importlib.metadata.version("procrastinate"))


def _parse(text: str) -> Version:
    parts = re.findall(r"\d+", text)[:3]
    major, minor, patch = (int(p) for p in [*parts, "0", "0", "0"][:3])
    return major, minor, patch


def migrations_between(after: Version, upto: Version) -> list[Path]:
    """procrastinate's migration files for versions in (after, upto], in the order they apply."""
    found: list[tuple[Version, str, Path]] = []
    for path in Path(SchemaManager.get_migrations_path()).glob("*.sql"):
        match = _MIGRATION.match(path.name)
        if match is None:
            continue
        version = (int(match[1]), int(match[2]), int(match[3]))
        if after < version <= upto:
            found.append((version, path.name, path))
    return [path for _, _, path in sorted(found)]


async def migrate_jobs(database_url: str) -> str | None:
    """Bring procrastinate's schema up to the installed version; returns what was done (None on SQLite)."""
    if not is_postgres(database_url):
        return None
    target = installed_version()
    conninfo = postgres_conninfo(normalize_database_url(database_url))
    async with await psycopg.AsyncConnection.connect(conninfo) as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_ADVISORY_LOCK,))
        await conn.execute(
            sql.SQL("CREATE TABLE IF NOT EXISTS {} (version text NOT NULL)").format(
                sql.Identifier(VERSION_TABLE)
            )
        )
        current = await _stored_version(conn)
        has_jobs = await _table_exists(conn, "procrastinate_jobs")
        if not has_jobs:
            await conn.execute(SchemaManager.get_schema())
            done = f"applied procrastinate schema {_fmt(target)}"
        elif current is None or current >= target:
            # Already current, or installed by hand (`procrastinate schema --apply`) at this version.
            done = f"procrastinate schema is up to date ({_fmt(current or target)})"
        else:
            files = migrations_between(current, target)
            for path in files:
                await conn.execute(path.read_text(encoding="utf-8"))
            done = f"upgraded procrastinate schema {_fmt(current)} -> {_fmt(target)} ({len(files)} files)"
        for statement in OWN_OBJECTS:
            await conn.execute(statement)
        await conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(VERSION_TABLE)))
        await conn.execute(
            sql.SQL("INSERT INTO {} (version) VALUES (%s)").format(sql.Identifier(VERSION_TABLE)),
            (_fmt(max(target, current or target)),),
        )
    log.info(done)
    return done


async def _stored_version(conn: psycopg.AsyncConnection) -> Version | None:
    cur = await conn.execute(sql.SQL("SELECT version FROM {}").format(sql.Identifier(VERSION_TABLE)))
    row = await cur.fetchone()
    return None if row is None else _parse(str(row[0]))


async def _table_exists(conn: psycopg.AsyncConnection, name: str) -> bool:
    cur = await conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,))
    row = await cur.fetchone()
    return bool(row and row[0])


def _fmt(version: Version) -> str:
    return ".".join(str(part) for part in version)

"""Run the Alembic migrations programmatically (`python -m bot migrate`, and at start in local mode)."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import create_engine
from storage.models import Base

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
T = TypeVar("T")
# Alembic keeps its running context in module globals: two migrations in one process (even on one
# event loop, interleaved at each await) must not overlap. Other processes are kept out by the
# database itself (Postgres advisory lock in env.py, BEGIN IMMEDIATE on SQLite).
_PROCESS_LOCK = threading.Lock()


def alembic_config() -> Config:
    """An Alembic Config pointing at our scripts; the URL never comes from alembic.ini."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def _command(connection: Connection, name: str, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    getattr(command, name)(config, revision)


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _drift(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def _alembic(engine: AsyncEngine, name: str, revision: str) -> None:
    # Wait for the lock in a worker thread so the event loop keeps running meanwhile.
    await asyncio.to_thread(_PROCESS_LOCK.acquire)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_command, name, revision)
    finally:
        _PROCESS_LOCK.release()


async def upgrade_engine(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade the database behind `engine` to `revision`, in one transaction."""
    await _alembic(engine, "upgrade", revision)


async def downgrade_engine(engine: AsyncEngine, revision: str = "base") -> None:
    """Downgrade the database behind `engine` to `revision`, in one transaction."""
    await _alembic(engine, "downgrade", revision)


async def current_revision_engine(engine: AsyncEngine) -> str | None:
    """The revision the database is at (None when never migrated)."""
    async with engine.connect() as connection:
        return await connection.run_sync(_current)


async def schema_drift_engine(engine: AsyncEngine) -> list[Any]:
    """Differences between storage.models and the live schema (empty when they agree)."""
    async with engine.connect() as connection:
        return await connection.run_sync(_drift)


async def _with_engine(database_url: str, action: Any, *args: Any) -> Any:
    engine = create_engine(database_url, poolclass=pool.NullPool)
    try:
        return await action(engine, *args)
    finally:
        await engine.dispose()


async def upgrade_async(database_url: str, revision: str = "head") -> None:
    """Upgrade `database_url` to `revision` (default: the latest)."""
    await _with_engine(database_url, upgrade_engine, revision)
    logger.info("Database schema upgraded to %s.", revision)


async def downgrade_async(database_url: str, revision: str = "base") -> None:
    """Downgrade `database_url` to `revision` (default: drop everything)."""
    await _with_engine(database_url, downgrade_engine, revision)


async def current_revision_async(database_url: str) -> str | None:
    """The revision `database_url` is at."""
    result: str | None = await _with_engine(database_url, current_revision_engine)
    return result


def _blocking(coro: Coroutine[Any, Any, T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    # Called from inside a running loop (e.g. app start-up): run on a private loop in a worker thread.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="migrate") as executor:
        return executor.submit(asyncio.run, coro).result()


def upgrade(database_url: str, revision: str = "head") -> None:
    """Blocking upgrade, callable with or without a running event loop (async code: upgrade_async)."""
    _blocking(upgrade_async(database_url, revision))


def downgrade(database_url: str, revision: str = "base") -> None:
    """Blocking downgrade (see `upgrade`)."""
    _blocking(downgrade_async(database_url, revision))


def current_revision(database_url: str) -> str | None:
    """Blocking `current_revision_async`."""
    return _blocking(current_revision_async(database_url))

"""Engine and session factories: SQLite tuned for a server, Postgres (asyncpg) for several processes."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

SQLITE_BUSY_TIMEOUT_S = 15.0
# Execution option read by the SQLite `begin` hook: True means a plain (deferred) BEGIN for pure reads.
READ_ONLY_OPTION = "storage_read_only"


def normalize_database_url(url: str) -> URL:
    """Map the URLs people paste (postgres://, postgresql://, sqlite:///) onto the async drivers we ship."""
    parsed = make_url(url.strip())
    backend = parsed.get_backend_name()
    if backend in {"postgres", "postgresql"}:
        parsed = parsed.set(drivername="postgresql+asyncpg")
        query = dict(parsed.query)
        # Hosted Postgres URLs carry libpq's sslmode, which asyncpg spells `ssl`.
        if "sslmode" in query:
            query["ssl"] = query.pop("sslmode")
            parsed = parsed.set(query=query)
    elif backend == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    else:
        raise ValueError(f"Unsupported DATABASE_URL backend {backend!r}: use sqlite or postgresql")
    return parsed


def is_memory_sqlite(url: URL) -> bool:
    """True for SQLite URLs that do not name a file on disk."""
    database = url.database or ""
    return database in {"", ":memory:"} or database.startswith("file::memory:")


def create_engine(url: str, *, echo: bool = False, **engine_kwargs: Any) -> AsyncEngine:
    """Build the one AsyncEngine of the process for `url` (DATABASE_URL)."""
    parsed = normalize_database_url(url)
    # Bound parameters include ciphertexts and Slack tokens: never put them in logs or exception text.
    kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True, **engine_kwargs}
    if parsed.get_backend_name() == "sqlite":
        if not is_memory_sqlite(parsed) and parsed.database:
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        _quiet_aiosqlite_debug_log()
        connect_args = {"timeout": SQLITE_BUSY_TIMEOUT_S, **kwargs.pop("connect_args", {})}
        engine = create_async_engine(parsed, connect_args=connect_args, **kwargs)
        _tune_sqlite(engine, wal=not is_memory_sqlite(parsed))
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(parsed, **kwargs)


def _quiet_aiosqlite_debug_log() -> None:
    # aiosqlite logs every statement WITH its parameters at DEBUG (Slack tokens from the installation
    # store included). Unless someone chose a level for it on purpose, keep it at INFO.
    aiosqlite_logger = logging.getLogger("aiosqlite")
    if aiosqlite_logger.level == logging.NOTSET:
        aiosqlite_logger.setLevel(logging.INFO)


def _tune_sqlite(engine: AsyncEngine, *, wal: bool) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy so we can choose BEGIN IMMEDIATE below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
            if wal:
                cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A deferred transaction that reads and then writes cannot wait for the lock (SQLITE_BUSY at
        # once, "database is locked"); IMMEDIATE takes the write lock up front and waits busy_timeout.
        if conn.get_execution_options().get(READ_ONLY_OPTION):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def is_sqlite(engine: AsyncEngine) -> bool:
    """True when the engine talks to SQLite."""
    return engine.dialect.name == "sqlite"


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for read-write units of work (on SQLite they hold the write lock from BEGIN)."""
    return async_sessionmaker(engine, expire_on_commit=False)


def create_read_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for pure reads: on SQLite they BEGIN deferred so they never wait for writers (WAL)."""
    return async_sessionmaker(engine.execution_options(**{READ_ONLY_OPTION: True}), expire_on_commit=False)

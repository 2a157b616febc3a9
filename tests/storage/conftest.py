"""Storage fixtures: every `db` test runs on a fresh SQLite file AND on fresh Postgres tables.

Postgres isolation: migration tests get a whole new database each (CREATE DATABASE test_storage_<random>);
every other test gets a new schema (search_path) inside one database created for this test session.
Random names mean parallel or earlier runs never collide; everything is dropped afterwards.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import pool, text
from sqlalchemy.ext.asyncio import create_async_engine
from storage_backends import Backend

from storage import Storage
from storage.db import normalize_database_url

POSTGRES_ENV = "TEST_POSTGRES_URL"


def postgres_base_url() -> str:
    """The server to create test databases on, or skip with the reason."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"{POSTGRES_ENV} is not set (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test)")
    return url


async def _admin(sql: str, url: str | None = None) -> None:
    target = normalize_database_url(url or postgres_base_url())
    engine = create_async_engine(target, isolation_level="AUTOCOMMIT", poolclass=pool.NullPool)
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


@asynccontextmanager
async def fresh_postgres_database() -> AsyncIterator[str]:
    """CREATE DATABASE test_storage_<random>, yield its URL, then DROP it (even if connections linger)."""
    base = normalize_database_url(postgres_base_url())
    name = f"test_storage_{uuid.uuid4().hex[:16]}"
    await _admin(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
async def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of an empty database (never migrated) on each backend."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/data/tickets.db"
        return
    async with fresh_postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def postgres_session_database() -> Iterator[str]:
    """One database for this pytest session's schema-per-test Postgres tests."""
    base = normalize_database_url(postgres_base_url())
    name = f"test_storage_{uuid.uuid4().hex[:16]}"
    _outside_loop(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        _outside_loop(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _outside_loop(coro: Coroutine[Any, Any, None]) -> None:
    # First requested from inside an async fixture, where the test's loop is already running.
    with ThreadPoolExecutor(max_workers=1) as executor:
        executor.submit(asyncio.run, coro).result()


@asynccontextmanager
async def _postgres_schema(database_url: str) -> AsyncIterator[Backend]:
    schema = f"t_{uuid.uuid4().hex[:16]}"
    await _admin(f'CREATE SCHEMA "{schema}"', database_url)
    try:
        target = Backend(
            "postgres", database_url, {"connect_args": {"server_settings": {"search_path": schema}}}
        )
        await _migrate(target)
        yield target
    finally:
        await _admin(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE', database_url)


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    """Empty, migrated tables on each backend."""
    if request.param == "sqlite":
        target = Backend("sqlite", f"sqlite+aiosqlite:///{tmp_path}/data/tickets.db")
        await _migrate(target)
        yield target
        return
    async with _postgres_schema(request.getfixturevalue("postgres_session_database")) as target:
        yield target


@pytest.fixture
async def postgres_backend(postgres_session_database: str) -> AsyncIterator[Backend]:
    """Empty, migrated tables on Postgres only (for several engines on one database)."""
    async with _postgres_schema(postgres_session_database) as target:
        yield target


async def _migrate(target: Backend) -> None:
    storage = target.storage(Fernet(Fernet.generate_key()))
    try:
        await storage.migrate()
    finally:
        await storage.close()


@pytest.fixture
def fernet() -> Fernet:
    return Fernet(Fernet.generate_key())


@pytest.fixture
async def db(backend: Backend, fernet: Fernet) -> AsyncIterator[Storage]:
    """A `Storage` on freshly migrated tables, on each backend."""
    storage = backend.storage(fernet)
    try:
        yield storage
    finally:
        await storage.close()


@pytest.fixture
async def sqlite_db(tmp_path: Path, fernet: Fernet) -> AsyncIterator[Storage]:
    """A migrated `Storage` on a fresh SQLite file only (for SQLite-specific behaviour)."""
    storage = Storage(f"sqlite+aiosqlite:///{tmp_path}/tickets.db", fernet)
    await storage.migrate()
    try:
        yield storage
    finally:
        await storage.close()


@pytest.fixture
def postgres_database() -> Callable[[], AbstractAsyncContextManager[str]]:
    """Factory for extra throwaway Postgres databases (skips when Postgres is not configured)."""
    postgres_base_url()
    return fresh_postgres_database

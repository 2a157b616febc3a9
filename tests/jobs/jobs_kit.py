"""What the job tests share: a fresh Postgres database with procrastinate's schema, fast knobs, and the
`/tickets mine` the bench stack's users send."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import pool, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.jobs import JobsConfig
from bot.jobs.schema import migrate_jobs
from bot.local import FakeSlack
from bot.local import payloads as p
from storage.db import normalize_database_url

POSTGRES_ENV = "TEST_POSTGRES_URL"
CHANNEL = "C0BENCH"  # the bench stack's channel
# Fast knobs: retries at once, a dead worker noticed after a second. Tests wait on conditions, and
# these only decide how soon the conditions come true.
FAST = JobsConfig(retry_base=0, heartbeat=0.2, stalled_after=1.0, poll_interval=0.1, recover_every=1)


async def _admin(sql: str) -> None:
    engine = create_async_engine(
        normalize_database_url(os.environ[POSTGRES_ENV]),
        isolation_level="AUTOCOMMIT",
        poolclass=pool.NullPool,
    )
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


@asynccontextmanager
async def fresh_jobs_database() -> AsyncIterator[str]:
    """A fresh Postgres database with procrastinate's schema (dropped afterwards)."""
    if not os.environ.get(POSTGRES_ENV):
        pytest.skip(f"{POSTGRES_ENV} is not set (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test)")
    name = f"test_jobs_{uuid.uuid4().hex[:16]}"
    await _admin(f'CREATE DATABASE "{name}"')
    url = (
        normalize_database_url(os.environ[POSTGRES_ENV])
        .set(database=name)
        .render_as_string(hide_password=False)
    )
    try:
        await migrate_jobs(url)
        yield url
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def mine(fake: FakeSlack, user: str) -> tuple[str, str]:
    """`/tickets mine` from `user`, with a trigger and a response_url of its own."""
    return p.slash_command(
        "/tickets",
        "mine",
        user=user,
        channel=CHANNEL,
        trigger_id=fake.new_trigger_id(user),
        response_url=fake.new_response_url(CHANNEL, user),
    )

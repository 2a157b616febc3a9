"""Job engine fixtures: a fresh Postgres database per test (procrastinate's schema applied)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from jobs_kit import fresh_jobs_database


@pytest.fixture
async def jobs_db() -> AsyncIterator[str]:
    """The URL of a fresh Postgres database with procrastinate's schema (dropped afterwards)."""
    async with fresh_jobs_database() as url:
        yield url

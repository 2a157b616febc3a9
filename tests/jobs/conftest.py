"""Job engine fixtures: a fresh Postgres database per test (procrastinate's schema applied)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from jobs_kit import fresh_jobs_database

# The ack-path test serves the real app with the scenario harness (beside the scenario tests).
SCENARIOS = Path(__file__).resolve().parents[1] / "bot" / "scenarios"
if str(SCENARIOS) not in sys.path:
    sys.path.insert(0, str(SCENARIOS))


@pytest.fixture
async def jobs_db() -> AsyncIterator[str]:
    """The URL of a fresh Postgres database with procrastinate's schema (dropped afterwards)."""
    async with fresh_jobs_database() as url:
        yield url

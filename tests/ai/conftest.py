"""Fixtures for the ai/ tests: reference data from the sandbox seed, in memory."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from ai_seed_reference import CASES, SEED, SeedReference

from ai.extract import HeuristicExtractor
from ai.parser import TicketParser


@pytest.fixture(scope="session")
def seed_data() -> dict[str, Any]:
    """The sandbox seed as loaded JSON."""
    return json.loads(SEED.read_text(encoding="utf-8"))


@pytest.fixture
def seed_reference(seed_data: dict[str, Any]) -> SeedReference:
    """A fresh in-memory `ReferenceSource` over the seed."""
    return SeedReference(seed_data)


@pytest.fixture
def offline_parser(seed_reference: SeedReference) -> TicketParser:
    """The offline parser over the in-memory seed reference."""
    return TicketParser(HeuristicExtractor(), seed_reference)


@pytest.fixture(scope="session")
def public_cases() -> list[dict[str, Any]]:
    """The public parse cases shipped with the repository."""
    return [json.loads(line) for line in CASES.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture
async def jdoe(seed_reference: SeedReference) -> AsyncIterator[int]:
    """The demo user's member id."""
    yield seed_reference.member_id("jdoe")

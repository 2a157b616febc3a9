"""Fixtures shared by every test package."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from psa.connectwise.sandbox import SandboxServer


@pytest.fixture(scope="session")
def sandbox_session() -> Iterator[SandboxServer]:
    """One ConnectWise sandbox server for the whole test session."""
    with SandboxServer() as server:
        yield server


@pytest.fixture
def sandbox(sandbox_session: SandboxServer) -> SandboxServer:
    """The session's sandbox, reset to fresh seed data (no faults, no latency, empty log)."""
    sandbox_session.reset()
    return sandbox_session

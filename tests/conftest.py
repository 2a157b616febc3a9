"""Fixtures shared by every test package."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from psa.connectwise.sandbox import SandboxServer
from storage.migrate import upgrade


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


@pytest.fixture(scope="session")
def app_tls() -> ssl.SSLContext:
    """One TLS context for every PSA HTTP client of the session (building one costs tens of ms)."""
    return ssl.create_default_context()


@pytest.fixture(scope="session")
def app_key() -> bytes:
    """The Fernet key of the app databases the tests create."""
    return Fernet.generate_key()


@pytest.fixture(scope="session")
def app_template_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A SQLite file migrated once per session; each app under test copies it (Alembic runs once)."""
    path = tmp_path_factory.mktemp("app-template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    yield path

"""Scenario fixtures: `slack` (connected, demo user mapped) and `make_slack(...)` for other set-ups."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from scenario_harness import HarnessOptions, Slack, running_slack

from psa.connectwise.sandbox import SandboxServer
from storage.migrate import upgrade


@pytest.fixture(scope="session")
def scenario_tls() -> ssl.SSLContext:
    """One TLS context for every PSA HTTP client of the session (building one costs tens of ms)."""
    return ssl.create_default_context()


@pytest.fixture(scope="session")
def scenario_key() -> bytes:
    """The Fernet key of scenario databases."""
    return Fernet.generate_key()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A SQLite file migrated once per session; each scenario copies it (Alembic runs once, not per test)."""
    path = tmp_path_factory.mktemp("scenario-template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    yield path


@pytest.fixture
def make_slack(
    sandbox: SandboxServer,
    template_db: Path,
    tmp_path: Path,
    scenario_tls: ssl.SSLContext,
    scenario_key: bytes,
) -> Callable[..., AbstractAsyncContextManager[Slack]]:
    """`async with make_slack(connected=False, mapped={...}) as slack:` — a workspace set up as asked."""

    @asynccontextmanager
    async def build(**options: Any) -> AsyncIterator[Slack]:
        configure = options.pop("configure", None)
        async with running_slack(
            sandbox=sandbox,
            template_db=template_db,
            tmp_path=tmp_path,
            tls=scenario_tls,
            options=HarnessOptions(**options),
            fernet_key=scenario_key,
            configure=configure,
        ) as slack:
            yield slack

    return build


@pytest.fixture
async def slack(make_slack: Callable[..., AbstractAsyncContextManager[Slack]]) -> AsyncIterator[Slack]:
    """The app running for a connected workspace where the demo user (U0DEMO) is mapped to jdoe."""
    async with make_slack() as running:
        yield running

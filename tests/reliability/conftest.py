"""Reliability fixtures: the scenario harness of tests/bot/scenarios, with the set-ups this suite needs.

`slack` is the harness's connected workspace (demo user mapped); `make_slack(...)` takes the harness
options plus `psa_timeout=` (seconds before the app's PSA client gives up) for the fault tests.
"""

from __future__ import annotations

import ssl
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

# The harness lives beside the scenario tests (a folder without __init__, like every test folder).
SCENARIOS = Path(__file__).resolve().parents[1] / "bot" / "scenarios"
if str(SCENARIOS) not in sys.path:
    sys.path.insert(0, str(SCENARIOS))

from reliability_kit import short_psa_timeouts  # noqa: E402
from scenario_harness import HarnessOptions, Slack, running_slack  # noqa: E402

from psa.connectwise.sandbox import SandboxServer  # noqa: E402
from storage.migrate import upgrade  # noqa: E402


@pytest.fixture(scope="session")
def reliability_tls() -> ssl.SSLContext:
    """One TLS context for every PSA HTTP client of the session (building one costs tens of ms)."""
    return ssl.create_default_context()


@pytest.fixture(scope="session")
def reliability_key() -> bytes:
    """The Fernet key of this suite's databases."""
    return Fernet.generate_key()


@pytest.fixture(scope="session")
def reliability_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A SQLite file migrated once per session; each test copies it."""
    path = tmp_path_factory.mktemp("reliability-template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    yield path


@pytest.fixture
def make_slack(
    sandbox: SandboxServer,
    reliability_db: Path,
    tmp_path: Path,
    reliability_tls: ssl.SSLContext,
    reliability_key: bytes,
) -> Callable[..., AbstractAsyncContextManager[Slack]]:
    """`async with make_slack(psa_timeout=0.5, connected=..., ...) as slack:` — the app set up as asked."""

    @asynccontextmanager
    async def build(*, psa_timeout: float | None = None, **options: Any) -> AsyncIterator[Slack]:
        configure = options.pop("configure", None)

        def configure_all(deps: Any) -> None:
            if psa_timeout is not None:
                short_psa_timeouts(deps, psa_timeout, reliability_tls)
            if configure is not None:
                configure(deps)

        async with running_slack(
            sandbox=sandbox,
            template_db=reliability_db,
            tmp_path=tmp_path,
            tls=reliability_tls,
            options=HarnessOptions(**options),
            fernet_key=reliability_key,
            configure=configure_all,
        ) as slack:
            yield slack

    return build


@pytest.fixture
async def slack(make_slack: Callable[..., AbstractAsyncContextManager[Slack]]) -> AsyncIterator[Slack]:
    """The app for a connected workspace where the demo user (U0DEMO) is mapped to jdoe."""
    async with make_slack() as running:
        yield running

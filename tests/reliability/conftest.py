"""Reliability fixtures: the scenario harness of tests/bot/scenarios, with the set-ups this suite needs.

`slack` is the harness's connected workspace (demo user mapped); `make_slack(...)` takes the harness
options plus `psa_timeouts=` (the app's PSA client timeout, short only within `psa_timeouts.short()`)
for the fault tests.
"""

from __future__ import annotations

import ssl
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

# The harness lives beside the scenario tests (a folder without __init__, like every test folder).
SCENARIOS = Path(__file__).resolve().parents[1] / "bot" / "scenarios"
if str(SCENARIOS) not in sys.path:
    sys.path.insert(0, str(SCENARIOS))

from psa_timeouts import PsaTimeouts  # noqa: E402
from scenario_harness import HarnessOptions, Slack, running_slack  # noqa: E402

from psa.connectwise.sandbox import SandboxServer  # noqa: E402


@pytest.fixture
def make_slack(
    sandbox: SandboxServer,
    app_template_db: Path,
    tmp_path: Path,
    app_tls: ssl.SSLContext,
    app_key: bytes,
) -> Callable[..., AbstractAsyncContextManager[Slack]]:
    """`async with make_slack(psa_timeouts=..., connected=..., ...) as slack:` — the app set up as asked."""

    @asynccontextmanager
    async def build(*, psa_timeouts: PsaTimeouts | None = None, **options: Any) -> AsyncIterator[Slack]:
        configure = options.pop("configure", None)

        def configure_all(deps: Any) -> None:
            if psa_timeouts is not None:
                psa_timeouts.install(deps)
            if configure is not None:
                configure(deps)

        async with running_slack(
            sandbox=sandbox,
            template_db=app_template_db,
            tmp_path=tmp_path,
            tls=app_tls,
            options=HarnessOptions(**options),
            fernet_key=app_key,
            configure=configure_all,
        ) as slack:
            yield slack

    return build


@pytest.fixture
async def slack(make_slack: Callable[..., AbstractAsyncContextManager[Slack]]) -> AsyncIterator[Slack]:
    """The app for a connected workspace where the demo user (U0DEMO) is mapped to jdoe."""
    async with make_slack() as running:
        yield running


@pytest.fixture
def psa_timeouts(app_tls: ssl.SSLContext) -> PsaTimeouts:
    """The app's ConnectWise client timeout: generous, 0.5 s within `psa_timeouts.short()` (the
    production client waits 15 s)."""
    return PsaTimeouts(app_tls, short_s=0.5)

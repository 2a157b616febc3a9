"""Scenario fixtures: `slack` (connected, demo user mapped) and `make_slack(...)` for other set-ups."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from scenario_claude_kit import MessagesAPI, serve_messages_api
from scenario_harness import HarnessOptions, Slack, running_slack

from psa.connectwise.sandbox import SandboxServer


@pytest.fixture
def make_slack(
    sandbox: SandboxServer,
    app_template_db: Path,
    tmp_path: Path,
    app_tls: ssl.SSLContext,
    app_key: bytes,
) -> Callable[..., AbstractAsyncContextManager[Slack]]:
    """`async with make_slack(connected=False, mapped={...}) as slack:` — a workspace set up as asked."""

    @asynccontextmanager
    async def build(**options: Any) -> AsyncIterator[Slack]:
        configure = options.pop("configure", None)
        async with running_slack(
            sandbox=sandbox,
            template_db=app_template_db,
            tmp_path=tmp_path,
            tls=app_tls,
            options=HarnessOptions(**options),
            fernet_key=app_key,
            configure=configure,
        ) as slack:
            yield slack

    return build


@pytest.fixture
async def slack(make_slack: Callable[..., AbstractAsyncContextManager[Slack]]) -> AsyncIterator[Slack]:
    """The app running for a connected workspace where the demo user (U0DEMO) is mapped to jdoe."""
    async with make_slack() as running:
        yield running


@pytest.fixture
async def messages_api(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[MessagesAPI]:
    """A local Claude Messages API the real SDK talks to (see `scenario_claude_kit.with_api_key`)."""
    async with serve_messages_api(monkeypatch) as api:
        yield api

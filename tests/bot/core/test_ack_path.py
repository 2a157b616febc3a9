"""Clients the app owns: one pooled Slack session while serving, one model client, both closed at the end."""

from __future__ import annotations

import aiohttp
from pydantic import SecretStr
from slack_sdk.web.async_client import AsyncWebClient

from ai.spinoff import ClaudeSpinoffDetector
from bot.deps import build_deps
from bot.server import create_asgi
from bot.settings import Settings


def _settings(db_url: str) -> Settings:
    values: dict[str, object] = {
        "app_env": "local",
        "database_url": db_url,
        "slack_bot_token": SecretStr("xoxb-test"),
        "slack_signing_secret": SecretStr("secret"),
        "slack_api_url": "http://127.0.0.1:9/api/",
    }
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


async def test_slack_calls_share_one_open_session_while_serving_and_it_is_closed_after(db_url: str) -> None:
    api = create_asgi(_settings(db_url))
    client = api.state.bolt.client
    assert client.session is None
    async with api.router.lifespan_context(api):
        session = client.session
        assert isinstance(session, aiohttp.ClientSession) and not session.closed
        assert session.timeout.total == client.timeout
    assert session.closed and client.session is None


async def test_a_client_that_brings_its_own_session_keeps_it(db_url: str) -> None:
    async with aiohttp.ClientSession() as own:
        client = AsyncWebClient(token="xoxb-test", base_url="http://127.0.0.1:9/api/", session=own)
        api = create_asgi(_settings(db_url), client=client)
        async with api.router.lifespan_context(api):
            assert client.session is own
        assert client.session is own and not own.closed


async def test_one_model_client_serves_parsing_and_spin_offs_and_is_closed_when_the_app_stops(
    db_url: str,
) -> None:
    settings = _settings(db_url).model_copy(update={"anthropic_api_key": SecretStr("sk-ant-test")})
    deps = build_deps(settings)
    client = deps.anthropic
    assert client is not None and not client.is_closed()
    assert deps.parsers.source == "claude" and isinstance(deps.spinoff, ClaudeSpinoffDetector)

    await deps.aclose()

    assert client.is_closed()

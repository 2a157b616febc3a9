"""The ack path's cheap parts: one pooled Slack session while serving, and Bolt-equivalent matching."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import aiohttp
from pydantic import SecretStr
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import build_app
from bot.deps import build_deps
from bot.ids import Callback, ListAction
from bot.listeners import register_all
from bot.matching import BodyMatcher
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


def _form(body: dict[str, Any]) -> AsyncBoltRequest:
    text = "payload=" + json.dumps(body) if "type" in body else urlencode(body)
    return AsyncBoltRequest(body=text, headers={"content-type": ["application/x-www-form-urlencoded"]})


async def _first_match(app: AsyncApp, req: AsyncBoltRequest) -> int | None:
    for index, listener in enumerate(app._async_listeners):
        if await listener.async_matches(req=req, resp=BoltResponse(status=404)):
            return index
    return None


async def test_streamlined_matching_picks_the_same_listener_as_bolt(db_url: str) -> None:
    settings = _settings(db_url)
    deps = build_deps(settings)
    try:
        fast = build_app(settings, deps)
        plain = AsyncApp(client=AsyncWebClient(token="xoxb-test"), signing_secret="secret")
        register_all(plain, deps)
        assert all(isinstance(m, BodyMatcher) for lst in fast._async_listeners for m in lst.matchers)
        team, user = {"id": "T1"}, {"id": "U1"}
        bodies: list[dict[str, Any]] = [
            {"command": "/tickets", "text": "mine", "team_id": "T1", "user_id": "U1"},
            {
                "type": "block_actions",
                "team": team,
                "user": user,
                "actions": [{"action_id": ListAction.NEXT}],
            },
            {"type": "block_actions", "team": team, "user": user, "actions": [{"action_id": "nobody.knows"}]},
            {
                "type": "view_submission",
                "team": team,
                "user": user,
                "view": {"callback_id": Callback.LIST_SEARCH, "type": "modal"},
            },
            {
                "type": "view_closed",
                "team": team,
                "user": user,
                "view": {"callback_id": Callback.CONNECT, "type": "modal"},
            },
            {"type": "event_callback", "team_id": "T1", "event": {"type": "app_home_opened", "user": "U1"}},
        ]
        found = [(await _first_match(fast, _form(b)), await _first_match(plain, _form(b))) for b in bodies]
    finally:
        await deps.aclose()
    assert all(mine == bolts and mine is not None for mine, bolts in found), found

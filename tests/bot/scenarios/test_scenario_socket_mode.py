"""Socket Mode: `python -m bot serve` picks the Socket Mode runner when SLACK_APP_TOKEN is set."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
import slack_bolt.adapter.socket_mode.async_handler as socket_mode
from pydantic import SecretStr
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

import bot.http_serving
import bot.server
from bot.__main__ import serve
from bot.local import FakeSlack
from bot.local import payloads as p
from bot.settings import Settings


def settings_for(tmp_path: Path, **changes: Any) -> Settings:
    values: dict[str, Any] = {
        "app_env": "local",
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'socket.db'}",
        "slack_bot_token": SecretStr("xoxb-socket"),
        "slack_signing_secret": None,
        "slack_app_token": SecretStr("xapp-1-socket"),
        "slack_client_id": None,
        "slack_client_secret": None,
        "slack_api_url": "http://127.0.0.1:9/api/",
        "cw_base_url": None,
        "tickets_secret_key": None,
        **changes,
    }
    return Settings(_env_file=None, **values)


class RecordingHandler:
    """Stands in for AsyncSocketModeHandler (which would dial Slack's WebSocket): while "connected" it
    hands the app one `/tickets help` the way Socket Mode delivers it (a dict, no signature)."""

    runs: list[tuple[str, int]] = []
    command: dict[str, str] = {}

    def __init__(self, app: AsyncApp, app_token: str) -> None:
        self.app, self.app_token = app, app_token

    async def start_async(self) -> None:
        resp = await self.app.async_dispatch(AsyncBoltRequest(body=self.command, mode="socket_mode"))
        RecordingHandler.runs.append((self.app_token, resp.status))

    async def close_async(self) -> None:
        return None


def test_serve_uses_socket_mode_when_an_app_token_is_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen: list[str] = []

    async def fake_socket_mode(settings: Settings) -> None:
        chosen.append("socket")

    monkeypatch.setattr(bot.server, "run_socket_mode", fake_socket_mode)
    monkeypatch.setattr(bot.http_serving, "run_uvicorn", lambda *a, **k: chosen.append("http"))

    assert serve(settings_for(tmp_path), None) == 0
    assert serve(settings_for(tmp_path, slack_app_token=None, slack_signing_secret=SecretStr("s")), 3999) == 0

    assert chosen == ["socket", "http"]


async def test_socket_mode_serves_the_app_with_the_app_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(socket_mode, "AsyncSocketModeHandler", RecordingHandler)
    async with FakeSlack(bot_token="xoxb-socket") as fake:
        body, _ = p.slash_command(
            "/tickets",
            "help",
            user="U0DEMO",
            channel="C0SUPPORT",
            response_url=fake.new_response_url("C0SUPPORT", "U0DEMO"),
        )
        RecordingHandler.runs = []
        RecordingHandler.command = dict(parse_qsl(body))

        await bot.server.run_socket_mode(settings_for(tmp_path, slack_api_url=fake.api_url))

        assert RecordingHandler.runs == [("xapp-1-socket", 200)]
        [answer] = fake.calls_to("response_url")
        assert "/tickets mine" in str(answer.args["blocks"])  # the help, answered after the ack
    assert (tmp_path / "socket.db").exists()  # local mode migrated the database first

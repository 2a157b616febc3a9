"""The ASGI app over a real socket: health, OAuth install paths, start-up migrations, config errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import uvicorn
from pydantic import SecretStr
from starlette.applications import Starlette
from waiting import until_serving

from bot.app import AppConfigError, build_app
from bot.deps import build_deps
from bot.server import create_asgi
from bot.settings import Settings
from storage.migrate import current_revision_async
from storage.repositories import events


@asynccontextmanager
async def served(api: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    server = uvicorn.Server(uvicorn.Config(api, host="127.0.0.1", port=0, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    port = await until_serving(server, task)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            yield http
    finally:
        server.should_exit = True
        await task


def _settings(db_url: str, **changes: object) -> Settings:
    values: dict[str, object] = {
        "app_env": "local",
        "database_url": db_url,
        "slack_bot_token": SecretStr("xoxb-test"),
        "slack_signing_secret": SecretStr("secret"),
        "slack_api_url": "http://127.0.0.1:9/api/",
        **changes,
    }
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


async def test_local_mode_migrates_at_start_and_reports_health(db_url: str) -> None:
    async with served(create_asgi(_settings(db_url))) as http:
        health = await http.get("/healthz")
        missing = await http.get("/slack/nowhere")

    assert health.status_code == 200 and health.json()["ok"] is True
    assert missing.status_code == 404
    assert await current_revision_async(db_url) is not None


async def test_start_up_forgets_old_slack_event_ids_but_keeps_recent_ones(db_url: str) -> None:
    settings = _settings(db_url)
    deps = build_deps(settings)
    await deps.storage.migrate()
    long_ago = datetime.now(UTC) - timedelta(days=3)
    async with deps.storage.session() as s:
        assert await events.first_time(session=s, team_id="T1", event_id="Ev-old", now=long_ago)
        assert await events.first_time(session=s, team_id="T1", event_id="Ev-new")

    async with served(create_asgi(settings, deps)) as http:
        assert (await http.get("/healthz")).status_code == 200

    async with deps.storage.session() as s:
        assert await events.first_time(session=s, team_id="T1", event_id="Ev-old")  # forgotten
        assert not await events.first_time(session=s, team_id="T1", event_id="Ev-new")  # still a retry
    await deps.aclose()


async def test_oauth_mode_serves_the_install_link_with_our_scopes(db_url: str, tmp_path: Path) -> None:
    settings = _settings(
        db_url, slack_bot_token=None, slack_client_id="111.222", slack_client_secret=SecretStr("shh")
    )
    async with served(create_asgi(settings)) as http:
        install = await http.get("/slack/install", follow_redirects=False)
        redirect = await http.get("/slack/oauth_redirect?code=x&state=forged")

    assert install.status_code in (200, 302)
    location = install.headers.get("location") or install.text
    start = location.index("https://slack.com/oauth/v2/authorize")
    url = location[start:].split('"')[0].replace("&amp;", "&")
    query = parse_qs(urlsplit(url).query)
    assert query["client_id"] == ["111.222"]
    assert "commands" in query["scope"][0] and "chat:write" in query["scope"][0]
    assert redirect.status_code >= 400  # a state the app never issued is refused
    assert "shh" not in install.text + redirect.text


def test_single_workspace_mode_needs_a_bot_token(db_url: str) -> None:
    settings = _settings(db_url, slack_bot_token=None)
    deps = build_deps(settings)
    with pytest.raises(AppConfigError, match="SLACK_BOT_TOKEN"):
        build_app(settings, deps)


def test_a_signing_secret_is_required(db_url: str) -> None:
    settings = _settings(db_url, slack_signing_secret=None)
    with pytest.raises(AppConfigError, match="SLACK_SIGNING_SECRET"):
        build_app(settings, build_deps(settings))

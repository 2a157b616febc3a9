"""OAuth multi-workspace mode: the install page, and requests authorized by installations in storage."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography.fernet import Fernet
from scenario_harness import ADMIN, CHANNEL, DEMO, TEAM, scenario_settings, serve_app
from slack_sdk.oauth.installation_store import Installation

from bot.app import BOT_SCOPES
from bot.deps import AppDeps, build_deps
from bot.local import FakeSlack, SlackRequestSender
from bot.local import payloads as p
from bot.server import INSTALL_PATH
from storage import Storage

CLIENT_ID = "1111.2222"
# FakeSlack accepts only this token, and only the installation in storage knows it.
INSTALLED_TOKEN = "xoxb-installed-token"


@dataclass
class OAuthApp:
    fake: FakeSlack
    deps: AppDeps
    sender: SlackRequestSender

    @property
    def root(self) -> str:
        return self.sender.events_url.removesuffix("/slack/events")


@pytest.fixture
async def oauth_app(app_template_db: Path, tmp_path: Path, app_key: bytes) -> AsyncIterator[OAuthApp]:
    """The real app in OAuth mode (client id/secret, no bot token) against FakeSlack and real SQLite."""
    db = tmp_path / "oauth.db"
    shutil.copyfile(app_template_db, db)
    url = f"sqlite+aiosqlite:///{db}"
    async with FakeSlack(bot_token=INSTALLED_TOKEN) as fake:
        settings = scenario_settings(
            url, fake, slack_bot_token=None, slack_client_id=CLIENT_ID, slack_client_secret="oauth-secret"
        )
        assert settings.oauth_mode
        deps = build_deps(settings, storage=Storage(url, Fernet(app_key)))
        try:
            async with serve_app(settings, deps, fake) as sender:
                yield OAuthApp(fake, deps, sender)
                await deps.work.drain(10)
        finally:
            await deps.aclose()


async def install(app: OAuthApp, team_id: str = TEAM) -> None:
    """What Slack's OAuth redirect would have stored for a workspace that installed the app."""
    store, _ = app.deps.storage.slack_oauth_stores(CLIENT_ID)
    await store.async_save(
        Installation(
            app_id="A0LOCAL",
            enterprise_id=None,
            team_id=team_id,
            user_id=ADMIN,
            bot_token=INSTALLED_TOKEN,
            bot_id="B0LOCAL",
            bot_user_id="U0BOT",
            bot_scopes=list(BOT_SCOPES),
            installed_at=datetime.now(UTC).timestamp(),
        )
    )


async def help_command(app: OAuthApp, team_id: str) -> httpx.Response:
    body = p.slash_command(
        "/tickets",
        "help",
        user=DEMO,
        channel=CHANNEL,
        team=team_id,
        trigger_id=app.fake.new_trigger_id(DEMO),
        response_url=app.fake.new_response_url(CHANNEL, DEMO),
    )
    resp = await app.sender.send(*body)
    await app.deps.work.drain(10)
    return resp


async def test_install_page_links_to_slacks_authorize_with_our_scopes(oauth_app: OAuthApp) -> None:
    async with httpx.AsyncClient() as http:
        resp = await http.get(oauth_app.root + INSTALL_PATH)

    assert resp.status_code == 200
    assert "slack-app-oauth-state" in resp.headers.get("set-cookie", "")
    link = next(
        part for part in resp.text.split('"') if part.startswith("https://slack.com/oauth/v2/authorize")
    )
    query = parse_qs(urlsplit(link.replace("&amp;", "&")).query)
    assert query["client_id"] == [CLIENT_ID]
    assert set(query["scope"][0].split(",")) == set(BOT_SCOPES)
    assert query["state"][0]


async def test_requests_from_an_installed_team_are_authorized_from_storage(oauth_app: OAuthApp) -> None:
    await install(oauth_app)

    resp = await help_command(oauth_app, TEAM)

    assert resp.status_code == 200
    answers = [c for c in oauth_app.fake.calls_to("response_url") if c.status == 200]
    assert len(answers) == 1
    assert "/tickets mine" in str(answers[0].args["blocks"])  # the help message


async def test_requests_from_a_team_without_installation_are_not_served(oauth_app: OAuthApp) -> None:
    await install(oauth_app, team_id="T0OTHER")

    resp = await help_command(oauth_app, TEAM)

    assert resp.status_code == 200
    answers = [str(c.args) for c in oauth_app.fake.calls_to("response_url")]
    assert answers and all("reinstall this app" in a and "/tickets mine" not in a for a in answers)


async def test_oauth_redirect_with_a_forged_state_installs_nothing(oauth_app: OAuthApp) -> None:
    async with httpx.AsyncClient() as http:
        resp = await http.get(
            oauth_app.root + "/slack/oauth_redirect", params={"code": "x", "state": "forged"}
        )

    assert resp.status_code == 400
    store, _ = oauth_app.deps.storage.slack_oauth_stores(CLIENT_ID)
    assert await store.async_find_bot(enterprise_id=None, team_id=TEAM) is None


async def test_an_installed_teams_next_commands_skip_the_installation_lookup_until_it_uninstalls(
    oauth_app: OAuthApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    await install(oauth_app)
    store, _ = oauth_app.deps.storage.slack_oauth_stores(CLIENT_ID)
    lookups: list[str | None] = []
    for name in ("async_find_installation", "async_find_bot"):
        original = getattr(type(store), name)

        async def counted(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            lookups.append(kwargs.get("team_id"))
            return await _original(self, *args, **kwargs)

        monkeypatch.setattr(type(store), name, counted)

    answered = [(await help_command(oauth_app, TEAM)).status_code for _ in range(3)]
    authorized = len(lookups)
    await oauth_app.sender.send(*p.event_callback({"type": "app_uninstalled"}, team_id=TEAM))
    await store.async_delete_installation(enterprise_id=None, team_id=TEAM)
    await store.async_delete_bot(enterprise_id=None, team_id=TEAM)
    refused = await help_command(oauth_app, TEAM)

    assert answered == [200, 200, 200]
    assert authorized >= 1 and set(lookups[:authorized]) == {TEAM}  # the first command's authorization
    helps = [c for c in oauth_app.fake.calls_to("response_url") if "/tickets mine" in str(c.args)]
    assert len(helps) == 3
    assert len(lookups) > authorized  # after the uninstall Bolt looks it up again, and refuses
    assert "reinstall this app" in str(oauth_app.fake.calls_to("response_url")[-1].args)
    assert refused.status_code == 200

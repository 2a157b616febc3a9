"""slack-sdk's OAuth stores work on our engine and our migrated tables, on both backends."""

from __future__ import annotations

import logging

import pytest
from slack_sdk.oauth.installation_store import Installation

from storage import Storage, build_slack_oauth_stores

BOT_TOKEN = "xoxb-1111-2222-SECRETBOTTOKEN"


def _installation(team_id: str, bot_token: str = BOT_TOKEN, enterprise_id: str | None = None) -> Installation:
    return Installation(
        app_id="A1",
        enterprise_id=enterprise_id,
        team_id=team_id,
        team_name="Acme MSP",
        bot_token=bot_token,
        bot_id="B1",
        bot_user_id="UBOT",
        bot_scopes=["commands", "chat:write"],
        user_id="UINSTALLER",
    )


async def test_an_installation_is_saved_and_found_per_workspace(
    db: Storage, caplog: pytest.LogCaptureFixture
) -> None:
    installations, _ = db.slack_oauth_stores("client-1")
    with caplog.at_level(logging.DEBUG):
        await installations.async_save(_installation("T1"))
        await installations.async_save(_installation("T2", bot_token="xoxb-other"))
        found = await installations.async_find_installation(enterprise_id=None, team_id="T1")
        bot = await installations.async_find_bot(enterprise_id=None, team_id="T2")

    assert found is not None and found.bot_token == BOT_TOKEN and found.team_name == "Acme MSP"
    assert found.bot_scopes == ["commands", "chat:write"]
    assert bot is not None and bot.bot_token == "xoxb-other"
    assert await installations.async_find_installation(enterprise_id=None, team_id="T404") is None
    assert BOT_TOKEN not in caplog.text  # neither SQLAlchemy nor aiosqlite logs the bound token


async def test_installations_of_another_slack_app_are_not_visible(db: Storage) -> None:
    ours, _ = build_slack_oauth_stores(db.engine, "client-1")
    theirs, _ = build_slack_oauth_stores(db.engine, "client-2")
    await ours.async_save(_installation("T1"))
    assert await theirs.async_find_installation(enterprise_id=None, team_id="T1") is None


async def test_uninstall_deletes_the_workspace_installation(db: Storage) -> None:
    installations, _ = db.slack_oauth_stores("client-1")
    await installations.async_save(_installation("T1", enterprise_id="E1"))
    await installations.async_delete_installation(enterprise_id="E1", team_id="T1")
    await installations.async_delete_bot(enterprise_id="E1", team_id="T1")
    assert await installations.async_find_installation(enterprise_id="E1", team_id="T1") is None
    assert await installations.async_find_bot(enterprise_id="E1", team_id="T1") is None


async def test_oauth_state_is_consumed_once(db: Storage) -> None:
    _, states = db.slack_oauth_stores("client-1")
    state = await states.async_issue()
    assert await states.async_consume(state) is True
    assert await states.async_consume(state) is False
    assert await states.async_consume("forged-state") is False


async def test_expired_oauth_state_is_refused(db: Storage) -> None:
    _, states = db.slack_oauth_stores("client-1", state_expiration_seconds=-1)
    assert await states.async_consume(await states.async_issue()) is False

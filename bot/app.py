"""The composition root of the Slack side: `build_app(settings, deps) -> AsyncApp`."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import AppDeps
from bot.listeners import register_all
from bot.settings import Settings

log = logging.getLogger(__name__)

# Only what the app uses (tests/bot/test_scopes.py derives this list from the Web API methods called
# in bot/ and the events subscribed to, and fails on any scope too many or missing).
BOT_SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "users:read",
    "users:read.email",
    "channels:history",
    "groups:history",
    "links:read",  # link_shared: ConnectWise ticket links posted where the app is
    "links:write",  # chat.unfurl: their preview
    "usergroups:read",  # the admins' optional "only this user group" rule (usergroups.list / .users.list)
)


class AppConfigError(RuntimeError):
    """Slack settings are missing or contradictory."""


def build_app(settings: Settings, deps: AppDeps, *, client: AsyncWebClient | None = None) -> AsyncApp:
    """A Bolt AsyncApp in single-workspace or OAuth mode with every listener registered.

    Listeners ack first and hand slow work to `deps.work`, so the HTTP answer never waits for
    ConnectWise and every post-ack task is tracked (`process_before_response=True` keeps the ack
    itself deterministic).
    """
    if settings.slack_signing_secret is None and not settings.slack_app_token:
        raise AppConfigError("SLACK_SIGNING_SECRET is required")
    signing_secret = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    )
    base_url = settings.slack_api_url or AsyncWebClient.BASE_URL
    common: dict[str, Any] = {
        "name": "tickets",  # else Bolt names the app from inspect.stack(): ~0.1 s of CPU per app built
        "signing_secret": signing_secret,
        "process_before_response": True,
        "logger": logging.getLogger("bot.bolt"),
    }
    if settings.oauth_mode:
        assert settings.slack_client_id and settings.slack_client_secret  # oauth_mode checked both
        installation_store, state_store = deps.storage.slack_oauth_stores(settings.slack_client_id)
        oauth = AsyncOAuthSettings(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret.get_secret_value(),
            scopes=list(BOT_SCOPES),
            installation_store=installation_store,
            state_store=state_store,
        )
        app = AsyncApp(client=client or AsyncWebClient(base_url=base_url), oauth_settings=oauth, **common)
    else:
        if client is None:
            if settings.slack_bot_token is None:
                raise AppConfigError("SLACK_BOT_TOKEN (or SLACK_CLIENT_ID + SLACK_CLIENT_SECRET) is required")
            client = AsyncWebClient(token=settings.slack_bot_token.get_secret_value(), base_url=base_url)
        app = AsyncApp(client=client, **common)
        app.middleware(_single_team_guard)

    app.error(on_error)
    deps.slack.bind(app.client)
    register_all(app, deps)
    return app


async def _single_team_guard(context: Any, body: dict[str, Any], next: Any) -> BoltResponse | None:
    """With one bot token the app serves one installation: a request for any other is dropped."""
    installed = context.authorize_result
    # No auth.test was made (url_verification, ssl_check, tokens_revoked…): nothing is served with
    # the bot token, and no listener of this app handles those.
    if installed is None or installed.bot_id is None:
        return await next()
    if belongs_to_installation(
        installed_team=installed.team_id,
        installed_enterprise=installed.enterprise_id,
        team=context.team_id,
        enterprise=context.enterprise_id,
    ):
        return await next()
    if context.team_id is None and context.enterprise_id is None:
        return BoltResponse(status=400, body="")  # names no workspace at all: not a request from Slack
    log.warning(
        "dropped a request from team %s / enterprise %s (installed in team %s / enterprise %s)",
        context.team_id,
        context.enterprise_id,
        installed.team_id,
        installed.enterprise_id,
    )
    return BoltResponse(status=200, body="")


def belongs_to_installation(
    *,
    installed_team: str | None,
    installed_enterprise: str | None,
    team: str | None,
    enterprise: str | None,
) -> bool:
    """Whether a request's workspace (and Grid org) is the installation's.

    A workspace install serves its own team only, with the same Grid org (or none) that auth.test
    named. An org-wide install of Enterprise Grid (auth.test names the enterprise and no workspace of
    its own: team_id absent or the enterprise id) serves every workspace of that org and no other.
    """
    if installed_enterprise and installed_team in (None, "", installed_enterprise):
        return enterprise == installed_enterprise
    return bool(installed_team) and team == installed_team and enterprise == installed_enterprise


async def on_error(error: Exception, body: dict[str, Any], response: BoltResponse | None) -> BoltResponse:
    """Log with context (never tokens or secrets) and answer 200: Slack must not show a failure page."""
    kind = body.get("type") or ("slash_command" if "command" in body else "unknown")
    team = body.get("team_id") or (body.get("team") or {}).get("id")
    user = body.get("user_id") or (body.get("user") or {}).get("id")
    ids = [a.get("action_id") for a in body.get("actions") or [] if isinstance(a, dict)]
    callback = body.get("callback_id") or (body.get("view") or {}).get("callback_id")
    log.error(
        "listener failed: type=%s team=%s user=%s actions=%s callback=%s",
        kind,
        team,
        user,
        ids,
        callback,
        exc_info=error,
    )
    # Retrying an event that already failed once only repeats the failure (and any side effects).
    return BoltResponse(status=200, body="", headers={"x-slack-no-retry": "1"})

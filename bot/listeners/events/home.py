"""`app_home_opened`: publish the user's "My queue" Home tab."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.actor import actor_from
from bot.deps import AppDeps
from bot.flows.home import home_opened


def register(app: AsyncApp, deps: AppDeps) -> None:
    """Register the Home tab event (the Messages tab is left alone)."""

    async def on_home_opened(
        body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        if event.get("tab") != "home" or not event.get("user"):
            return
        team_id = actor_from(body, context).team_id
        view = event.get("view") or {}
        deps.tasks.spawn(
            home_opened(deps, client, team_id=team_id, user_id=event["user"], view_hash=view.get("hash")),
            name="home-opened",
        )

    app.event("app_home_opened")(on_home_opened)

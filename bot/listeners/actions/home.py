"""The Home tab's buttons: Connect, Map, Refresh/Retry, View all, New ticket (rows: actions/detail.py)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.actor import actor_from
from bot.deps import AppDeps
from bot.flows import connect, home, mapping
from bot.ids import HomeAction


def register(app: AsyncApp, deps: AppDeps) -> None:
    """Register the Home tab's buttons."""

    async def on_refresh(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await ack()
        actor = actor_from(body, context)
        deps.tasks.spawn(
            home.publish_home(
                deps, client, team_id=actor.team_id, user_id=actor.user_id, view_hash=actor.view_hash
            ),
            name="home-refresh",
        )

    async def on_view_all(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await ack()
        deps.tasks.spawn(home.view_all(deps, client, actor_from(body, context)), name="home-view-all")

    async def on_new_ticket(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await ack()
        deps.tasks.spawn(home.new_ticket(deps, client, actor_from(body, context)), name="home-new-ticket")

    async def on_connect(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await ack()
        actor = actor_from(body, context)
        if actor.trigger_id:
            deps.tasks.spawn(
                connect.open_connect_modal(
                    deps, client, team_id=actor.team_id, user_id=actor.user_id, trigger_id=actor.trigger_id
                ),
                name="home-connect",
            )

    async def on_map(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await ack()
        actor = actor_from(body, context)
        if actor.trigger_id:
            deps.tasks.spawn(
                mapping.open_mapping_modal(
                    deps, client, team_id=actor.team_id, user_id=actor.user_id, trigger_id=actor.trigger_id
                ),
                name="home-map",
            )

    app.action(HomeAction.REFRESH)(on_refresh)
    app.action(HomeAction.RETRY)(on_refresh)
    app.action(HomeAction.VIEW_ALL)(on_view_all)
    app.action(HomeAction.NEW_TICKET)(on_new_ticket)
    app.action(HomeAction.CONNECT)(on_connect)
    app.action(HomeAction.MAP)(on_map)

"""The mapping modal's Unmap button and the admins' "Slack user" picker."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.actor import actor_from
from bot.deps import AppDeps
from bot.flows import mapping
from bot.ids import MappingAction
from bot.listeners.spawn import on_view


def register(app: AsyncApp, deps: AppDeps) -> None:
    """Register the mapping modal's actions."""

    async def on_pick_user(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        if body.get("view"):
            actor = actor_from(body, context)
            selected = action.get("selected_user") or None
            deps.tasks.spawn(
                mapping.change_target(deps, client, actor, body["view"], selected), name="mapping-target"
            )

    async def on_ack_only(ack: AsyncAck) -> None:
        await ack()

    app.action(MappingAction.UNMAP)(on_view(deps, mapping.unmap, "mapping-unmap"))
    app.action(MappingAction.SLACK_USER)(on_pick_user)
    app.action(MappingAction.REASSIGN)(on_ack_only)

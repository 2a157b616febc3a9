"""Options of the mapping modal's member select (answered inside the ack, within Slack's 3 s)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.actor import actor_from
from bot.deps import AppDeps
from bot.flows.mapping import member_options
from bot.ids import MappingAction


def register(app: AsyncApp, deps: AppDeps) -> None:
    """Register the mapping member options."""

    async def on_members(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        actor = actor_from(body, context)
        await ack(
            options=await member_options(deps, client, actor, body.get("view"), body.get("value") or "")
        )

    app.options(MappingAction.MEMBER)(on_members)

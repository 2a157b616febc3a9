"""Buttons in the app's messages: Connect, Map, New ticket."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.actor import actor_from
from bot.deps import AppDeps
from bot.flows.commands import open_connect, open_create, open_mapping
from bot.ids import MessageAction


def register(app: AsyncApp, deps: AppDeps) -> None:
    """Register the setup and new-ticket buttons of messages."""

    async def on_connect(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await ack()
        deps.tasks.spawn(open_connect(deps, client, actor_from(body, context)), name="message-connect")

    async def on_map(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await ack()
        deps.tasks.spawn(open_mapping(deps, client, actor_from(body, context)), name="message-map")

    async def on_new(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await ack()
        deps.tasks.spawn(open_create(deps, client, actor_from(body, context)), name="message-new")

    app.action(MessageAction.CONNECT)(on_connect)
    app.action(MessageAction.MAP)(on_map)
    app.action(MessageAction.NEW_TICKET)(on_new)

"""The global "New ticket" shortcut opens ticket creation."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.actor import actor_from
from bot.deps import AppDeps
from bot.flows.commands import open_create
from bot.ids import Shortcut


def register(app: AsyncApp, deps: AppDeps) -> None:
    """Register the global New ticket shortcut."""

    async def on_new_ticket(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await ack()
        deps.tasks.spawn(open_create(deps, client, actor_from(body, context)), name="shortcut-new-ticket")

    app.shortcut(Shortcut.NEW_TICKET)(on_new_ticket)

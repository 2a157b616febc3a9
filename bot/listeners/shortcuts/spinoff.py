"""The "Create spin-off ticket" message shortcut opens Quick Create with the message as the prompt."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.actor import actor_from
from bot.deps import AppDeps
from bot.flows.spinoff import spinoff_from_message
from bot.ids import Shortcut


def register(app: AsyncApp, deps: AppDeps) -> None:
    """Register the Create spin-off ticket message shortcut."""

    async def on_spinoff(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await ack()
        actor = actor_from(body, context)
        message = body.get("message") or {}
        deps.tasks.spawn(spinoff_from_message(deps, client, actor, message), name="shortcut-spinoff")

    app.message_shortcut(Shortcut.CREATE_SPINOFF)(on_spinoff)

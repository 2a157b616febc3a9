"""`/tickets`: ack at once (empty), answer through the response_url from a tracked task."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.actor import actor_from
from bot.deps import AppDeps
from bot.flows.commands import run_command
from bot.ids import COMMAND


def register(app: AsyncApp, deps: AppDeps) -> None:
    """Every `/tickets` text goes to one listener; the grammar turns any input into a command."""

    async def on_tickets(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await ack()
        actor = actor_from(body, context)
        deps.tasks.spawn(run_command(deps, client, actor, body.get("text") or ""), name="tickets-command")

    app.command(COMMAND)(on_tickets)

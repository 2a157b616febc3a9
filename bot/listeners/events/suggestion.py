"""`message` events in linked threads: the spin-off assistant looks at each new reply in the background."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.actor import actor_from
from bot.deps import AppDeps
from bot.flows.suggestions import suggest_spinoff, thread_message


def register(app: AsyncApp, deps: AppDeps) -> None:
    """Register the message event listener (Bolt acks events itself once this returns)."""

    async def on_message(body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext) -> None:
        message = thread_message(body, actor_from(body, context).team_id)
        if message is not None:
            deps.tasks.spawn(suggest_spinoff(deps, client, message), name="spinoff-suggestion")

    app.event("message")(on_message)

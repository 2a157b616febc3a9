"""The spin-off suggestion's buttons: Create (opens Quick Create) and Dismiss."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.actor import actor_from
from bot.deps import AppDeps
from bot.flows.spinoff import dismiss_suggestion, open_suggestion
from bot.ids import SuggestionAction


def _value(body: dict[str, Any]) -> str | None:
    actions = body.get("actions") or [{}]
    value = actions[0].get("value")
    return str(value) if value is not None else None


def register(app: AsyncApp, deps: AppDeps) -> None:
    """Register the suggestion buttons."""

    async def on_create(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await ack()
        actor = actor_from(body, context)
        deps.tasks.spawn(open_suggestion(deps, client, actor, _value(body)), name="suggestion-create")

    async def on_dismiss(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await ack()
        actor = actor_from(body, context)
        deps.tasks.spawn(dismiss_suggestion(deps, client, actor, _value(body)), name="suggestion-dismiss")

    app.action(SuggestionAction.CREATE)(on_create)
    app.action(SuggestionAction.DISMISS)(on_dismiss)

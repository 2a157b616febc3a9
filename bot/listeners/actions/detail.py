"""The ticket detail modal's actions, and every "open this ticket" button."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.actor import actor_from
from bot.deps import AppDeps
from bot.flows.detail import open_detail
from bot.ids import OPEN_TICKET_ACTIONS, URL_BUTTON_ACTIONS, ListAction
from bot.state import Origin


def _ticket_id(value: Any) -> int | None:
    return int(value) if isinstance(value, str) and value.isdigit() else None


def register(app: AsyncApp, deps: AppDeps) -> None:
    """Register the detail modal's actions and the open-ticket buttons of every surface."""

    async def on_open(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        ticket_id = _ticket_id(action.get("value"))
        if ticket_id is None:
            return
        actor = actor_from(body, context)
        in_modal = (body.get("view") or {}).get("type") == "modal"
        origin = Origin(channel_id=actor.channel_id) if actor.channel_id else None
        deps.tasks.spawn(
            open_detail(deps, client, actor, ticket_id, origin=origin, push=in_modal), name="open-ticket"
        )

    async def on_url_button(ack: AsyncAck) -> None:
        await ack()

    for action_id in OPEN_TICKET_ACTIONS:
        if action_id != ListAction.OPEN:  # the list registers its own row button
            app.action(action_id)(on_open)
    for action_id in URL_BUTTON_ACTIONS:
        app.action(action_id)(on_url_button)

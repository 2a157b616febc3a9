"""Submitting the New Ticket modal: the answer (errors / Creating… / result) is decided before the ack."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.actor import actor_from
from bot.deps import AppDeps
from bot.flows.create.submit import decide_submission
from bot.ids import Callback


def register(app: AsyncApp, deps: AppDeps) -> None:
    """Register the create modal's view_submission."""

    async def on_submit(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        actor = actor_from(body, context)
        decision = await decide_submission(deps, actor, body.get("view") or {})
        await ack(**decision.ack)
        if decision.follow_up is not None:
            deps.tasks.spawn(decision.follow_up(client), name=decision.name)

    app.view(Callback.CREATE)(on_submit)

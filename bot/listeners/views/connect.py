"""Submitting the connect modal: tested before saving, answered within Slack's 3 s."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.actor import actor_from
from bot.deps import AppDeps
from bot.flows.connect import submit_connect
from bot.ids import Callback


def register(app: AsyncApp, deps: AppDeps) -> None:
    """Register the connect modal's submission."""

    async def on_submit(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        answer = await submit_connect(deps, client, actor_from(body, context), body["view"])
        await ack(**answer)

    app.view(Callback.CONNECT)(on_submit)

"""The "Link thread to ticket" message shortcut opens the link-thread modal."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.actor import actor_from
from bot.deps import AppDeps
from bot.flows.link_thread import open_link_thread
from bot.ids import Shortcut


def register(app: AsyncApp, deps: AppDeps) -> None:
    """Register the Link thread to ticket message shortcut."""

    async def on_link_thread(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await ack()
        actor = actor_from(body, context)
        message = body.get("message") or {}
        deps.tasks.spawn(open_link_thread(deps, client, actor, message), name="shortcut-link-thread")

    app.message_shortcut(Shortcut.LINK_THREAD)(on_link_thread)

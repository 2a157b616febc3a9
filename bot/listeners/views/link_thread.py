"""The link-thread modal's submit: checked against the PSA before the answer (errors stay in the modal)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.actor import actor_from
from bot.deps import AppDeps
from bot.flows.link_thread import submit_link
from bot.ids import Callback, LinkThreadField


def register(app: AsyncApp, deps: AppDeps) -> None:
    """Register the link-thread submission."""

    async def on_submit(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        try:
            outcome = await submit_link(deps, client, actor_from(body, context), body.get("view") or {})
        except Exception:
            # Answer anyway, so the user sees a message instead of Slack's generic failure.
            await ack(
                response_action="errors", errors={LinkThreadField.TICKET: "Something went wrong; try again."}
            )
            raise
        await ack(**outcome.ack)
        if outcome.then is not None:
            deps.tasks.spawn(outcome.then, name="link-thread-confirm")

    app.view(Callback.LINK_THREAD)(on_submit)

"""Listener builders for the commonest shape: ack at once, then run a flow on the modal in the background."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.actor import Actor, actor_from
from bot.deps import AppDeps

ViewFlow = Callable[[AppDeps, AsyncWebClient, Actor, dict[str, Any]], Coroutine[Any, Any, None]]
PickFlow = Callable[[AppDeps, AsyncWebClient, Actor, dict[str, Any], int], Coroutine[Any, Any, None]]
Listener = Callable[..., Awaitable[None]]


def on_view(deps: AppDeps, flow: ViewFlow, name: str) -> Listener:
    """A button in a modal: ack, then run `flow` on the modal the click came from."""

    async def listener(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await ack()
        if body.get("view"):
            deps.tasks.spawn(flow(deps, client, actor_from(body, context), body["view"]), name=name)

    return listener


def on_pick(
    deps: AppDeps, flow: PickFlow, name: str, pick: Callable[[dict[str, Any]], int | None]
) -> Listener:
    """A select or per-row button in a modal: ack, then run `flow` with the id it carries."""

    async def listener(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        picked = pick(action)
        if picked is not None and body.get("view"):
            actor = actor_from(body, context)
            deps.tasks.spawn(flow(deps, client, actor, body["view"], picked), name=name)

    return listener

"""The list's search modal: submit replaces the list message with the new search."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.actor import actor_from
from bot.deps import AppDeps
from bot.flows.list_actions import apply_search
from bot.ids import Callback
from bot.state import StateError
from bot.views.ticket_list import read_search_modal


def register(app: AsyncApp, deps: AppDeps) -> None:
    """Register the search modal's submission."""

    async def on_submit(
        ack: AsyncAck,
        body: dict[str, Any],
        view: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        try:
            state, response_url = read_search_modal(view)
        except StateError:
            return
        actor = actor_from(body, context).model_copy(update={"response_url": response_url})
        deps.tasks.spawn(apply_search(deps, client, actor, state), name="list-search-submit")

    app.view(Callback.LIST_SEARCH)(on_submit)

"""The `/tickets` list message: paging, filters, search, row open/menu, share."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.actor import actor_from
from bot.deps import AppDeps
from bot.flows import list_actions
from bot.ids import ListAction
from bot.state import StateError
from bot.views.ticket_list import list_state_of_row, row_menu_choice

_REPLACING = (
    ListAction.PREV,
    ListAction.NEXT,
    ListAction.REFRESH,
    ListAction.PICK,
    ListAction.CLOSED,
    ListAction.BOARD,
    ListAction.STATUS,
    ListAction.PRIORITY,
    ListAction.COMPANY,
    ListAction.ASSIGNED,
)


def _ticket_id(value: Any) -> int | None:
    return int(value) if isinstance(value, str) and value.isdigit() else None


def register(app: AsyncApp, deps: AppDeps) -> None:
    """Register the list message's actions."""

    async def on_change(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await ack()
        actor = actor_from(body, context)
        deps.tasks.spawn(list_actions.change_list(deps, client, actor, body), name="list-change")

    async def on_search(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await ack()
        actor = actor_from(body, context)
        deps.tasks.spawn(list_actions.open_search(deps, client, actor, body), name="list-search")

    async def on_open(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        ticket_id = _ticket_id(action.get("value"))
        if ticket_id is not None:
            actor = actor_from(body, context)
            listing = list_state_of_row(action.get("block_id"))
            deps.tasks.spawn(
                list_actions.open_row(deps, client, actor, ticket_id, listing=listing), name="list-open"
            )

    async def on_share(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        ticket_id = _ticket_id(action.get("value"))
        if ticket_id is not None:
            actor = actor_from(body, context)
            deps.tasks.spawn(list_actions.share_from_list(deps, client, actor, ticket_id), name="list-share")

    async def on_row_menu(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        try:
            verb, ticket_id = row_menu_choice(action)
        except StateError:
            return
        actor = actor_from(body, context)
        if verb == "open":
            listing = list_state_of_row(action.get("block_id"))
            deps.tasks.spawn(
                list_actions.open_row(deps, client, actor, ticket_id, listing=listing), name="list-open"
            )
        else:
            deps.tasks.spawn(list_actions.share_from_list(deps, client, actor, ticket_id), name="list-share")

    for action_id in _REPLACING:
        app.action(action_id)(on_change)
    app.action(ListAction.SEARCH)(on_search)
    app.action(ListAction.OPEN)(on_open)
    app.action(ListAction.SHARE)(on_share)
    app.action(ListAction.ROW_MENU)(on_row_menu)

"""Clicks on the list message: paging, filters, search modal, row menu and share."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.actor import Actor
from bot.deps import AppDeps
from bot.flows.detail import open_detail
from bot.flows.respond import respond
from bot.flows.share import ShareFailed, share_ticket
from bot.flows.tickets_list import show_list
from bot.flows.views_io import open_view
from bot.state import ListState, Origin, StateError
from bot.views.messages import error_message, notice_message
from bot.views.prompts import not_connected_prompt
from bot.views.ticket_list import list_state_from_action, search_modal

log = logging.getLogger(__name__)


async def change_list(deps: AppDeps, client: AsyncWebClient, actor: Actor, body: dict[str, Any]) -> None:
    """Prev/Next/Refresh/filters: re-render the list for the state the click asks for, in place."""
    try:
        state = list_state_from_action(body)
    except StateError as exc:
        log.info("ignored a list click with foreign state: %s", exc)
        return
    await show_list(deps, client, actor, state, replace=True)


async def open_search(deps: AppDeps, client: AsyncWebClient, actor: Actor, body: dict[str, Any]) -> None:
    """The search modal, remembering which list message to replace."""
    if actor.trigger_id is None:
        return
    try:
        state = list_state_from_action(body)
    except StateError:
        state = ListState()
    await open_view(client, actor.trigger_id, search_modal(state, response_url=actor.response_url))


async def apply_search(deps: AppDeps, client: AsyncWebClient, actor: Actor, state: ListState) -> None:
    """The search modal was submitted: replace the list message it came from."""
    await show_list(deps, client, actor, state, replace=actor.response_url is not None)


async def share_from_list(deps: AppDeps, client: AsyncWebClient, actor: Actor, ticket_id: int) -> None:
    """Post the ticket card in the channel the list is shown in."""
    service = await deps.workspaces.service(actor.team_id)
    if service is None:
        is_admin = await deps.directory.can_manage(client, actor.team_id, actor.user_id)
        await respond(actor.response_url, not_connected_prompt(is_admin=is_admin))
        return
    if not actor.channel_id:
        await respond(actor.response_url, error_message("There is no channel to share into here."))
        return
    try:
        await share_ticket(
            deps,
            client,
            service,
            team_id=actor.team_id,
            user_id=actor.user_id,
            ticket_id=ticket_id,
            channel_id=actor.channel_id,
        )
    except ShareFailed as failed:
        await respond(actor.response_url, error_message(failed.message))
        return
    await respond(actor.response_url, notice_message(f"Shared ticket #{ticket_id} in this channel."))


async def open_row(
    deps: AppDeps,
    client: AsyncWebClient,
    actor: Actor,
    ticket_id: int,
    *,
    listing: ListState | None = None,
) -> None:
    """A row's Open: the detail modal, sharing into the channel the list is in; changes refresh the list."""
    origin = Origin(channel_id=actor.channel_id) if actor.channel_id else None
    await open_detail(deps, client, actor, ticket_id, origin=origin, listing=listing)

"""The `/tickets` list: search, render, and replace the same message when paging or filtering."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.actor import Actor
from bot.deps import AppDeps
from bot.flows.filters import all_statuses
from bot.flows.respond import respond
from bot.state import ListState
from bot.views.prompts import not_connected_prompt, not_mapped_prompt, psa_error_message
from bot.views.ticket_list import ListReference, ticket_list_message
from psa.aio import gather_all
from psa.errors import PSAError
from psa.models import TicketListResponse
from psa.service import NotMappedError, TicketService

log = logging.getLogger(__name__)
Payload = dict[str, Any]


async def list_reference(service: TicketService, state: ListState) -> ListReference:
    """Boards, statuses (of the chosen board, else of all) and priorities for the filter bar."""
    try:
        boards, priorities = await gather_all(service.boards(), service.priorities())
        board_id = state.filters.board_id
        statuses = await service.statuses(board_id) if board_id else await all_statuses(service, boards)
    except PSAError as exc:
        # The filter bar is decoration: without reference data the list still renders, with "Any" only.
        log.warning("list reference data unavailable: %s", exc.message)
        return ListReference()
    return ListReference(boards=boards, statuses=statuses, priorities=priorities)


async def render_list(
    deps: AppDeps, client: AsyncWebClient, actor: Actor, state: ListState
) -> tuple[Payload, bool]:
    """(the list message for `state`, True) or (the message that explains why there is none, False)."""
    service = await deps.workspaces.service(actor.team_id)
    if service is None:
        is_admin = await deps.directory.can_manage(client, actor.team_id, actor.user_id)
        return not_connected_prompt(is_admin=is_admin), False
    try:
        response: TicketListResponse
        response, reference = await gather_all(
            service.search(state.filters, user_ref=actor.user_id, page=state.page, page_size=state.page_size),
            list_reference(service, state),
        )
    except NotMappedError:
        return not_mapped_prompt(), False
    except PSAError as exc:
        log.info("list failed for team %s: %s", actor.team_id, exc.message)
        return psa_error_message(exc, doing="load the tickets"), False
    deps.rows.remember(actor.team_id, response.items)
    return ticket_list_message(response, state, reference), True


async def show_list(
    deps: AppDeps, client: AsyncWebClient, actor: Actor, state: ListState, *, replace: bool = False
) -> None:
    """Answer with the list; `replace` edits the list message the click came from (paging, filters)."""
    payload, is_list = await render_list(deps, client, actor, state)
    # A failure while paging is told beside the list, which stays as it was.
    await respond(actor.response_url, payload, replace=replace and is_list, session=client.session)

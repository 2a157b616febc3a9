"""The `/tickets` list: search, render, and replace the same message when paging or filtering."""

from __future__ import annotations

import logging
from typing import Any

from bot.flows.context import FlowContext
from bot.flows.filters import all_statuses
from bot.flows.stored import keep_list
from bot.state import ListState
from bot.views.ticket_list import ListReference, ticket_list_message
from psa.aio import gather_all
from psa.errors import PSAError
from psa.models import TicketListResponse
from psa.service import TicketService

log = logging.getLogger(__name__)
Payload = dict[str, Any]
LOADING = "load the tickets"


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


async def render_list(ctx: FlowContext, state: ListState) -> Payload:
    """The list message for `state`; raises NotConnected, NotMappedError, PSAError, or a read refusal."""
    service = await ctx.service()
    await ctx.require_reader()
    response: TicketListResponse
    response, reference = await gather_all(
        service.search(state.filters, user_ref=ctx.user_id, page=state.page, page_size=state.page_size),
        list_reference(service, state),
    )
    ctx.deps.rows.remember(ctx.team_id, response.items)
    return ticket_list_message(response, state, reference, list_id=await keep_list(ctx, state))


async def show_list(ctx: FlowContext, state: ListState, *, replace: bool = False) -> None:
    """Answer with the list; `replace` edits the list message the click came from (paging, filters).

    A failure is told beside the list (ephemeral), which stays as it was.
    """
    ctx.doing = LOADING
    await ctx.respond(await render_list(ctx, state), replace=replace)

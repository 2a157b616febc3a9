"""The ticket detail modal: open at once with the row, hydrate with context + assignees in parallel."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.flows import list_refresh
from bot.flows.context import FlowContext
from bot.flows.views_io import OpenedView
from bot.flows.work import WorkItem, flow
from bot.state import DetailState, Origin, StateError
from bot.views.messages import error_message
from bot.views.prompts import psa_error_text
from bot.views.ticket_detail import DetailData, detail_loading, detail_view
from bot.views.time_section import ENTRIES_SHOWN, TimeSection
from psa.aio import gather_all
from psa.errors import PSAError, PSANotFoundError
from psa.models import BoardStatus, PSATicketSearchResult, TicketContext
from psa.service import TicketService

log = logging.getLogger(__name__)

# How long `/tickets 1042` waits for the ticket before opening a placeholder modal instead: the
# trigger_id dies 3 s after the command, and views.open itself needs a moment.
ROW_WAIT_SECONDS = 1.5
LOADING_SUMMARY = "Loading…"


def placeholder_row(ticket_id: int) -> PSATicketSearchResult:
    """What a modal shows before anything about the ticket is known."""
    return PSATicketSearchResult(id=ticket_id, summary=LOADING_SUMMARY)


def not_found_text(ticket_id: int) -> str:
    """The message for a ticket number that does not exist."""
    return f"Ticket #{ticket_id} doesn't exist in ConnectWise (it may have been deleted or merged)."


async def _statuses(service: TicketService, board_id: int | None) -> list[BoardStatus]:
    if board_id is None:
        return []
    try:
        return await service.statuses(board_id)
    except PSAError as exc:
        # Without the board's statuses the modal still shows everything else, minus the status select.
        log.warning("statuses of board %s unavailable: %s", board_id, exc.message)
        return []


async def time_section(service: TicketService, ticket_id: int) -> TimeSection:
    """The ticket's latest time entries; a failure is kept as such (the modal says so, never "no time")."""
    try:
        return TimeSection(entries=await service.list_time_entries(ticket_id, limit=ENTRIES_SHOWN))
    except PSAError as exc:
        log.warning("time entries of #%s unavailable: %s", ticket_id, exc.message)
        return TimeSection(failed=True)


async def load_detail(
    ctx: FlowContext,
    service: TicketService,
    ticket_id: int,
    *,
    known: PSATicketSearchResult | None = None,
) -> DetailData:
    """Context, assignees, board statuses and mappings, all in one parallel round when `known` is given."""
    lookup = ctx.deps.storage.mapping_lookup(ctx.team_id)
    board_id = known.board.id if known is not None and known.board is not None else None
    detail, statuses, mapped, viewer, time, followers = await gather_all(
        service.get_detail(ticket_id, known=known),
        _statuses(service, board_id),
        lookup.mapped_member_ids(),
        lookup.member_id_for(ctx.user_id),
        time_section(service, ticket_id),
        ctx.deps.storage.live().followers(ctx.team_id, ticket_id),
    )
    ticket = detail.context.ticket
    actual_board = ticket.board.id if ticket.board is not None else None
    if actual_board != board_id:
        statuses = await _statuses(service, actual_board)
    ctx.deps.rows.remember(ctx.team_id, [ticket])
    return DetailData(
        context=detail.context,
        resources=detail.resources,
        statuses=statuses,
        slack_users=mapped,
        viewer_member_id=viewer,
        time=time,
        following=ctx.user_id in followers,
    )


def failed_view(
    ctx: FlowContext, row: PSATicketSearchResult | None, state: DetailState, error: str
) -> dict[str, Any]:
    """The modal when the ticket could not be loaded: what the row knew, and why the rest is missing."""
    context = TicketContext(ticket=row or placeholder_row(state.ticket_id))
    data = DetailData(context=context, resources=None, loaded=False)
    return detail_view(data, state=state, now=ctx.deps.now(), error=error)


async def hydrate(
    ctx: FlowContext,
    service: TicketService,
    opened: OpenedView,
    state: DetailState,
    row: PSATicketSearchResult | None,
    *,
    notice: str | None = None,
    loading: asyncio.Future[DetailData] | None = None,
) -> OpenedView | None:
    """Fetch everything (or await `loading`, already started) and replace the loading modal.

    A modal closed meanwhile, or changed by a newer update, is skipped quietly.
    """
    try:
        data = await (loading or load_detail(ctx, service, state.ticket_id, known=row))
    except PSANotFoundError:
        view = failed_view(ctx, row, state, not_found_text(state.ticket_id))
    except PSAError as exc:
        view = failed_view(ctx, row, state, psa_error_text(exc))
    else:
        view = detail_view(data, state=state, now=ctx.deps.now(), notice=notice)
    return await ctx.update(view, view_id=opened.id, hash=opened.hash)


async def open_detail(
    ctx: FlowContext,
    ticket_id: int,
    *,
    origin: Origin | None = None,
    push: bool = False,
    list_id: str | None = None,
) -> None:
    """Open (or push) the detail modal at once from the row the app last showed, then hydrate it.

    `list_id` is the list message the row belongs to; changes made in the modal refresh it in place.
    """
    actor = ctx.actor
    if actor.trigger_id is None:
        log.warning("open_detail without a trigger_id")
        return
    service = await ctx.service()
    await ctx.require_reader()
    row = ctx.deps.rows.get(ctx.team_id, ticket_id)
    state = DetailState(ticket_id=ticket_id, origin=origin)
    if list_id is not None and actor.response_url:
        state = state.model_copy(update={"list_id": list_id, "response_url": actor.response_url})
    loading = detail_loading(row or placeholder_row(ticket_id), state=state)
    opened = await ctx.push(loading) if push else None
    if push and opened is None and actor.view_id:
        # Three modals deep already: show the related ticket in place of the current one.
        opened = await ctx.update(loading)
    if opened is None and not push:
        opened = await ctx.open(loading)
    if opened is None:
        return
    if state.response_url:
        await list_refresh.register(ctx, state.response_url)
    await hydrate(ctx, service, opened, state, row)


@flow("detail.retry")
async def retry(ctx: FlowContext, item: WorkItem) -> None:
    """Retry on a section that failed to load: read the ticket again into the same modal."""
    view = item.body.get("view") or {}
    state = DetailState.decode(view.get("private_metadata"))
    service = await ctx.service()
    row = ctx.deps.rows.get(ctx.team_id, state.ticket_id)
    await hydrate(ctx, service, OpenedView(view), state, row)


def _ticket_origin(ctx: FlowContext, view: dict[str, Any]) -> Origin | None:
    if ctx.actor.channel_id:
        return Origin(channel_id=ctx.actor.channel_id)
    if view.get("type") != "modal":
        return None
    try:
        # A related ticket shares into the channel its parent modal came from.
        return DetailState.decode(view.get("private_metadata")).origin
    except StateError:
        return None


@flow("detail.open")
async def open_ticket(ctx: FlowContext, item: WorkItem) -> None:
    """Every "open this ticket" button: the detail modal (pushed when clicked inside a modal)."""
    view = item.body.get("view") or {}
    origin = _ticket_origin(ctx, view)
    await open_detail(ctx, int(item.args["ticket_id"]), origin=origin, push=view.get("type") == "modal")


async def open_detail_from_command(ctx: FlowContext, ticket_id: int) -> None:
    """`/tickets 1042`: a wrong number gets a message rather than a modal.

    The detail is fetched from the start, in parallel with the quick existence check, so the
    check costs no extra round trip; a row the app showed recently skips the check altogether.
    """
    if ctx.actor.trigger_id is None:
        return
    service = await ctx.service()
    await ctx.require_reader()
    origin = Origin(channel_id=ctx.actor.channel_id) if ctx.actor.channel_id else None
    state = DetailState(ticket_id=ticket_id, origin=origin)
    row = ctx.deps.rows.get(ctx.team_id, ticket_id)
    loading = asyncio.ensure_future(load_detail(ctx, service, ticket_id, known=row))
    loading.add_done_callback(_consume)
    if row is None:
        lookup = asyncio.ensure_future(service.get_ticket(ticket_id))
        lookup.add_done_callback(_consume)
        done, _ = await asyncio.wait({lookup}, timeout=ROW_WAIT_SECONDS)
        if done:
            try:
                row = lookup.result()
            except PSANotFoundError:
                loading.cancel()
                await ctx.respond(error_message(not_found_text(ticket_id), "Check the number."))
                return
            except PSAError:
                loading.cancel()
                ctx.doing = f"open ticket #{ticket_id}"
                raise
        # else: the PSA is slow; open a placeholder now, inside the trigger's 3 s.
    opened = await ctx.open(detail_loading(row or placeholder_row(ticket_id), state=state))
    if opened is None:
        loading.cancel()
        return
    await hydrate(ctx, service, opened, state, row, loading=loading)


def _consume(task: asyncio.Future[Any]) -> None:
    # Failures are read (or deliberately dropped after a cancel) by the code above.
    if not task.cancelled():
        task.exception()

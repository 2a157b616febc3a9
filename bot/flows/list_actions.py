"""Clicks on the list message: paging, filters, search modal, row menu and share."""

from __future__ import annotations

import logging
from typing import Any

from bot.flows.context import FlowContext, Surface
from bot.flows.detail import open_detail
from bot.flows.once import Ended, Made, Write, write_once
from bot.flows.share import share_ticket
from bot.flows.stored import keep_list, load_list
from bot.flows.submission import Submission
from bot.flows.tickets_list import show_list
from bot.flows.work import WorkItem, flow
from bot.ids import SearchModal
from bot.inputs import SEARCH_TEXT
from bot.state import ListState, Origin, StateError
from bot.views.messages import error_message, notice_message
from bot.views.ticket_list import list_id_of_row, read_list_click, read_search_modal, search_modal
from bot.workspaces import Writer
from storage import AuditAction, WriteKind

log = logging.getLogger(__name__)


@flow("list.change", retry=True)
async def change_list(ctx: FlowContext, item: WorkItem) -> None:
    """Prev/Next/Refresh/filters: re-render the list for the state the click asks for, in place."""
    click = read_list_click(item.body)
    state = click.chosen or click.apply(await load_list(ctx, click.list_id))
    await show_list(ctx, state, replace=True)


@flow("list.open_search")
async def open_search(ctx: FlowContext, item: WorkItem) -> None:
    """The search modal, remembering which list message to replace."""
    try:
        list_id = read_list_click(item.body).list_id
        state = await load_list(ctx, list_id)
    except StateError:
        state = ListState()
        list_id = await keep_list(ctx, state)
    assert list_id is not None
    await ctx.open(search_modal(state, list_id=list_id, response_url=ctx.actor.response_url))


@flow("list.apply_search", retry=True)
async def apply_search(ctx: FlowContext, item: WorkItem) -> None:
    """The search modal was submitted: replace the list message it came from."""
    meta, text = read_search_modal(item.body.get("view") or {})
    response_url = meta.response_url
    state = (await load_list(ctx, meta.list_id)).with_filter(search=text)
    # The modal is closed: the answer (or the failure) goes to the list message it came from.
    ctx.actor = ctx.actor.model_copy(update={"response_url": response_url})
    ctx.surface = Surface(response_url=response_url, user_id=ctx.user_id)
    await show_list(ctx, state, replace=response_url is not None)


@flow("list.share")
async def share_from_list(ctx: FlowContext, item: WorkItem) -> None:
    """Post the ticket card in the channel the list is shown in (once per list message and ticket)."""
    ticket_id = int(item.args["ticket_id"])
    channel_id = ctx.actor.channel_id
    if not channel_id:
        await ctx.service()
        await ctx.respond(error_message("There is no channel to share into here."))
        return
    message = ctx.actor.message_ts or list_id_of_row(item.args.get("block_id")) or "?"

    async def perform(writer: Writer, reconcile: bool) -> Made:
        shared = await share_ticket(ctx, writer.service, ticket_id=ticket_id, channel_id=channel_id)
        where = {"channel_id": shared.channel_id, "ts": shared.ts}
        return Made(f"Shared ticket #{ticket_id} in this channel.", result=where, detail=where)

    write = Write(
        key=f"{WriteKind.SHARE.value}:list:{channel_id}:{message}:{ticket_id}",
        kind=WriteKind.SHARE,
        audit=AuditAction.SHARE,
        ticket_id=ticket_id,
        what="the card",
        check="the channel",
        payload={"channel_id": channel_id},
    )
    outcome = await write_once(ctx, write, perform)
    if outcome.ended is Ended.BUSY:
        return  # the click that holds it answers
    await ctx.respond(notice_message(outcome.text) if outcome.done else error_message(outcome.text))


@flow("list.open_row")
async def open_row(ctx: FlowContext, item: WorkItem) -> None:
    """A row's Open: the detail modal, sharing into the channel the list is in; changes refresh the list."""
    list_id = list_id_of_row(item.args.get("block_id"))
    origin = Origin(channel_id=ctx.actor.channel_id) if ctx.actor.channel_id else None
    await open_detail(ctx, int(item.args["ticket_id"]), origin=origin, list_id=list_id)


@flow("list.row_menu")
async def row_menu(ctx: FlowContext, item: WorkItem) -> None:
    """A row's overflow menu: Open or Share."""
    if item.args.get("verb") == "share":
        await share_from_list(ctx, item)
    else:
        await open_row(ctx, item)


async def submit_search(ctx: FlowContext, view: dict[str, Any]) -> Submission:
    """The search modal's submit closes it; the list message is replaced after the ack."""
    typed = ((view.get("state") or {}).get("values") or {}).get(SearchModal.BLOCK) or {}
    too_long = SEARCH_TEXT.problem((typed.get(SearchModal.ACTION) or {}).get("value"))
    if too_long is not None:
        return Submission.field_errors({SearchModal.BLOCK: too_long})
    return Submission.close().and_then(apply_search)

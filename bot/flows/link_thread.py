"""Link a Slack thread to a ticket: the message shortcut's modal, its PSA-checked submit, the confirmation."""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.flows.context import FlowContext
from bot.flows.live.handler import remember
from bot.flows.once import Ended, Made, Outcome, Write, write_once
from bot.flows.submission import Submission
from bot.flows.work import WorkItem, flow
from bot.ids import LinkThreadField
from bot.inputs import TICKET_NUMBER
from bot.state import Origin
from bot.text import truncate
from bot.views.link_thread import (
    link_checking_view,
    link_confirmation,
    link_done_view,
    link_thread_modal,
    read_link_thread,
)
from bot.views.prompts import psa_error_text
from bot.workspaces import Writer
from psa.errors import PSAError, PSANotFoundError
from psa.models import PSATicketSearchResult
from psa.service import TicketService
from storage import AuditAction, WriteKind
from storage.repositories import thread_links as thread_link_repo

log = logging.getLogger(__name__)

# The submit must be answered within Slack's 3 s; a slower PSA check finishes behind a "Checking…" view.
CHECK_BUDGET = 2.0
ERROR_MAX = 300


def thread_origin(message: dict[str, Any], channel_id: str) -> Origin:
    """Where a message shortcut ran: the message's thread (or the message itself as the parent)."""
    ts = str(message.get("ts") or "")
    return Origin(channel_id=channel_id, thread_ts=str(message.get("thread_ts") or ts), message_ts=ts)


@flow("link.open")
async def open_link_thread(ctx: FlowContext, item: WorkItem) -> None:
    """The "Link thread to ticket" shortcut: ask for the ticket number (or explain that PSA is missing)."""
    message = item.body.get("message") or {}
    if ctx.actor.trigger_id is None or ctx.actor.channel_id is None or not message.get("ts"):
        return
    await ctx.service()
    origin = thread_origin(message, ctx.actor.channel_id)
    assert origin.thread_ts is not None
    current = await ctx.deps.storage.workspace(ctx.team_id).read(
        partial(thread_link_repo.get_thread_link, channel_id=origin.channel_id, thread_ts=origin.thread_ts)
    )
    await ctx.open(link_thread_modal(origin, current_ticket_id=current.ticket_id if current else None))


async def submit_link(ctx: FlowContext, view: dict[str, Any]) -> Submission:
    """Check the typed ticket against the PSA; link and confirm, or keep the modal with a field error."""
    too_long = TICKET_NUMBER.problem(_typed(view))
    if too_long is not None:
        return _field_error(too_long)
    form = read_link_thread(view)
    if form.ticket_id is None:
        return _field_error(form.error or "Check the ticket number.")
    service = await ctx.service()
    ticket_id = form.ticket_id
    check = asyncio.ensure_future(_fetch(service, ticket_id))
    done, _ = await asyncio.wait({check}, timeout=CHECK_BUDGET)
    if not done:
        # The check already runs in this process: it finishes here, behind a "Checking…" view.
        finish = _finish_slow(ctx, form.origin, check, view["id"], _typed(view))
        ctx.continue_here(finish, name="link-thread-check")
        return Submission.update(link_checking_view(form.origin, ticket_id))
    outcome = check.result()
    if isinstance(outcome, str):
        return _field_error(outcome)
    linked = await _link_once(ctx, view["id"], form.origin, outcome)
    if linked.ended in (Ended.FAILED, Ended.UNCERTAIN):
        return _field_error(linked.text)
    if not linked.here:
        return Submission.close()  # a second copy of the same submit: the first one confirms
    return Submission.close().and_then(
        confirm_link, origin=form.origin.model_dump(mode="json"), ticket=outcome.model_dump(mode="json")
    )


async def _fetch(service: TicketService, ticket_id: int) -> PSATicketSearchResult | str:
    """The ticket, or the sentence to show next to the input."""
    try:
        return await service.get_ticket(ticket_id)
    except PSANotFoundError:
        return f"Ticket #{ticket_id} doesn't exist in ConnectWise. Check the number."
    except PSAError as exc:
        return f"Couldn't check ticket #{ticket_id}: {psa_error_text(exc)}"


def _field_error(message: str) -> Submission:
    return Submission.field_errors({LinkThreadField.TICKET: truncate(message, ERROR_MAX)})


def _typed(view: dict[str, Any]) -> str | None:
    values = (view.get("state") or {}).get("values") or {}
    entry = (values.get(LinkThreadField.TICKET) or {}).get(LinkThreadField.TICKET) or {}
    return entry.get("value") or None


async def _link_once(
    ctx: FlowContext, view_id: str, origin: Origin, ticket: PSATicketSearchResult
) -> Outcome:
    """Link the thread, once per submitted modal (a double submit or a replay links and confirms once)."""
    assert origin.thread_ts is not None
    thread_ts = origin.thread_ts

    async def perform(writer: Writer, reconcile: bool) -> Made:
        await ctx.deps.storage.workspace(ctx.team_id).write(
            partial(
                thread_link_repo.link_thread,
                channel_id=origin.channel_id,
                thread_ts=thread_ts,
                ticket_id=ticket.id,
                linked_by=ctx.user_id,
                company_id=ticket.company.id if ticket.company else None,
                board_id=ticket.board.id if ticket.board else None,
            )
        )
        ctx.deps.rows.remember(ctx.team_id, [ticket])
        await remember(ctx.deps, ctx.team_id, [ticket])  # live updates tell the thread what changes from here
        where = {"channel_id": origin.channel_id, "thread_ts": thread_ts}
        return Made(f"Linked the thread to #{ticket.id}.", result=where, detail=where)

    write = Write(
        key=f"{WriteKind.LINK_THREAD.value}:{view_id}",
        kind=WriteKind.LINK_THREAD,
        audit=AuditAction.LINK_THREAD,
        ticket_id=ticket.id,
        what="the link",
        check="the thread",
        payload={"channel_id": origin.channel_id, "thread_ts": thread_ts},
    )
    return await write_once(ctx, write, perform)


async def _finish_slow(
    ctx: FlowContext,
    origin: Origin,
    check: asyncio.Future[PSATicketSearchResult | str],
    view_id: str,
    typed: str | None,
) -> None:
    outcome = await check
    if isinstance(outcome, str):
        # Back to the form with the reason and what was typed; the modal may have been closed meanwhile.
        await ctx.update(link_thread_modal(origin, error=outcome, typed=typed), view_id=view_id)
        return
    linked = await _link_once(ctx, view_id, origin, outcome)
    if linked.ended in (Ended.FAILED, Ended.UNCERTAIN):
        await ctx.update(link_thread_modal(origin, error=linked.text, typed=typed), view_id=view_id)
        return
    await ctx.update(link_done_view(outcome), view_id=view_id)
    if linked.here:
        await post_confirmation(ctx, origin, outcome)


@flow("link.confirm")
async def confirm_link(ctx: FlowContext, item: WorkItem) -> None:
    """After a linking submission closed the modal: say so in the thread."""
    origin = Origin.model_validate(item.args["origin"])
    ticket = PSATicketSearchResult.model_validate(item.args["ticket"])
    await post_confirmation(ctx, origin, ticket)


async def post_confirmation(ctx: FlowContext, origin: Origin, ticket: PSATicketSearchResult) -> None:
    """Say in the thread that it is linked (or, when the bot can't post there, tell the user in a DM)."""
    service = await ctx.service()
    message = link_confirmation(ticket, url=service.ticket_url(ticket.id))
    try:
        await ctx.client.chat_postMessage(
            channel=origin.channel_id,
            thread_ts=origin.thread_ts,
            text=message["text"],
            blocks=message["blocks"],
        )
    except SlackApiError as exc:
        error = exc.response.get("error")
        log.info("link confirmation not posted in %s: %s", origin.channel_id, error)
        note = (
            f"Linked the thread in <#{origin.channel_id}> to #{ticket.id}, but I can't post there ({error}). "
            "Invite me to the channel to see spin-off suggestions in that thread."
        )
        try:
            await ctx.client.chat_postMessage(channel=ctx.user_id, text=note)
        except SlackApiError as dm_exc:
            log.info("link confirmation DM failed: %s", dm_exc.response.get("error"))

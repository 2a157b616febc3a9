"""After a ticket exists: the modal's result, the confirmation where the user started, links, audit, Home."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.flows import home
from bot.flows.context import FlowContext
from bot.flows.views_io import post_message
from bot.state import TicketDraft
from bot.views.create_status import created_view
from bot.views.messages import ticket_created_message
from bot.views.suggestion import suggestion_created_blocks
from psa.models import Priority, PSATicketCreated, PSATicketSearchResult, Ref
from storage.models import SuggestionState
from storage.repositories import suggestions as suggestion_repo
from storage.repositories import thread_links as thread_link_repo

log = logging.getLogger(__name__)


def created_row(draft: TicketDraft, created: PSATicketCreated) -> PSATicketSearchResult:
    """The new ticket as a list row, so its Open button shows the detail at once."""
    return PSATicketSearchResult(
        id=created.id,
        summary=created.summary,
        company=Ref(id=draft.company_id, name=created.company_name) if draft.company_id is not None else None,
        board=Ref(id=draft.board_id, name=created.board_name) if draft.board_id is not None else None,
        status=Ref(id=draft.status_id, name=created.status_name) if draft.status_id is not None else None,
        priority=Priority(id=draft.priority_id, name=created.priority_name)
        if draft.priority_id is not None
        else None,
    )


async def _replace_suggestion(
    ctx: FlowContext, draft: TicketDraft, created: PSATicketCreated
) -> tuple[str, str] | None:
    """Mark the AI suggestion created and turn its message into the success line; its (channel, thread)."""
    if not draft.suggestion_id:
        return None
    store = ctx.deps.storage.workspace(ctx.team_id)
    suggestion = await store.write(
        partial(suggestion_repo.mark_created, suggestion_id=draft.suggestion_id, ticket_id=created.id)
    )
    if suggestion is None:
        suggestion = await store.read(
            partial(suggestion_repo.get_suggestion, suggestion_id=draft.suggestion_id)
        )
        if (
            suggestion is None
            or suggestion.state != SuggestionState.CREATED
            or suggestion.ticket_id != created.id
        ):
            return None
    if not suggestion.message_ts:
        return None
    try:
        await ctx.client.chat_update(
            channel=suggestion.channel_id,
            ts=suggestion.message_ts,
            **suggestion_created_blocks(created.id, created.url),
        )
    except SlackApiError as exc:
        log.info("suggestion message not updated: %s", exc.response.get("error"))
        return None
    return suggestion.channel_id, suggestion.thread_ts


async def post_confirmation(
    ctx: FlowContext,
    draft: TicketDraft,
    created: PSATicketCreated,
    *,
    skip_thread: tuple[str, str] | None = None,
    on_posted: Callable[[], Awaitable[Any]] | None = None,
) -> None:
    """Post "Ticket #N created in ConnectWise" where the user started; link that thread if it has no ticket.

    In the origin thread (or channel); without an origin channel, or when the app may not post there,
    in the user's DM with the app: an ephemeral message would need a channel and vanish on reload.
    `on_posted` runs as soon as Slack has it (the create records it, so recovery never posts it again).
    """
    payload = ticket_created_message(created, created.url)
    origin = draft.origin
    if origin is not None:
        thread = (origin.channel_id, origin.thread_ts) if origin.thread_ts else None
        if thread is not None and thread == skip_thread:
            posted_ts: str | None = origin.thread_ts  # the replaced suggestion already says it there
        else:
            posted_ts = await post_message(ctx.client, origin.channel_id, payload, thread_ts=origin.thread_ts)
        if posted_ts is not None:
            if on_posted is not None:
                await on_posted()
            # In a thread: that thread; top level: the confirmation starts the ticket's own thread.
            # A thread already following a ticket keeps it: a spin-off never takes over its parent's thread.
            workspace = ctx.deps.storage.workspace(ctx.team_id)
            thread_ts = origin.thread_ts or posted_ts
            channel_id = origin.channel_id
            current = partial(thread_link_repo.get_thread_link, channel_id=channel_id, thread_ts=thread_ts)
            if await workspace.read(current) is None:
                await workspace.write(
                    partial(
                        thread_link_repo.link_thread,
                        channel_id=channel_id,
                        thread_ts=thread_ts,
                        ticket_id=created.id,
                        linked_by=ctx.user_id,
                        company_id=draft.company_id,
                        board_id=draft.board_id,
                        context_seeded=origin.thread_ts is None,  # the confirmation starts the thread
                    )
                )
            return
    if await ctx.dm(payload) is not None and on_posted is not None:
        await on_posted()


async def announce_created(
    ctx: FlowContext,
    draft: TicketDraft,
    created: PSATicketCreated,
    *,
    view_id: str | None,
    confirmed: bool = False,
    on_posted: Callable[[], Awaitable[Any]] | None = None,
) -> None:
    """Everything the user notices once the ticket exists; one failing step never hides the others.
    `confirmed`: an earlier run posted the confirmation already (the rest is safe to repeat).
    (The audit row is written with the ledger entry: bot.flows.create.attempt.record_created.)"""
    ctx.deps.rows.remember(ctx.team_id, [created_row(draft, created)])

    async def result_view() -> None:
        if view_id is not None:
            await ctx.update(created_view(created, created.url), view_id=view_id)

    async def confirmation() -> None:
        replaced = await _replace_suggestion(ctx, draft, created)
        if not confirmed:
            await post_confirmation(ctx, draft, created, skip_thread=replaced, on_posted=on_posted)

    async def refresh_home() -> None:
        await home.publish_home(ctx)

    steps = {"view": result_view(), "confirmation": confirmation(), "home": refresh_home()}
    results = await asyncio.gather(*steps.values(), return_exceptions=True)
    for name, result in zip(steps, results, strict=True):
        if isinstance(result, BaseException):
            log.error("after creating #%s: %s step failed", created.id, name, exc_info=result)

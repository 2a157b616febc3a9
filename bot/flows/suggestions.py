"""AI spin-off suggestions: a new message in a linked thread → at most one "Create ticket: …" suggestion.

Runs after the event was acknowledged. Order matters: cheap filters, the thread's link, the event-id
dedupe (Slack retries never double-post), keeping the message as thread context, then the detector
(fed the thread as kept from events, `bot.flows.thread_context`), then the atomic one-open-per-thread
claim.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from functools import partial
from typing import Any

from pydantic import BaseModel
from slack_sdk.errors import SlackApiError

from ai.models import ThreadContext
from bot.flows import thread_context
from bot.flows.context import FlowContext
from bot.flows.errors import NotConnected
from bot.flows.work import WorkItem, flow
from bot.text import plain
from bot.views.suggestion import suggestion_blocks
from psa.errors import PSAError
from psa.models import PSATicketSearchResult
from storage import ThreadLink
from storage.repositories import events as event_repo
from storage.repositories import suggestions as suggestion_repo
from storage.repositories import thread_links as thread_link_repo
from storage.repositories.thread_messages import ThreadMessage as KeptMessage

log = logging.getLogger(__name__)

_CHANNEL_TYPES = frozenset({"channel", "group"})
_SUBTYPES = frozenset({None, "", "thread_broadcast", "file_share"})


class ThreadMessage(BaseModel):
    """A member's new message in a thread, as the detector needs it."""

    team_id: str
    event_id: str
    channel_id: str
    thread_ts: str
    ts: str
    user_id: str
    text: str


def thread_message(body: dict[str, Any], team_id: str) -> ThreadMessage | None:
    """The new thread reply in an Events API body, or None for anything the assistant ignores."""
    event = body.get("event") or {}
    if event.get("type") != "message" or event.get("subtype") not in _SUBTYPES:
        return None  # edits, deletes, joins, bot messages…
    if event.get("bot_id") or not event.get("user"):
        return None
    if event.get("channel_type") not in _CHANNEL_TYPES:
        return None
    ts, thread_ts = str(event.get("ts") or ""), str(event.get("thread_ts") or "")
    if not ts or not thread_ts or thread_ts == ts:
        return None  # not in a thread (or the thread's parent itself)
    text = str(event.get("text") or "").strip()
    event_id = str(body.get("event_id") or "")
    if not text or not event_id or not team_id:
        return None
    return ThreadMessage(
        team_id=team_id,
        event_id=event_id,
        channel_id=str(event.get("channel") or ""),
        thread_ts=thread_ts,
        ts=ts,
        user_id=str(event["user"]),
        text=text,
    )


@flow("suggestion.detect")
async def detect_spinoff(ctx: FlowContext, item: WorkItem) -> None:
    """A new reply in a linked thread: suggest a spin-off ticket when it raises a separate issue."""
    await suggest_spinoff(ctx, ThreadMessage.model_validate(item.args["message"]))


async def suggest_spinoff(ctx: FlowContext, message: ThreadMessage) -> str | None:
    """Post a spin-off suggestion in the thread when the message raises a separate issue; its id."""
    deps, client = ctx.deps, ctx.client
    store = deps.storage.workspace(message.team_id)
    link = await store.read(
        partial(thread_link_repo.get_thread_link, channel_id=message.channel_id, thread_ts=message.thread_ts)
    )
    if link is None:
        return None
    if not await store.write(partial(event_repo.first_time, event_id=message.event_id)):
        log.info("event %s already handled (a Slack retry)", message.event_id)
        return None
    kept = KeptMessage(ts=message.ts, text=thread_context.context_text(message.text))
    await thread_context.keep(ctx, message.channel_id, message.thread_ts, [kept])
    if await _has_open_suggestion(ctx, message):
        return None  # one at a time; no need to ask the model
    ticket, earlier = await asyncio.gather(
        _linked_ticket(ctx, link), thread_context.earlier_messages(ctx, link, before_ts=message.ts)
    )
    if ticket is None:
        return None  # without the ticket's topic "separate" can't be judged; stay quiet
    context = ThreadContext(
        ticket_summary=ticket.summary,
        thread=earlier.messages,
        earlier_left_out=earlier.left_out,
        message=plain(message.text),
    )
    found = await deps.spinoff.detect(context)
    if found is None:
        return None
    suggestion_id = uuid.uuid4().hex
    opened = await store.write(
        partial(
            suggestion_repo.open_if_none,
            suggestion_id=suggestion_id,
            channel_id=message.channel_id,
            thread_ts=message.thread_ts,
            description=found.description,
        )
    )
    if not opened:
        return None
    earlier_count = len(earlier.messages) + earlier.left_out
    posted = suggestion_blocks(
        found.description, suggestion_id, left_out=found.left_out, earlier=earlier_count
    )
    try:
        resp = await client.chat_postMessage(
            channel=message.channel_id,
            thread_ts=message.thread_ts,
            text=posted["text"],
            blocks=posted["blocks"],
        )
    except SlackApiError as exc:
        log.warning("suggestion not posted in %s: %s", message.channel_id, exc.response.get("error"))
        # Nobody can see it, so it must not block the thread's next suggestion.
        await store.write(partial(suggestion_repo.dismiss, suggestion_id=suggestion_id))
        return None
    await store.write(
        partial(suggestion_repo.set_message_ts, suggestion_id=suggestion_id, message_ts=str(resp["ts"]))
    )
    return suggestion_id


async def _has_open_suggestion(ctx: FlowContext, message: ThreadMessage) -> bool:
    async with ctx.deps.storage.read_session() as session:
        current = await suggestion_repo.open_suggestion(
            session=session,
            team_id=message.team_id,
            channel_id=message.channel_id,
            thread_ts=message.thread_ts,
        )
    return current is not None


async def _linked_ticket(ctx: FlowContext, link: ThreadLink) -> PSATicketSearchResult | None:
    row = ctx.deps.rows.get(ctx.team_id, link.ticket_id)
    if row is not None:
        return row
    try:
        ticket = await (await ctx.service()).get_ticket(link.ticket_id)
    except (PSAError, NotConnected) as exc:
        # Nobody asked for a suggestion: without the ticket the assistant just stays quiet.
        log.info("linked ticket #%s unavailable for spin-off detection: %s", link.ticket_id, exc)
        return None
    ctx.deps.rows.remember(ctx.team_id, [ticket])
    return ticket

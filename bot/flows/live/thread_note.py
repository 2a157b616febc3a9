"""The "Add to ticket as note" message shortcut: a reply in a linked thread copied into the ticket as
the engineer's internal note, with a link back to the Slack message, exactly once.

Once: the write is claimed in the ledger under the message's own key before ConnectWise is called, so
a second click, a Slack retry or another process finds it taken (and the note is not echoed back into
the thread: the thread sync skips notes written from Slack).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.flows.context import FlowContext
from bot.flows.errors import NotConnected
from bot.flows.work import WorkItem, flow
from bot.text import plain, truncate
from bot.views.live import thread_note_answer
from psa.errors import PSAError
from psa.models import Member
from storage import AuditAction, AuditEntry, LedgerState, WriteKind

log = logging.getLogger(__name__)
NOTE_MAX = 3500  # characters of the message copied (ConnectWise notes hold far more)


def note_key(channel_id: str, message_ts: str) -> str:
    """The idempotency key of copying one Slack message into its ticket."""
    return f"{WriteKind.NOTE.value}:slack:{channel_id}:{message_ts}"


def note_text(text: str, permalink: str | None, author: str) -> str:
    """What the ticket gets: the message as plain text, who wrote it, and the link back."""
    body = truncate(plain(text).strip(), NOTE_MAX) or "(no text)"
    source = f"From Slack ({author})" + (f": {permalink}" if permalink else "")
    return f"{body}\n\n{source}"


async def _permalink(ctx: FlowContext, channel_id: str, ts: str) -> str | None:
    try:
        resp = await ctx.client.chat_getPermalink(channel=channel_id, message_ts=ts)
    except SlackApiError as exc:
        log.info("no permalink for %s/%s: %s", channel_id, ts, exc.response.get("error"))
        return None
    link = resp.get("permalink")
    return link if isinstance(link, str) else None


async def _author(ctx: FlowContext, user_id: str | None) -> str:
    if not user_id:
        return "someone"
    mapped = await ctx.member(user_id)
    if mapped is not None:
        return mapped.member_name
    user = await ctx.deps.directory.user(ctx.client, ctx.team_id, user_id)
    return user.label if user is not None else user_id


@flow("live.add_to_ticket", doing="add the note")
async def add_to_ticket(ctx: FlowContext, item: WorkItem) -> None:
    """Copy the message into the ticket its thread is linked to."""
    message: dict[str, Any] = item.body.get("message") or {}
    channel_id = ctx.actor.channel_id
    ts = str(message.get("ts") or "")
    if not channel_id or not ts:
        return
    thread_ts = str(message.get("thread_ts") or ts)
    link = await ctx.deps.storage.workspace(ctx.team_id).thread_link(channel_id, thread_ts)
    if link is None:
        await ctx.respond(thread_note_answer("not_linked"))
        return
    mapping = await ctx.require_member()
    member = Member(id=mapping.psa_member_id, identifier=mapping.member_identifier, name=mapping.member_name)
    writer = await ctx.deps.workspaces.writer(ctx.team_id, ctx.user_id, member)
    if writer is None:
        raise NotConnected(ctx.team_id)
    key = note_key(channel_id, ts)
    ledger = ctx.deps.storage.ledger(ctx.team_id)
    claimed = await ledger.claim(
        key,
        kind=WriteKind.NOTE,
        actor_user_id=ctx.user_id,
        actor_member_id=member.id,
        ticket_id=link.ticket_id,
        payload={"channel_id": channel_id, "ts": ts},
    )
    if not claimed.won:
        done = claimed.state == LedgerState.DONE
        await ctx.respond(thread_note_answer("already" if done else "in_progress", ticket_id=link.ticket_id))
        return
    text = note_text(
        str(message.get("text") or ""),
        await _permalink(ctx, channel_id, ts),
        await _author(ctx, message.get("user")),
    )
    try:
        note = await writer.service.add_note(link.ticket_id, text, internal=True, acting=writer.acting)
    except PSAError as exc:
        # A write whose answer was lost may have been made: the next claim must check first.
        if getattr(exc, "maybe_applied", exc.status is None or exc.status >= 500):
            await ledger.uncertain(key, exc.message)
        else:
            await ledger.fail(key, exc.message)
        raise
    audit = AuditEntry(
        action=AuditAction.NOTE,
        detail={"internal": True, "length": len(text), "from_slack": True},
        psa_member_id=member.id,
        attribution=writer.acting.attribution.value,
    )
    await ledger.complete(key, ticket_id=link.ticket_id, result={"note_id": note.id}, audit_entry=audit)
    await ctx.respond(thread_note_answer("added", ticket_id=link.ticket_id))

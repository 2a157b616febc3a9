""" "Add to ticket as note": a message in a linked thread copied into the ticket as the engineer's
internal note, with a link back to the Slack message, exactly once. Two ways in: the message shortcut
(anyone's reply) and the menu on the app's own messages there (`bot.views.live.note_menu`).

Once: the write is claimed in the ledger under the message's own key before ConnectWise is called, so
a second click, a Slack retry or another process finds it taken (and the note is not echoed back into
the thread: the thread sync skips notes written from Slack).
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.flows.context import FlowContext
from bot.flows.once import Ended, Made, Write, write_once
from bot.flows.work import WorkItem, flow
from bot.text import BREAK, plain, truncate
from bot.views.live import thread_note_answer
from bot.views.messages import error_message
from bot.workspaces import Writer
from storage import AuditAction, WriteKind
from storage.repositories import thread_links as thread_link_repo

log = logging.getLogger(__name__)
NOTE_MAX = 3500  # characters of the message copied (ConnectWise notes hold far more)


def note_key(channel_id: str, message_ts: str) -> str:
    """The idempotency key of copying one Slack message into its ticket."""
    return f"{WriteKind.NOTE.value}:slack:{channel_id}:{message_ts}"


def message_text(message: dict[str, Any]) -> str:
    """What a message says: a person's text, or for the app's own message (its `text` is only a
    fallback) the text of its sections and context lines, without the zero-width breaks of `escape`."""
    if not message.get("bot_id") or not isinstance(message.get("blocks"), list):
        return str(message.get("text") or "")
    lines: list[str] = []
    for block in message["blocks"]:
        if not isinstance(block, dict):
            continue
        texts = [block.get("text"), *(block.get("fields") or [])]
        if block.get("type") == "context":
            texts = list(block.get("elements") or [])
        lines += [str(t["text"]) for t in texts if isinstance(t, dict) and t.get("text")]
    return "\n".join(lines).replace(BREAK, "") or str(message.get("text") or "")


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
    link = await ctx.deps.storage.workspace(ctx.team_id).read(
        partial(thread_link_repo.get_thread_link, channel_id=channel_id, thread_ts=thread_ts)
    )
    if link is None:
        await ctx.respond(thread_note_answer("not_linked"))
        return
    text = note_text(
        message_text(message),
        await _permalink(ctx, channel_id, ts),
        await _author(ctx, message.get("user")),
    )
    ticket_id = link.ticket_id

    async def perform(writer: Writer, reconcile: bool) -> Made:
        if reconcile:
            # An earlier attempt's answer was lost: the note may be on the ticket already.
            notes = await writer.service.recent_notes(ticket_id)
            found = next((n for n in notes if n.text.strip() == text.strip()), None)
            if found is not None:
                return Made("added", result={"note_id": found.id}, detail={"found": True})
        note = await writer.service.add_note(ticket_id, text, internal=True, acting=writer.acting)
        detail = {"internal": True, "length": len(text), "from_slack": True}
        return Made("added", result={"note_id": note.id}, detail=detail)

    write = Write(
        key=note_key(channel_id, ts),
        kind=WriteKind.NOTE,
        audit=AuditAction.NOTE,
        ticket_id=ticket_id,
        what="the note",
        check=f"the notes of #{ticket_id}",
        payload={"channel_id": channel_id, "ts": ts},
    )
    outcome = await write_once(ctx, write, perform)
    if outcome.ended is Ended.BUSY:
        await ctx.respond(thread_note_answer("in_progress", ticket_id=ticket_id))
    elif outcome.done:
        await ctx.respond(thread_note_answer("added" if outcome.here else "already", ticket_id=ticket_id))
    else:
        await ctx.respond(error_message(outcome.text))

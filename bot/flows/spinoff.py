"""Spin-off tickets: the "Create spin-off ticket" shortcut and the Create / Dismiss buttons of a suggestion.

Both open the creation modal on Quick Create with the text in the prompt (never in the summary), and
pre-fill company and board only from the ticket the thread is linked to. Everything before `views.open`
is a local read (storage, caches) or a short-budget Slack lookup, so the 3 s trigger never runs out.
"""

from __future__ import annotations

import asyncio
import logging
import re
from functools import partial
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.flows import create
from bot.flows.context import FlowContext
from bot.flows.link_thread import thread_origin
from bot.flows.work import WorkItem, flow
from bot.inputs import PROMPT
from bot.state import Origin
from bot.text import plain
from bot.views.messages import error_message
from bot.views.suggestion import read_suggestion_value, suggestion_dismissed_blocks
from storage import SuggestionState, ThreadLink
from storage.repositories import suggestions as suggestion_repo
from storage.repositories import thread_links as thread_link_repo

log = logging.getLogger(__name__)

# How long the shortcut may spend turning <@U…> mentions into names before it must open the modal.
MENTION_BUDGET = 0.5
MENTIONS_RESOLVED = 8
_BARE_MENTION_RE = re.compile(r"<@([UW][A-Z0-9]+)>")


@flow("spinoff.from_message")
async def spinoff_from_message(ctx: FlowContext, item: WorkItem) -> None:
    """The shortcut: Quick Create with the message as the prompt, company/board from the linked ticket."""
    message = item.body.get("message") or {}
    if ctx.actor.channel_id is None or not message.get("ts"):
        return
    origin = thread_origin(message, ctx.actor.channel_id)
    link_lookup = asyncio.ensure_future(_thread_link(ctx, origin))
    text = message_text(message)
    prompt, notice = prompt_from(text, await _mention_names(ctx, text))
    link = await link_lookup
    await create.open_create_modal(
        ctx, prompt=prompt, origin=origin, tab="quick", initial=initial_from_link(ctx, link), notice=notice
    )


def message_text(message: dict[str, Any]) -> str:
    """A message's text; attachment text when the message itself has none (e.g. forwarded alerts)."""
    text = str(message.get("text") or "").strip()
    if text:
        return text
    parts = [
        str(a.get("text") or a.get("fallback") or "").strip()
        for a in message.get("attachments") or []
        if isinstance(a, dict)
    ]
    return "\n".join(p for p in parts if p)


def prompt_from(text: str, names: dict[str, str] | None = None) -> tuple[str | None, str | None]:
    """Slack markup → plain text for the Quick Create prompt, shortened to what the input accepts —
    with the notice that tells the user so when it was."""
    names = names or {}
    cleaned = plain(text, names.get).strip()
    prompt, notice = PROMPT.fit(cleaned)
    return prompt or None, notice


def initial_from_link(ctx: FlowContext, link: ThreadLink | None) -> dict[str, Any] | None:
    """Company and board of the linked ticket (with the company's name when a recent row knows it)."""
    if link is None or (link.company_id is None and link.board_id is None):
        return None
    initial: dict[str, Any] = {"company_id": link.company_id, "board_id": link.board_id}
    row = ctx.deps.rows.get(ctx.team_id, link.ticket_id)
    if row is not None and row.company is not None and row.company.id == link.company_id and row.company.name:
        initial["company_name"] = row.company.name
    return initial


async def _thread_link(ctx: FlowContext, origin: Origin) -> ThreadLink | None:
    if origin.thread_ts is None:
        return None
    return await ctx.deps.storage.workspace(ctx.team_id).read(
        partial(thread_link_repo.get_thread_link, channel_id=origin.channel_id, thread_ts=origin.thread_ts)
    )


async def _mention_names(ctx: FlowContext, text: str) -> dict[str, str]:
    """Display names of bare `<@U…>` mentions, as far as Slack answers within the budget."""
    ids = list(dict.fromkeys(_BARE_MENTION_RE.findall(text)))[:MENTIONS_RESOLVED]
    if not ids:
        return {}
    lookups = {
        user_id: asyncio.ensure_future(ctx.deps.directory.user(ctx.client, ctx.team_id, user_id))
        for user_id in ids
    }
    _, pending = await asyncio.wait(lookups.values(), timeout=MENTION_BUDGET)
    for task in pending:
        task.cancel()
    names: dict[str, str] = {}
    for user_id, task in lookups.items():
        if task.done() and not task.cancelled() and task.exception() is None and (user := task.result()):
            names[user_id] = user.label
    return names


@flow("suggestion.open")
async def open_suggestion(ctx: FlowContext, item: WorkItem) -> None:
    """The suggestion's Create button: Quick Create with its description; the suggestion stays."""
    suggestion_id, fallback_description = read_suggestion_value(item.args.get("value"))
    store = ctx.deps.storage.workspace(ctx.team_id)
    suggestion = await store.read(partial(suggestion_repo.get_suggestion, suggestion_id=suggestion_id))
    if suggestion is None:
        await ctx.respond(error_message("This suggestion is no longer available."))
        return
    if suggestion.state == SuggestionState.CREATED:
        done = f"Ticket #{suggestion.ticket_id} was already created from this suggestion."
        await ctx.respond(error_message(done))
        return
    link = await store.read(
        partial(
            thread_link_repo.get_thread_link, channel_id=suggestion.channel_id, thread_ts=suggestion.thread_ts
        )
    )
    prompt, notice = PROMPT.fit(suggestion.description or fallback_description)
    await create.open_create_modal(
        ctx,
        prompt=prompt or None,
        origin=Origin(channel_id=suggestion.channel_id, thread_ts=suggestion.thread_ts),
        tab="quick",
        initial=initial_from_link(ctx, link),
        suggestion_id=suggestion.id,
        notice=notice,
    )


@flow("suggestion.dismiss")
async def dismiss_suggestion(ctx: FlowContext, item: WorkItem) -> None:
    """The suggestion's Dismiss button: mark it dismissed and mute the message for everyone."""
    suggestion_id = str(item.args["value"])
    store = ctx.deps.storage.workspace(ctx.team_id)
    dismissed = await store.write(partial(suggestion_repo.dismiss, suggestion_id=suggestion_id))
    if dismissed is None:
        return  # already dismissed or created: its message has been replaced already
    ts = dismissed.message_ts or ctx.actor.message_ts
    if ts is None:
        return
    user_id = ctx.user_id
    muted = suggestion_dismissed_blocks(user_id if user_id.isalnum() else None)
    try:
        await ctx.client.chat_update(
            channel=dismissed.channel_id, ts=ts, text=muted["text"], blocks=muted["blocks"]
        )
    except SlackApiError as exc:
        log.info("dismissed suggestion %s not updated: %s", suggestion_id, exc.response.get("error"))

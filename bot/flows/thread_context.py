"""Thread context for spin-off detection, kept from the message events the app already receives.

Every member's reply in a linked thread arrives as a `message` event; its plain text is kept (the
newest `KEPT` per thread, for `RETENTION`), so judging a new message needs no Slack history call.

What was said before the link is read once per linked thread with `conversations.replies`. Slack
answers it oldest first, and for apps distributed outside the Marketplace allows 1 call a minute and
15 messages per call (docs.slack.dev/reference/methods/conversations.replies, rate-limit changes of
2025-05-29, applied to existing installs from 2026-03-03). So the one call gets the parent and the
thread's start; everything later comes from events. A refused or rate-limited call is never retried
for that thread: the detector judges with the context it has, and after a 429 no thread of the
workspace calls again until Slack's Retry-After has passed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from pydantic import BaseModel
from slack_sdk.errors import SlackApiError

from bot.flows.context import FlowContext
from bot.flows.work import WorkItem, flow
from bot.text import plain
from storage import Storage, ThreadLink
from storage.repositories import thread_links
from storage.repositories import thread_messages as repo
from storage.repositories.thread_messages import ThreadMessage

log = logging.getLogger(__name__)

KEPT = 20  # per thread, whole: both detectors read every kept earlier message (Claude as far as fits)
# A thread picked up again after a weekend still has its context; older talk rarely decides "separate".
RETENTION = timedelta(days=7)
SEED_LIMIT = 15  # the most conversations.replies returns to a non-Marketplace app
RETRY_AFTER_DEFAULT = 60.0  # Slack's window for these methods, when a 429 names no Retry-After
RETRY_AFTER_MAX = 15 * 60.0
_REPLY_SUBTYPES = frozenset({None, "", "thread_broadcast", "file_share"})


class RepliesCooldown:
    """Per workspace, until when Slack asked the app not to call conversations.replies (a 429)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._until: dict[str, float] = {}

    def waiting(self, team_id: str) -> bool:
        """Whether a call now would only be refused again."""
        return self._clock() < self._until.get(team_id, 0.0)

    def wait(self, team_id: str, seconds: float) -> None:
        """Slack said: not before `seconds` from now."""
        self._until[team_id] = self._clock() + min(max(seconds, 0.0), RETRY_AFTER_MAX)


def context_text(text: str) -> str:
    """What is kept of a message: its whole plain text (a detector that cannot read it all says so)."""
    return plain(text).strip()


class Earlier(BaseModel):
    """A thread's kept messages before a new one, oldest first, and how many older ones it had that are
    not among them (no longer kept, or never read from Slack): told, never dropped silently."""

    messages: list[str]
    left_out: int = 0


async def keep(
    ctx: FlowContext, channel_id: str, thread_ts: str, messages: list[ThreadMessage], *, unread: int = 0
) -> None:
    """Keep messages of a linked thread (the newest `KEPT` of it stay); the new ones and `unread` ones
    Slack did not give are counted as known of the thread."""
    thread = {"team_id": ctx.team_id, "channel_id": channel_id, "thread_ts": thread_ts}
    async with ctx.deps.storage.session() as session:
        added = await repo.keep_messages(
            session=session,
            team_id=ctx.team_id,
            channel_id=channel_id,
            thread_ts=thread_ts,
            messages=messages,
            keep=KEPT,
        )
        await thread_links.count_context(session=session, **thread, messages=added + unread)


async def _kept(ctx: FlowContext, link: ThreadLink) -> tuple[list[ThreadMessage], int]:
    """The thread's kept messages, oldest first, and how many messages the app has known of in it."""
    where = {"team_id": ctx.team_id, "channel_id": link.channel_id, "thread_ts": link.thread_ts}
    async with ctx.deps.storage.read_session() as session:
        kept = await repo.recent_messages(session=session, **where, limit=KEPT + 1)
        known = await thread_links.get_thread_link(session=session, **where)
    return kept, known.context_messages if known else len(kept)


async def earlier_messages(ctx: FlowContext, link: ThreadLink, *, before_ts: str) -> Earlier:
    """The thread's kept messages older than `before_ts` (read once from Slack if never), and how many
    older ones are not kept."""
    if link.context_seeded_at is None:
        await seed(ctx, link)
    kept, known = await _kept(ctx, link)
    return Earlier(messages=[m.text for m in kept if m.ts < before_ts], left_out=max(0, known - len(kept)))


async def seed(ctx: FlowContext, link: ThreadLink) -> None:
    """Read the thread's start once (one conversations.replies call per linked thread, ever)."""
    cooldown: RepliesCooldown = ctx.deps.replies_cooldown
    if cooldown.waiting(ctx.team_id):
        return  # not claimed: a later message of this thread may still read it
    async with ctx.deps.storage.session() as session:
        claimed = await thread_links.claim_context_seed(
            session=session, team_id=ctx.team_id, channel_id=link.channel_id, thread_ts=link.thread_ts
        )
    if not claimed:
        return
    try:
        resp = await ctx.client.conversations_replies(
            channel=link.channel_id, ts=link.thread_ts, limit=SEED_LIMIT
        )
    except SlackApiError as exc:
        error = exc.response.get("error")
        if exc.response.status_code == 429 or error == "ratelimited":
            cooldown.wait(ctx.team_id, _retry_after(exc.response.headers))
        log.info("thread %s: earlier messages not read (%s); using what was received", link.thread_ts, error)
        return
    page = [m for m in resp.get("messages") or [] if isinstance(m, dict)]
    unread = await _unread(ctx, link, page) if resp.get("has_more") else 0
    await keep(ctx, link.channel_id, link.thread_ts, seed_messages(page, link.thread_ts), unread=unread)


async def _unread(ctx: FlowContext, link: ThreadLink, page: list[dict[str, Any]]) -> int:
    """How many of the thread's messages the read did not get (it gets the first `SEED_LIMIT`): the
    parent's reply count, less the page and the replies already received as events after it. Slack's
    count has the app's own posts too (its link confirmation): they are messages the context lacks."""
    parent = next((m for m in page if m.get("ts") == link.thread_ts), None)
    if parent is None:
        return 0
    last = max(str(m.get("ts") or "") for m in page)
    kept, _ = await _kept(ctx, link)
    received = sum(1 for m in kept if m.ts > last)
    return max(0, int(parent.get("reply_count") or 0) + 1 - len(page) - received)


def seed_messages(messages: list[Any], thread_ts: str) -> list[ThreadMessage]:
    """What to keep of a conversations.replies page: the parent (whoever wrote it) and members' replies."""
    kept: list[ThreadMessage] = []
    for m in messages:
        if not isinstance(m, dict) or not m.get("ts"):
            continue
        parent = m["ts"] == thread_ts
        if not parent and (m.get("bot_id") or m.get("subtype") not in _REPLY_SUBTYPES):
            continue  # the app's own suggestions and other bots' posts are not the conversation
        text = context_text(_message_text(m))
        if text:
            kept.append(ThreadMessage(ts=str(m["ts"]), text=text))
    return kept


def _message_text(message: dict[str, Any]) -> str:
    text = str(message.get("text") or "").strip()
    if text:
        return text
    parts = [
        str(a.get("text") or a.get("fallback") or "")
        for a in message.get("attachments") or []
        if isinstance(a, dict)
    ]
    return "\n".join(p for p in parts if p.strip())


def _retry_after(headers: Any) -> float:
    try:
        return float((headers or {}).get("Retry-After") or (headers or {}).get("retry-after") or "")
    except ValueError:
        return RETRY_AFTER_DEFAULT


class ThreadEdit(BaseModel):
    """A member edited or deleted a message in a thread (`text` None: deleted)."""

    channel_id: str
    ts: str
    thread_ts: str | None = None
    text: str | None = None


def thread_edit(event: dict[str, Any]) -> ThreadEdit | None:
    """The edit or deletion a `message_changed` / `message_deleted` event reports, if any."""
    channel = str(event.get("channel") or "")
    if event.get("subtype") == "message_deleted":
        ts = str(event.get("deleted_ts") or "")
        previous = event.get("previous_message")
        if isinstance(previous, dict) and not previous.get("thread_ts"):
            return None  # a top-level message: never kept
        return ThreadEdit(channel_id=channel, ts=ts) if channel and ts else None
    message = event.get("message") if event.get("subtype") == "message_changed" else None
    if not isinstance(message, dict) or not channel or not message.get("ts") or not message.get("thread_ts"):
        return None
    return ThreadEdit(
        channel_id=channel,
        ts=str(message["ts"]),
        thread_ts=str(message["thread_ts"]),
        text=context_text(_message_text(message)),
    )


@flow("thread.edit")
async def follow_edit(ctx: FlowContext, item: WorkItem) -> None:
    """Keep a kept message as its author left it: edited text replaces it, a deletion forgets it."""
    edit = ThreadEdit.model_validate(item.args["edit"])
    async with ctx.deps.storage.session() as session:
        if edit.text and edit.thread_ts:
            await repo.edit_message(
                session=session,
                team_id=ctx.team_id,
                channel_id=edit.channel_id,
                thread_ts=edit.thread_ts,
                ts=edit.ts,
                text=edit.text,
            )
        else:
            where = {"team_id": ctx.team_id, "channel_id": edit.channel_id}
            thread_ts = await repo.forget_message(session=session, **where, ts=edit.ts)
            if thread_ts is not None:  # no longer a message of the thread: not one left out either
                await thread_links.count_context(session=session, **where, thread_ts=thread_ts, messages=-1)


async def prune(storage: Storage) -> int:
    """Forget kept messages older than `RETENTION` (periodic housekeeping); how many."""
    async with storage.session() as session:
        return await repo.prune_thread_messages(session=session, older_than=RETENTION)

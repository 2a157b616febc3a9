"""Sending what waits in the outbox: each message claimed by one sender, sent, then marked sent.

Messages due now go out right after the change that caused them; the `live.outbox` periodic job sends
those held for quiet hours or a digest (and any a crashed process left claimed). A reader with a digest
gets everything pending for them in one DM once the first message is due.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.flows.views_io import post_message
from bot.views.live import Notice, digest_message, notification_message, thread_reply
from storage.live import OutboxMessage

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3

if TYPE_CHECKING:
    from bot.deps import AppDeps


async def deliver(deps: AppDeps, team_id: str | None = None, targets: Collection[str] | None = None) -> int:
    """Send every message due now (in one workspace, to some targets, or everywhere); how many went."""
    now = deps.now()
    live = deps.storage.live()
    sent = 0
    for team, target in await live.due_targets(now=now, team_id=team_id):
        if targets is not None and target not in targets:
            continue
        sent += await _deliver_target(deps, team, target)
    return sent


async def _deliver_target(deps: AppDeps, team_id: str, target: str) -> int:
    now = deps.now()
    live = deps.storage.live()
    pending = await live.pending(team_id, target, now=now, due_only=False)
    due = [m for m in pending if m.due_at <= now]
    if not due:
        return 0
    batch = pending if any(m.payload.get("digest") for m in due) else due
    won = set(await live.claim([m.id for m in batch], now=now))
    batch = [m for m in batch if m.id in won]
    if not batch:
        return 0
    try:
        client = await deps.slack_client_for(team_id)
    except Exception:
        log.exception("live updates: no Slack client for team %s", team_id)
        await live.release([m.id for m in batch], error="no Slack client")
        return 0
    dms = [m for m in batch if m.kind == "dm"]
    replies = [m for m in batch if m.kind == "thread"]
    sent = 0
    if dms:
        notices = [Notice.model_validate(m.payload["notice"]) for m in dms]
        payload = digest_message(notices) if len(notices) > 1 else notification_message(notices[0])
        sent += await _send(deps, client, dms, target, payload, None)
    for message in replies:
        payload = thread_reply(Notice.model_validate(message.payload["notice"]))
        sent += await _send(deps, client, [message], target, payload, message.thread_ts)
    return sent


async def _send(
    deps: AppDeps,
    client: AsyncWebClient,
    messages: list[OutboxMessage],
    channel: str,
    payload: dict[str, Any],
    thread_ts: str | None,
) -> int:
    live = deps.storage.live()
    ids = [m.id for m in messages]
    ts = await post_message(client, channel, payload, thread_ts=thread_ts)  # Slack's refusals: None, logged
    error = "refused by Slack"
    if ts is not None:
        await live.mark_sent(ids, now=deps.now())
        return len(ids)
    if max(m.attempts for m in messages) >= MAX_ATTEMPTS:
        await live.mark_sent(ids, now=deps.now(), error=error)
    else:
        await live.release(ids, error=error)
    return 0

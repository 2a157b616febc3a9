"""Replayed requests: an exact copy of a signed command or interaction Slack already delivered is
answered with an empty 200 and runs no listener.

Slack signs `v0:{timestamp}:{body}` and the signature check refuses timestamps older than 5 minutes,
so remembering the signatures accepted in that window catches every replay. They are kept in the
database (the processed-events table), so a copy sent to another app process is caught too. Events
API deliveries are not covered here: Slack's own retries carry a new signature and are de-duplicated
by event id where an event changes something (bot/flows/suggestions.py).
"""

from __future__ import annotations

import logging
from functools import partial

from slack_bolt.async_app import AsyncBoltRequest

from storage import Storage
from storage.models import SLACK_ID
from storage.repositories import events

log = logging.getLogger(__name__)

# Typeahead lookups change nothing and come with every keystroke: not worth a database write.
READ_ONLY_TYPES = frozenset({"block_suggestion"})
# Signatures are unique across workspaces, and a request's team is what the payload claims: they are
# kept apart from every workspace's own rows, under one scope of their own.
REPLAY_SCOPE = "~replay"
SIGNATURE_PREFIX = "v0="


def replay_key(request: AsyncBoltRequest) -> str | None:
    """What identifies this delivery (the signature's hex digest), or None when replays are harmless."""
    body = request.body
    if request.content_type == "application/json" or not body:
        return None
    if str(body.get("type")) in READ_ONLY_TYPES or "ssl_check" in body:
        return None
    signature = (request.headers.get("x-slack-signature") or [""])[0]
    if not signature.startswith(SIGNATURE_PREFIX) or len(signature) <= len(SIGNATURE_PREFIX):
        return None
    return signature[len(SIGNATURE_PREFIX) :][:64]


async def is_replay(storage: Storage, request: AsyncBoltRequest) -> bool:
    """Remember this delivery; True when the same signed request was already accepted."""
    key = replay_key(request)
    if key is None:
        return False
    if await storage.workspace(REPLAY_SCOPE).write(partial(events.first_time, event_id=key)):
        return False
    log.warning(
        "ignored a replayed request (team %s, type %s)",
        str(request.context.team_id)[:SLACK_ID],
        str(request.body.get("type") or "slash_command")[:40],
    )
    return True

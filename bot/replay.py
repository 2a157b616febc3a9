"""Replayed requests: an exact copy of a signed command or interaction Slack already delivered is
answered with an empty 200 and runs no listener.

Slack signs `v0:{timestamp}:{body}` and the signature check refuses timestamps older than 5 minutes,
so remembering the signatures accepted in that window catches every replay. They are kept in the
database (the processed-events table), so a copy sent to another app process is caught too. Events
API deliveries are not covered here: Slack's own retries carry a new signature and are de-duplicated
by event id where an event changes something (bot/flows/suggestions.py).

Where it is recorded, on the ack's path:
- SQLite with the worker in a thread: in memory, the durable record written after the ack;
- a durable job queue (Postgres) and a slash command (its listener only hands work off): in the job
  hand-off's own statement (bot/jobs/queue.py `PENDING_DELIVERY`), so the ack makes one round trip;
  a replay inserts no job and is answered, like the first, with an empty 200;
- a durable job queue and any other request: one statement on the job engine's open pool before the
  listener runs (`JobQueue.first_delivery`);
- otherwise (SQLite with the worker on the web loop): a database write before the listener runs.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncBoltRequest

from bot.jobs.queue import PENDING_DELIVERY, Delivery, JobQueue
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


# Slack's signature check refuses timestamps older than this (slack_sdk's SignatureVerifier).
WINDOW_S = 300.0
MEMORY_LIMIT = 200_000  # signatures: ~20 MB at most, far above 5 minutes of any real install's traffic

Spawn = Callable[[Coroutine[Any, Any, Any]], object]


class RecentDeliveries:
    """The signatures accepted in the last 5 minutes, in this process's memory.

    A SQLite install is one `serve` process: remembering here refuses a replay without a database write
    in the ack (which would wait for the SQLite write lock the jobs' writes hold). The durable record is
    still written, after the ack; a copy arriving right after a restart is only logged, not refused.
    """

    def __init__(self, *, window: float = WINDOW_S, limit: int = MEMORY_LIMIT) -> None:
        self._window = window
        self._limit = limit
        self._seen: OrderedDict[str, float] = OrderedDict()

    def first_time(self, key: str, now: float | None = None) -> bool:
        """Remember `key`; True unless it was seen within the window."""
        now = time.monotonic() if now is None else now
        while self._seen and (
            len(self._seen) >= self._limit or next(iter(self._seen.values())) < now - self._window
        ):
            self._seen.popitem(last=False)
        if key in self._seen:
            return False
        self._seen[key] = now
        return True


def hands_off_only(request: AsyncBoltRequest) -> bool:
    """Whether the request's listener does nothing but ack and hand the work off (`/tickets`)."""
    return "command" in request.body


async def is_replay(
    storage: Storage,
    request: AsyncBoltRequest,
    *,
    recent: RecentDeliveries | None = None,
    spawn: Spawn | None = None,
    durable: JobQueue | None = None,
) -> bool:
    """Remember this delivery; True when the same signed request was already accepted.

    With `recent` (a SQLite install) the check is in memory and `spawn` writes the durable record
    after the ack. With a `durable` job queue (Postgres) a command's record is left to its job's
    hand-off (`PENDING_DELIVERY`, see `settle_delivery`) and any other request's is one statement
    on the queue's pool. Otherwise the database decides through the app's storage. Either way every
    process of a Postgres install shares the record.
    """
    key = replay_key(request)
    if key is None:
        return False
    if durable is not None:
        delivery = Delivery(REPLAY_SCOPE, key)
        if hands_off_only(request):
            PENDING_DELIVERY.set(delivery)
            return False
        if await durable.first_delivery(delivery):
            return False
    elif recent is not None and spawn is not None:
        if recent.first_time(key):
            spawn(_record(storage, key))
            return False
    elif await _first_time(storage, key):
        return False
    _warn(request)
    return True


def settle_delivery(storage: Storage, spawn: Spawn) -> None:
    """After the dispatch: a delivery left to a hand-off that did not happen (a command no listener
    took) is recorded after the ack; nothing ran for it."""
    delivery = PENDING_DELIVERY.get()
    if delivery is not None and delivery.first is None:
        spawn(_record(storage, delivery.key))
    PENDING_DELIVERY.set(None)


async def _first_time(storage: Storage, key: str) -> bool:
    return await storage.workspace(REPLAY_SCOPE).write(partial(events.first_time, event_id=key))


async def _record(storage: Storage, key: str) -> None:
    try:
        first = await _first_time(storage, key)
    except Exception:  # the memory already refused copies: a lost record only weakens the restart case
        log.warning("could not record an accepted request's signature", exc_info=True)
        return
    if not first:
        log.warning("a request accepted before a restart was delivered again (not refused)")


def _warn(request: AsyncBoltRequest) -> None:
    log.warning(
        "ignored a replayed request (team %s, type %s)",
        str(request.context.team_id)[:SLACK_ID],
        str(request.body.get("type") or "slash_command")[:40],
    )

"""Replayed requests: an exact copy of a signed command or interaction Slack already delivered is
answered with an empty 200 and runs no listener.

Slack signs `v0:{timestamp}:{body}` and the signature check refuses timestamps older than 5 minutes,
so remembering the signatures accepted in that window catches every replay. They are kept in the
database (the processed-events table), so a copy sent to another app process is caught too. Events
API deliveries are not covered here: Slack's own retries carry a new signature and are de-duplicated
by event id where an event changes something (bot/flows/suggestions.py).

Where it is recorded, on the ack's path:
- SQLite with the worker in a thread: in memory, the durable record written after the ack, many
  signatures per transaction (`DeliveryRecorder`);
- a durable job queue (Postgres) and a slash command (its listener only hands work off): in the job
  hand-off's own statement (bot/jobs/queue.py `PENDING_DELIVERY`), so the ack makes one round trip;
  a replay inserts no job and is answered, like the first, with an empty 200;
- a durable job queue and any other request: one statement on the job engine's open pool before the
  listener runs (`JobQueue.first_delivery`);
- otherwise (SQLite with the worker on the web loop): a database write before the listener runs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
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
    still written after the ack (`DeliveryRecorder`) and read back at start (`restore`), so a copy
    arriving after a restart is refused too; only one accepted in the last moment before a crash (at
    most `RECORD_AFTER_S`) is merely logged.
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

    async def restore(self, storage: Storage) -> int:
        """Remember the signatures recorded within the window (accepted before a restart), so a copy
        of one is refused after the restart too; how many."""
        since = datetime.now(UTC) - timedelta(seconds=self._window)
        recorded = await storage.workspace(REPLAY_SCOPE).read(partial(events.received_since, since=since))
        wall, mono = datetime.now(UTC), time.monotonic()
        for key, received_at in recorded[-self._limit :]:
            self._seen.setdefault(key, mono - (wall - received_at).total_seconds())
        return len(recorded)


# How long accepted signatures collect before they are written, in one transaction.
RECORD_AFTER_S = 0.5


class DeliveryRecorder:
    """Writes the signatures `RecentDeliveries` accepted to the database after the acks, many at once.

    One transaction per command cost every command a SQLite write, and under a burst the writes queued
    behind SQLite's single writer, each a task waiting for a pooled connection: after 1,700 commands in
    3 s the process held ~45 MB more and never gave it back. Now a write carries every signature
    accepted in the last `after` seconds (or while the previous write ran). A crash loses at most those:
    memory already refused their copies, and Slack's signature window (5 minutes) bounds the rest.
    """

    def __init__(self, storage: Storage, *, after: float = RECORD_AFTER_S, limit: int = MEMORY_LIMIT) -> None:
        self._storage = storage
        self._after = after
        self._limit = limit
        self._keys: list[str] = []
        self._dropped = 0
        self._timer: asyncio.TimerHandle | None = None
        self._writing: asyncio.Task[None] | None = None

    def add(self, key: str) -> None:
        """Record `key` with the next write (call on the loop that serves the acks)."""
        if len(self._keys) >= self._limit:  # the database is stuck: memory keeps refusing copies
            self._dropped += 1
            return
        self._keys.append(key)
        if self._timer is None and self._writing is None:
            self._timer = asyncio.get_running_loop().call_later(self._after, self._start)

    async def flush(self) -> None:
        """Write what was accepted so far now (shutdown, tests)."""
        self._cancel_timer()
        if self._writing is not None:
            await asyncio.wait({self._writing})
        self._cancel_timer()
        await self._write_pending()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _start(self) -> None:
        self._timer = None
        self._writing = asyncio.get_running_loop().create_task(self._write_pending(), name="replay-record")
        self._writing.add_done_callback(self._written)

    def _written(self, _: asyncio.Task[None]) -> None:
        self._writing = None
        if self._keys:  # accepted while the write ran
            self._timer = asyncio.get_running_loop().call_later(self._after, self._start)

    async def _write_pending(self) -> None:
        keys, self._keys = self._keys, []
        if self._dropped:
            log.warning(
                "%d accepted requests' signatures were not recorded (the database was stuck)", self._dropped
            )
            self._dropped = 0
        if not keys:
            return
        try:
            new = await self._storage.workspace(REPLAY_SCOPE).write(
                partial(events.first_times, event_ids=keys)
            )
        except Exception:  # the memory already refused copies: a lost record only weakens the restart case
            log.warning("could not record %d accepted requests' signatures", len(keys), exc_info=True)
            return
        if len(new) < len(keys):
            log.warning(
                "%d requests accepted before a restart were delivered again (not refused)",
                len(keys) - len(new),
            )


def hands_off_only(request: AsyncBoltRequest) -> bool:
    """Whether the request's listener does nothing but ack and hand the work off (`/tickets`)."""
    return "command" in request.body


async def is_replay(
    storage: Storage,
    request: AsyncBoltRequest,
    *,
    recent: RecentDeliveries | None = None,
    recorder: DeliveryRecorder | None = None,
    durable: JobQueue | None = None,
) -> bool:
    """Remember this delivery; True when the same signed request was already accepted.

    With `recent` (a SQLite install) the check is in memory and `recorder` writes the durable record
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
    elif recent is not None and recorder is not None:
        if recent.first_time(key):
            recorder.add(key)
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

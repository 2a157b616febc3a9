"""Callback deliveries: signed POSTs of each change to every matching callback, sent in the background.

What ConnectWise does (sources: psa/connectwise/changes.py and psa/connectwise/signing.py): a POST of
`{MessageId, FromUrl, CompanyId, MemberId, Action, Type, ID, Entity (JSON string, null on delete),
Metadata{key_url}, CallbackObjectRecId}` to the URL with the record id appended, signed in
`x-content-signature` = base64(HMAC-SHA256(SHA-256(signing key), body)); the key is served
unauthenticated at key_url as `{"signing_key": ...}`. Retried on 404/409/419/429 after 2 s then 4 s;
5 s timeout. The sandbox's own choices: deliveries go out one at a time in change order, one signing
key per callback entry (rotatable from the control API), and `isSelfSuppressedFlag` skips changes
made by the member who registered the callback (what its name says; no source describes it).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from .app import SandboxState
from .store import Rec

log = logging.getLogger(__name__)
KEY_PATH = "/v4_6_release//system/callbackkey/index.rails"
RETRY_ON = frozenset({404, 409, 419, 429})
DISPATCHER: web.AppKey[Dispatcher] = web.AppKey("callback_dispatcher")


@dataclass(frozen=True)
class Event:
    """A record added, updated or deleted; `record` is its state then (before deletion for deletes)."""

    kind: str  # ticket | schedule | time
    record_id: int
    action: str
    record: Rec | None


def sign(body: bytes, signing_key: str) -> str:
    """The sandbox's own implementation of ConnectWise's signature (kept apart from the app's verifier)."""
    digest = hmac.new(hashlib.sha256(signing_key.encode()).digest(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _matches(callback: Rec, event: Event, actor: Rec) -> bool:
    if callback.get("inactiveFlag") or str(callback.get("type")).casefold() != event.kind:
        return False
    if callback.get("isSelfSuppressedFlag") and callback.get("memberId") == actor.get("id"):
        return False
    level, object_id, rec = (
        str(callback.get("level")).casefold(),
        callback.get("objectId"),
        event.record or {},
    )
    if level == "owner":
        return True
    if level == event.kind:  # Ticket|Ticket, Schedule|Schedule, Time|Time: one record
        return event.record_id == object_id
    ref = {
        "board": "board",
        "status": "status",
        "company": "company",
        "member": "member",
        "type": "type",
    }.get(level)
    return ref is not None and isinstance(rec.get(ref), dict) and rec[ref].get("id") == object_id


@dataclass
class _Job:
    epoch: int
    callback_id: int
    url: str
    body: bytes
    key: str
    message_id: str
    event: Event


@dataclass
class Dispatcher:
    """Signs and sends deliveries in the background, one at a time, and keeps a log of every attempt."""

    state: SandboxState
    mode: str = "deliver"  # deliver | drop | duplicate
    retry_delays: tuple[float, ...] = (2.0, 4.0)
    timeout: float = 5.0
    log: list[dict[str, Any]] = field(default_factory=list)
    keys: dict[int, tuple[str, str]] = field(default_factory=dict)  # callback id -> (key id, key)
    _epoch: int = -1
    _queue: asyncio.Queue[_Job] | None = None
    _worker: asyncio.Task[None] | None = None
    _session: aiohttp.ClientSession | None = None

    def sync(self) -> None:
        """Forget switches, keys and the log when the sandbox was reset since the last look."""
        if self._epoch != self.state.epoch:
            self._epoch = self.state.epoch
            self.mode, self.retry_delays, self.timeout = "deliver", (2.0, 4.0), 5.0
            self.log.clear()
            self.keys.clear()

    def key_for(self, callback_id: int) -> tuple[str, str]:
        """The (key id, signing key) deliveries of this callback are signed with."""
        self.sync()
        if callback_id not in self.keys:
            self.keys[callback_id] = (str(uuid.uuid4()), secrets.token_urlsafe(24))
        return self.keys[callback_id]

    def key_by_id(self, key_id: str) -> str | None:
        """The signing key served at key_url."""
        self.sync()
        return next((key for kid, key in self.keys.values() if kid == key_id), None)

    def rotate(self) -> None:
        """New keys (and key URLs) for every callback."""
        self.sync()
        self.keys.clear()

    def emit(self, events: list[Event], actor: Rec, origin: str) -> None:
        """Queue a signed delivery per matching active callback (caller holds the store lock)."""
        self.sync()
        store, company = self.state.store, self.state.company_id
        for event in events:
            for callback in list(store.table("callbacks").values()):
                if not _matches(callback, event, actor):
                    continue
                key_id, key = self.key_for(callback["id"])
                message_id = str(uuid.uuid4())
                payload = {
                    "MessageId": message_id,
                    "FromUrl": origin.split("://", 1)[-1],
                    "CompanyId": company,
                    "MemberId": actor.get("identifier"),
                    "Action": event.action,
                    "Type": event.kind,
                    "ID": event.record_id,
                    "ProductInstanceId": None,
                    "PartnerId": None,
                    "Entity": None
                    if event.action == "deleted"
                    else json.dumps(event.record, separators=(",", ":")),
                    "Metadata": {"key_url": f"{origin}{KEY_PATH}?companyName={company}&id={key_id}"},
                    "CallbackObjectRecId": callback["id"],
                }
                body = json.dumps(payload, separators=(",", ":")).encode()
                job = _Job(
                    self._epoch,
                    callback["id"],
                    callback["url"] + str(event.record_id),
                    body,
                    key,
                    message_id,
                    event,
                )
                self._enqueue(job)
                if self.mode == "duplicate":
                    self._enqueue(job)

    def _enqueue(self, job: _Job) -> None:
        if self._queue is None:
            self._queue = asyncio.Queue()
        if self._worker is None or self._worker.done():
            self._worker = asyncio.get_running_loop().create_task(self._run())
        self._queue.put_nowait(job)

    async def _run(self) -> None:
        assert self._queue is not None
        while True:
            job = await self._queue.get()
            try:
                await self._deliver(job)
            except Exception:  # a sandbox bug must not stop later deliveries
                log.exception("callback delivery failed")

    async def _deliver(self, job: _Job) -> None:
        if job.epoch != self.state.epoch:
            return  # queued before a reset
        if self.mode == "drop":
            self._record(job, 0, None, "dropped by the sandbox's switch")
            return
        if self._session is None:
            self._session = aiohttp.ClientSession()
        headers = {"Content-Type": "application/json", "x-content-signature": sign(job.body, job.key)}
        for attempt, delay in enumerate((*self.retry_delays, None)):
            status, error = None, None
            try:
                timeout = aiohttp.ClientTimeout(total=self.timeout)
                async with self._session.post(
                    job.url, data=job.body, headers=headers, timeout=timeout
                ) as resp:
                    status = resp.status
            except (aiohttp.ClientError, TimeoutError) as exc:
                error = type(exc).__name__
            self._record(job, attempt, status, error)
            if status not in RETRY_ON or delay is None or job.epoch != self.state.epoch:
                return
            await asyncio.sleep(delay)

    def _record(self, job: _Job, attempt: int, status: int | None, error: str | None) -> None:
        if job.epoch == self.state.epoch:
            self.log.append(
                {
                    "callback_id": job.callback_id,
                    "url": job.url,
                    "message_id": job.message_id,
                    "type": job.event.kind,
                    "id": job.event.record_id,
                    "action": job.event.action,
                    "attempt": attempt,
                    "status": status,
                    "error": error,
                }
            )

    async def close(self, app: web.Application) -> None:
        """Stop the worker and close the HTTP session (app cleanup)."""
        if self._worker is not None:
            self._worker.cancel()
        if self._session is not None:
            await self._session.close()

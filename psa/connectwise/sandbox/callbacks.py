"""`/system/callbacks` and the deliveries ConnectWise makes to them (sources: psa/connectwise/changes.py).

Registration: `{url, type, level, objectId, description, inactiveFlag, isSelfSuppressedFlag}`; the
levels each type accepts are the Developer Guide's table; refusals use the messages captured from a
real server (amp-labs/connectors `internal/subscriber/test/create/*bad-request*.json`).
Delivery: a POST of `{MessageId, FromUrl, CompanyId, MemberId, Action, Type, ID, Entity (JSON string,
null on delete), Metadata{key_url}, CallbackObjectRecId}` to the URL with the record id appended,
signed in `x-content-signature` = base64(HMAC-SHA256(SHA-256(signing key), body)); the key is served
unauthenticated at key_url as `{"signing_key": ...}`. Retried on 404/409/419/429 after 2 s then
4 s; 5 s timeout. The sandbox's own choices: deliveries go out one at a time in change order, one
signing key per callback entry (rotatable from the control API), and `isSelfSuppressedFlag` skips
changes made by the member who registered the callback (what its name says; no source describes it).
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

from .app import STATE_KEY, SandboxState, json_response, state_of
from .errors import CWError, field_error, invalid_many, not_found
from .routes_read import by_id, count_handler, int_id, item_handler, list_handler, table
from .routes_write import write
from .store import Rec, SandboxStore, now_iso
from .tickets import parse_ops
from .time_entries import acting_member

log = logging.getLogger(__name__)
RESOURCE = "callbackEntry"
KEY_PATH = "/v4_6_release//system/callbackkey/index.rails"
LEVELS: dict[str, frozenset[str]] = {
    name: frozenset(levels.split())
    for name, levels in {
        "activity": "owner status type company activity",
        "agreement": "owner type company agreement",
        "company": "owner status type territory company integratortag",
        "contact": "owner type territory company contact",
        "configuration": "owner type status configuration",
        "invoice": "owner status company invoice",
        "expense": "owner chargetotype type class company expense",
        "member": "owner location securityrole member",
        "opportunity": "owner statusid company opportunity",
        "productcatalog": "owner",
        "project": "owner status board project",
        "purchaseorder": "owner status vendor company purchaseorder",
        "schedule": "owner status type location member schedule",
        "ticket": "owner board project phase status ticket integratortag",
        "time": "owner company time",
    }.items()
}
RETRY_ON = frozenset({404, 409, 419, 429})
DISPATCHER: web.AppKey[Dispatcher] = web.AppKey("callback_dispatcher")


@dataclass(frozen=True)
class Event:
    """A record added, updated or deleted; `record` is its state then (before deletion for deletes)."""

    kind: str  # ticket | schedule | time
    record_id: int
    action: str
    record: Rec | None


# -- registration ----------------------------------------------------------------------------------


def _check(store: SandboxStore, rec: Rec, own_id: int | None) -> None:
    errors: list[dict[str, Any]] = []

    def err(field_name: str, code: str, message: str) -> None:
        errors.append(field_error(field_name, code, message, RESOURCE))

    url = rec.get("url")
    if not url:
        err("url", "MissingRequiredField", "url is required")
    elif not isinstance(url, str) or not url.startswith(("http://", "https://")) or " " in url:
        err("url", "InvalidField", "Invalid URL")
    kind, level = str(rec.get("type") or "").casefold(), str(rec.get("level") or "").casefold()
    if not kind:
        err("type", "MissingRequiredField", "type is required")
    elif kind not in LEVELS:
        err("type", "InvalidField", "Unrecognized type, see documentation for supported types")
    elif level not in LEVELS[kind]:
        err(
            "level",
            "InvalidObject",
            "Unrecognized level for type, see documentation for supported levels for each type",
        )
    object_id = rec.get("objectId")
    if object_id is None:
        err("objectId", "MissingRequiredField", "objectId is required")
    elif isinstance(object_id, bool) or not isinstance(object_id, int):
        err("objectId", "InvalidField", "objectId must be an integer")
    if len(str(rec.get("description") or "")) > 100:
        err("description", "OutOfRange", "description must be 100 characters or fewer")
    for flag in ("inactiveFlag", "isSelfSuppressedFlag"):
        if not isinstance(rec.get(flag, False), bool):
            err(flag, "InvalidField", f"{flag} must be true or false")
    if not errors and any(
        other["id"] != own_id
        and other["url"] == url
        and str(other["type"]).casefold() == kind
        and str(other["level"]).casefold() == level
        and other["objectId"] == object_id
        for other in store.table("callbacks").values()
    ):
        err("objectId", "ObjectExists", "A matching callback entry already exists")
    if errors:
        raise invalid_many(errors, RESOURCE)


def create_callback(store: SandboxStore, body: Any, actor: Rec) -> Rec:
    """POST /system/callbacks."""
    if not isinstance(body, dict):
        raise invalid_many(
            [field_error("callbackEntry", "InvalidField", "The body must be an object", RESOURCE)], RESOURCE
        )
    rec: Rec = {
        "connectWiseID": str(uuid.uuid4()),
        "description": body.get("description") or "",
        "inactiveFlag": body.get("inactiveFlag", False),
        "isSelfSuppressedFlag": body.get("isSelfSuppressedFlag", False),
        "isSoapCallbackFlag": False,
        "level": body.get("level"),
        "memberId": actor["id"],
        "objectId": body.get("objectId"),
        "payloadVersion": body.get("payloadVersion") or "3.0.0",
        "type": body.get("type"),
        "url": body.get("url"),
    }
    _check(store, rec, None)
    rec["id"] = store.next_id("callbacks")
    rec["_info"] = {"lastUpdated": now_iso(), "updatedBy": actor.get("identifier")}
    store.table("callbacks")[rec["id"]] = dict(sorted(rec.items()))
    store.touch("callbacks")
    return store.table("callbacks")[rec["id"]]


def patch_callback(store: SandboxStore, callback_id: int, body: Any, actor: Rec) -> Rec:
    """PATCH /system/callbacks/{id}: url, description, level, objectId, type and the flags."""
    current = store.get("callbacks", callback_id)
    if current is None:
        raise not_found("CallbackEntry", callback_id)
    changed = dict(current)
    editable = {"url", "description", "level", "objectId", "type", "inactiveFlag", "isSelfSuppressedFlag"}
    for op, path, value in parse_ops(body, RESOURCE):
        if op == "remove" or path not in editable:
            raise invalid_many(
                [field_error(path, "InvalidField", f"Cannot {op} '{path}'", RESOURCE)], RESOURCE
            )
        changed[path] = value
    _check(store, changed, callback_id)
    if changed != current:
        changed["_info"] = {"lastUpdated": now_iso(), "updatedBy": actor.get("identifier")}
        current.clear()
        current.update(sorted(changed.items()))
        store.touch("callbacks")
    return current


def delete_callback(store: SandboxStore, callback_id: int) -> None:
    """DELETE /system/callbacks/{id}."""
    if store.table("callbacks").pop(callback_id, None) is None:
        raise not_found("CallbackEntry", callback_id)
    store.touch("callbacks")


# -- deliveries ------------------------------------------------------------------------------------


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


# -- routes ----------------------------------------------------------------------------------------


async def signing_key(request: web.Request) -> web.Response:
    """GET key_url: `{"signing_key": ...}`, no authentication (as ConnectWise serves it)."""
    key = request.app[DISPATCHER].key_by_id(request.query.get("id", ""))
    if key is None:
        raise CWError(404, "NotFound", "The callback key was not found.")
    return json_response({"signing_key": key})


async def behaviour(request: web.Request) -> web.Response:
    """POST /__sandbox/callbacks/behaviour `{"mode", "retry_delays_ms", "timeout_ms"}` (tests' switch)."""
    dispatcher = request.app[DISPATCHER]
    dispatcher.sync()
    body = await request.json() if request.can_read_body else {}
    mode = body.get("mode", dispatcher.mode)
    if mode not in ("deliver", "drop", "duplicate"):
        raise CWError(400, "InvalidObject", "mode must be deliver, drop or duplicate")
    dispatcher.mode = mode
    if "retry_delays_ms" in body:
        dispatcher.retry_delays = tuple(max(0, int(ms)) / 1000 for ms in body["retry_delays_ms"])
    if "timeout_ms" in body:
        dispatcher.timeout = max(1, int(body["timeout_ms"])) / 1000
    delays = [round(d * 1000) for d in dispatcher.retry_delays]
    return json_response(
        {"mode": dispatcher.mode, "retry_delays_ms": delays, "timeout_ms": dispatcher.timeout * 1000}
    )


async def deliveries(request: web.Request) -> web.Response:
    """GET /__sandbox/callbacks/deliveries: every delivery attempt since the last reset."""
    dispatcher = request.app[DISPATCHER]
    dispatcher.sync()
    return json_response(dispatcher.log)


async def rotate_keys(request: web.Request) -> web.Response:
    """POST /__sandbox/callbacks/rotate-keys: later deliveries name new key URLs."""
    request.app[DISPATCHER].rotate()
    return web.Response(status=204)


def register(app: web.Application, root: str, control_root: str) -> Dispatcher:
    """Add `/system/callbacks`, the key URL and the delivery controls; returns the dispatcher."""
    dispatcher = Dispatcher(app[STATE_KEY])
    app[DISPATCHER] = dispatcher
    app.on_cleanup.append(dispatcher.close)
    path = root + "/system/callbacks"
    app.router.add_get(path, list_handler(table("callbacks")))
    app.router.add_get(path + "/count", count_handler(table("callbacks")))
    app.router.add_get(path + r"/{id:\d+}", item_handler("CallbackEntry", by_id("callbacks")))

    def actor(request: web.Request) -> Rec:
        return acting_member(request, state_of(request).store)

    app.router.add_post(path, write(lambda s, q, b: create_callback(s, b, actor(q)), 201))
    app.router.add_patch(
        path + r"/{id:\d+}", write(lambda s, q, b: patch_callback(s, int_id(q), b, actor(q)))
    )
    app.router.add_delete(path + r"/{id:\d+}", write(lambda s, q, b: delete_callback(s, int_id(q))))
    app.router.add_get(KEY_PATH, signing_key)
    app.router.add_post(control_root + "/callbacks/behaviour", behaviour)
    app.router.add_get(control_root + "/callbacks/deliveries", deliveries)
    app.router.add_post(control_root + "/callbacks/rotate-keys", rotate_keys)
    return dispatcher

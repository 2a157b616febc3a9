"""aiohttp application: auth, latency, faults and the request log around the API routes."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .attribution import KeyRing, authenticate
from .batches import Batches
from .errors import CWError
from .faults import DROPPED, Fault, FaultRegistry, RequestLog, RequestRecord, fault_body
from .store import SandboxStore

API_ROOT = "/v4_6_release/apis/3.0"
CONTROL_ROOT = "/__sandbox"
TICKET_PAGE = "/v4_6_release/services/system_io/Service/fv_sr100_request.rails"
STATE_KEY: web.AppKey[SandboxState] = web.AppKey("sandbox_state")


@dataclass
class SandboxState:
    """Everything one running sandbox shares between requests and its controller."""

    store: SandboxStore
    company_id: str = "sandbox"
    public_key: str = "sandbox"
    private_key: str = "sandbox"
    latency_ms: int = 0
    faults: FaultRegistry = field(default_factory=FaultRegistry)
    log: RequestLog = field(default_factory=RequestLog)
    # Bumped by reset(): requests still in flight from before it are not logged after it.
    epoch: int = 0
    # While set, API requests wait for it before anything else: a ConnectWise that hangs until released.
    hold: asyncio.Event | None = None
    hold_only: tuple[str | None, str | None] = (None, None)  # (method, path) held; None: any
    # API requests received and not answered yet, as (method, path): a test sees a write in flight.
    in_flight: list[tuple[str, str]] = field(default_factory=list)
    # While set, API answers wait until their batch of requests has arrived (see batches.py).
    batches: Batches | None = None
    initial_latency_ms: int | None = None
    keys: KeyRing = field(default_factory=KeyRing)

    def __post_init__(self) -> None:
        if self.initial_latency_ms is None:
            self.initial_latency_ms = self.latency_ms

    def holds(self, method: str, path: str) -> bool:
        """Whether a hold applies to this request."""
        held_method, held_path = self.hold_only
        return (held_method is None or held_method == method) and (held_path is None or held_path == path)

    def reset(self) -> None:
        """Back to the state the server started in: seed data, start latency, no faults, empty log."""
        self.epoch += 1
        self.latency_ms = self.initial_latency_ms or 0
        self.store.reset()
        self.faults.clear()
        self.log.clear()
        self.keys.clear()


def dumps(data: Any) -> str:
    """Compact JSON."""
    return json.dumps(data, separators=(",", ":"))


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON response as ConnectWise sends it."""
    return web.Response(text=dumps(data), status=status, content_type="application/json", headers=headers)


def error_response(err: CWError) -> web.Response:
    """A ConnectWise-shaped error response."""
    return json_response(err.body(), status=err.status)


def state_of(request: web.Request) -> SandboxState:
    """The sandbox state behind a request."""
    return request.app[STATE_KEY]


def check_auth(request: web.Request, state: SandboxState) -> CWError | None:
    """Validate Basic `company+public:private` (any member's key pair) and the clientId header."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic" or not token:
        return CWError(401, "Unauthorized", "Authorization header is missing or is not Basic authentication.")
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return CWError(401, "Unauthorized", "The Authorization header could not be decoded.")
    user, sep, private = decoded.partition(":")
    company, plus, public = user.partition("+")
    if (
        not sep
        or not plus
        or company.casefold() != state.company_id.casefold()
        or not authenticate(
            request, state.keys, state.store, (public, private), (state.public_key, state.private_key)
        )
    ):
        return CWError(401, "Unauthorized", "Authentication failed: invalid company or API keys.")
    if not request.headers.get("clientId", "").strip():
        return CWError(
            401,
            "Unauthorized",
            "clientId is required. Register an integration at https://developer.connectwise.com/ClientID",
        )
    return None


def _not_found_for(exc: web.HTTPException) -> CWError:
    if isinstance(exc, web.HTTPMethodNotAllowed):
        return CWError(405, "MethodNotAllowed", "The requested method is not supported for this resource.")
    return CWError(404, "NotFound", "The requested resource was not found.")


async def _fault_response(request: web.Request, fault: Fault) -> web.StreamResponse | None:
    """Apply a fault; None means carry on with the real handler."""
    if fault.delay_ms:
        await asyncio.sleep(fault.delay_ms / 1000)
    if fault.drop_connection:
        transport = request.transport
        if transport is not None:
            transport.abort()
        raise _Dropped
    if fault.passes_through:
        return None
    status = fault.status or 500
    headers: dict[str, str] = {}
    retry_after = fault.retry_after
    if retry_after is None and status == 429:
        retry_after = 1
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return json_response(fault_body(fault), status=status, headers=headers)


class _Dropped(Exception):
    """The connection was dropped on purpose; nothing is sent."""


async def _parsed_body(request: web.Request) -> Any:
    if not request.can_read_body:
        return None
    raw = await request.read()
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode("utf-8", "replace")


@web.middleware
async def sandbox_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Latency, faults, auth, CW-shaped errors and logging for everything but the controls."""
    path = request.path
    if path.startswith(CONTROL_ROOT):
        try:
            return await handler(request)
        except CWError as err:
            return error_response(err)
    state = state_of(request)
    is_api = path == API_ROOT or path.startswith(API_ROOT + "/")
    rel = (path[len(API_ROOT) :] or "/") if is_api else path
    epoch = state.epoch
    received_seq = state.log.next_seq()
    status = DROPPED
    body: Any = None
    in_flight = (request.method, rel)
    state.in_flight.append(in_flight)
    try:
        body = await _parsed_body(request)
        if state.batches is not None and is_api:
            await state.batches.arrive(f"{request.method} {rel}")
        if state.hold is not None and state.holds(request.method, rel):
            await state.hold.wait()
        if state.latency_ms:
            await asyncio.sleep(state.latency_ms / 1000)
        fault = state.faults.take(request.method, (rel, path))
        if fault is not None:
            faulted = await _fault_response(request, fault)
            if faulted is not None:
                status = faulted.status
                return faulted
        response = await _answer(request, handler, state, is_api)
        status = response.status
        return response
    except _Dropped:
        # Abort the transport and hand aiohttp a cancelled request; the client sees a reset.
        raise asyncio.CancelledError() from None
    finally:
        state.in_flight.remove(in_flight)
        # Taken before aiohttp writes the answer: a request caused by it always gets a later received_seq.
        answered_seq = state.log.next_seq()
        if epoch == state.epoch:
            state.log.append(
                RequestRecord(
                    method=request.method,
                    path=rel,
                    query=dict(request.query),
                    status=status,
                    timestamp=time.time(),
                    full_path=path,
                    body=body,
                    received_seq=received_seq,
                    answered_seq=answered_seq,
                )
            )


async def _answer(
    request: web.Request, handler: Any, state: SandboxState, is_api: bool
) -> web.StreamResponse:
    if is_api:
        denied = check_auth(request, state)
        if denied is not None:
            return error_response(denied)
    try:
        return await handler(request)
    except CWError as err:
        return error_response(err)
    except web.HTTPException as exc:
        if exc.status in (404, 405):
            return error_response(_not_found_for(exc))
        raise
    except Exception:
        # A sandbox bug must still look like a ConnectWise 500 to the client under test.
        logging.getLogger(__name__).exception(
            "sandbox handler failed for %s %s", request.method, request.path
        )
        return error_response(CWError(500, "ConnectWiseApi", "An unexpected error occurred on the server."))


def create_app(state: SandboxState) -> web.Application:
    """Build the aiohttp application serving the API, the controls and the ticket page."""
    from . import callbacks, changes, control, routes_read, routes_write, time_entries

    app = web.Application(middlewares=[sandbox_middleware], client_max_size=8 * 1024 * 1024)
    app[STATE_KEY] = state
    routes_read.register(app, API_ROOT)
    routes_write.register(app, API_ROOT)
    time_entries.register(app, API_ROOT)
    callbacks.register(app, API_ROOT, CONTROL_ROOT)
    changes.register(app, CONTROL_ROOT)
    control.register(app, CONTROL_ROOT, TICKET_PAGE)
    return app

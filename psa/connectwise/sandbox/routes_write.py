"""Write endpoints: tickets, notes, ticket configurations, schedule entries."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from . import children, tickets
from .app import json_response, state_of
from .attribution import acting_member
from .errors import bad_request
from .routes_read import int_id
from .store import SandboxStore

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def _body(request: web.Request) -> Any:
    raw = await request.read()
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise bad_request("The request body is not valid JSON.") from None


def _api_base(request: web.Request) -> str:
    return str(request.url.origin()) + request.path.split("/service/")[0]


def write(action: Callable[[SandboxStore, web.Request, Any], Any], status: int = 200) -> Handler:
    """Run a store mutation under the lock; None answers 204."""

    async def handler(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        store = state_of(request).store
        with store.lock:
            result = action(store, request, body)
        if result is None:
            return web.Response(status=204)
        return json_response(result, status=status)

    return handler


def register(app: web.Application, root: str) -> None:
    """Add the write routes under the API root."""
    r = app.router
    t = root + r"/service/tickets/{id:\d+}"
    # Every write acts as the member whose keys authenticated the request (attribution.py).
    r.add_post(
        root + "/service/tickets", write(lambda s, q, b: tickets.create_ticket(s, b, acting_member(q)), 201)
    )
    r.add_patch(t, write(lambda s, q, b: tickets.patch_ticket(s, int_id(q), b, acting_member(q))))
    r.add_post(
        t + "/notes", write(lambda s, q, b: children.create_note(s, int_id(q), b, acting_member(q)), 201)
    )
    r.add_post(
        t + "/configurations",
        write(lambda s, q, b: children.attach_configuration(s, int_id(q), b, _api_base(q)), 201),
    )
    r.add_delete(
        t + r"/configurations/{sub:\d+}",
        write(lambda s, q, b: children.detach_configuration(s, int_id(q), int_id(q, "sub"))),
    )
    e = root + r"/schedule/entries"
    r.add_post(e, write(lambda s, q, b: children.create_schedule_entry(s, b, acting_member(q)), 201))
    r.add_patch(
        e + r"/{id:\d+}",
        write(lambda s, q, b: children.patch_schedule_entry(s, int_id(q), b, acting_member(q))),
    )
    r.add_delete(e + r"/{id:\d+}", write(lambda s, q, b: children.delete_schedule_entry(s, int_id(q))))

"""`/__sandbox/` control endpoints (no auth) and the "Open in ConnectWise" ticket page."""

from __future__ import annotations

import html
from typing import Any

from aiohttp import web

from .app import json_response, state_of
from .errors import CWError, bad_request
from .faults import Fault

_FAULT_FIELDS = {
    "method",
    "path_pattern",
    "status",
    "count",
    "retry_after",
    "body",
    "delay_ms",
    "drop_connection",
}


async def _json_object(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError:
        raise bad_request("Body must be JSON.") from None
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise bad_request("Body must be a JSON object.")
    return body


def fault_from_json(data: dict[str, Any]) -> Fault:
    """Build a Fault from the JSON body of `POST /__sandbox/faults`."""
    unknown = set(data) - _FAULT_FIELDS
    if unknown:
        raise bad_request(f"Unknown fault fields: {', '.join(sorted(unknown))}")
    try:
        return Fault(**data)
    except (TypeError, ValueError) as exc:
        raise bad_request(f"Invalid fault: {exc}") from None


async def add_fault(request: web.Request) -> web.Response:
    """POST /__sandbox/faults: arm a fault (same fields as `SandboxServer.inject_fault`)."""
    fault = fault_from_json(await _json_object(request))
    state_of(request).faults.add(fault)
    return json_response(fault.describe(), status=201)


async def list_faults(request: web.Request) -> web.Response:
    """GET /__sandbox/faults: faults still armed."""
    return json_response([f.describe() for f in state_of(request).faults.pending()])


async def clear_faults(request: web.Request) -> web.Response:
    """DELETE /__sandbox/faults."""
    state_of(request).faults.clear()
    return web.Response(status=204)


async def reset(request: web.Request) -> web.Response:
    """POST /__sandbox/reset: seed data back, faults and log cleared."""
    state_of(request).reset()
    return web.Response(status=204)


async def set_latency(request: web.Request) -> web.Response:
    """POST /__sandbox/latency with `{"ms": N}`."""
    body = await _json_object(request)
    ms = body.get("ms", body.get("latency_ms"))
    if not isinstance(ms, int) or isinstance(ms, bool) or ms < 0:
        raise bad_request('Body must be {"ms": <non-negative integer>}.')
    state_of(request).latency_ms = ms
    return json_response({"ms": ms})


async def get_requests(request: web.Request) -> web.Response:
    """GET /__sandbox/requests[?method=&path_contains=]: the request log, oldest first."""
    method = request.query.get("method")
    contains = request.query.get("path_contains")
    records = [
        r.to_json()
        for r in state_of(request).log.snapshot()
        if (method is None or r.method.upper() == method.upper())
        and (contains is None or contains in r.path or contains in r.full_path)
    ]
    return json_response(records)


async def clear_requests(request: web.Request) -> web.Response:
    """DELETE /__sandbox/requests."""
    state_of(request).log.clear()
    return web.Response(status=204)


async def mint_keys(request: web.Request) -> web.Response:
    """POST /__sandbox/members/{identifier}/keys: a new API key pair belonging to that member."""
    state = state_of(request)
    with state.store.lock:
        member = state.store.find_member(request.match_info["identifier"])
    if member is None or member.get("inactiveFlag"):
        raise CWError(404, "NotFound", f"member {request.match_info['identifier']!r} is not an active member")
    pair = state.keys.mint(member["id"])
    body = {"memberId": member["id"], "publicKey": pair.public_key, "privateKey": pair.private_key}
    return json_response(body, status=201)


async def revoke_keys(request: web.Request) -> web.Response:
    """DELETE /__sandbox/keys/{public_key}: the member deleted this key pair."""
    if not state_of(request).keys.revoke(request.match_info["public_key"]):
        raise CWError(404, "NotFound", "no such key pair")
    return web.Response(status=204)


async def get_quirks(request: web.Request) -> web.Response:
    """GET /__sandbox/quirks: the switches in force (see `quirks.py`)."""
    return json_response(state_of(request).store.quirks.to_json())


async def set_quirks(request: web.Request) -> web.Response:
    """POST /__sandbox/quirks with `{"forget": {"tickets": ["resources"]}, "refuse_owner_remove": true}`."""
    body = await _json_object(request)
    unknown = set(body) - {"forget", "refuse_owner_remove"}
    forget = body.get("forget", {})
    refuse = body.get("refuse_owner_remove")
    if (
        unknown
        or not isinstance(forget, dict)
        or not all(isinstance(v, list) and all(isinstance(p, str) for p in v) for v in forget.values())
        or (refuse is not None and not isinstance(refuse, bool))
    ):
        raise bad_request('Body must be {"forget": {resource: [paths]}, "refuse_owner_remove": bool}.')
    quirks = state_of(request).store.quirks
    for resource, paths in forget.items():
        quirks.forget(resource, *paths)
    if refuse is not None:
        quirks.refuse_owner_remove = refuse
    return json_response(quirks.to_json())


async def clear_quirks(request: web.Request) -> web.Response:
    """DELETE /__sandbox/quirks."""
    state_of(request).store.quirks.clear()
    return web.Response(status=204)


async def health(request: web.Request) -> web.Response:
    """GET /__sandbox/health."""
    state = state_of(request)
    return json_response({"ok": True, "latency_ms": state.latency_ms, "faults": len(state.faults.pending())})


async def ticket_page(request: web.Request) -> web.Response:
    """A tiny HTML stand-in for the ticket screen that "Open in ConnectWise" links to."""
    raw = request.query.get("service_recid", "")
    store = state_of(request).store
    with store.lock:
        ticket = store.get("tickets", int(raw)) if raw.isdigit() else None
        view = store.ticket_view(ticket) if ticket else None
        notes = [n for n in store.table("notes").values() if view and n.get("ticketId") == view["id"]]
    if view is None:
        page = f"<h1>Ticket {html.escape(raw)} not found</h1>"
        return web.Response(text=_html("Not found", page), status=404, content_type="text/html")
    esc = html.escape

    def ref(key: str) -> str:
        return esc(str((view.get(key) or {}).get("name", "")))

    rows = "".join(
        f"<tr><th>{label}</th><td>{value}</td></tr>"
        for label, value in (
            ("Company", ref("company")),
            ("Board", ref("board")),
            ("Status", ref("status")),
            ("Priority", ref("priority")),
            ("Contact", ref("contact")),
            ("Resources", esc(view.get("resources", ""))),
            ("Entered", esc(view.get("_info", {}).get("dateEntered", ""))),
        )
    )
    note_items = "".join(f"<li><pre>{esc(n.get('text', ''))}</pre></li>" for n in notes)
    body = f"<h1>#{view['id']} {esc(view.get('summary', ''))}</h1><table>{rows}</table><ol>{note_items}</ol>"
    return web.Response(text=_html(f"Ticket #{view['id']}", body), content_type="text/html")


def _html(title: str, body: str) -> str:
    head = f"<meta charset='utf-8'><title>{html.escape(title)}</title>"
    return f"<!doctype html><html><head>{head}</head><body>{body}</body></html>"


def register(app: web.Application, root: str, ticket_page_path: str) -> None:
    """Add the control routes and the ticket page."""
    r = app.router
    r.add_post(root + "/faults", add_fault)
    r.add_get(root + "/faults", list_faults)
    r.add_delete(root + "/faults", clear_faults)
    r.add_post(root + "/reset", reset)
    r.add_post(root + "/latency", set_latency)
    r.add_get(root + "/requests", get_requests)
    r.add_delete(root + "/requests", clear_requests)
    r.add_get(root + "/health", health)
    r.add_post(root + "/members/{identifier}/keys", mint_keys)
    r.add_delete(root + "/keys/{public_key}", revoke_keys)
    r.add_get(root + "/quirks", get_quirks)
    r.add_post(root + "/quirks", set_quirks)
    r.add_delete(root + "/quirks", clear_quirks)
    r.add_get(ticket_page_path, ticket_page)


__all__ = ["CWError", "register"]

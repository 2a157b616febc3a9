"""`/system/callbacks`: registering where ConnectWise sends changes (sources: psa/connectwise/changes.py).

Registration: `{url, type, level, objectId, description, inactiveFlag, isSelfSuppressedFlag}`; the
levels each type accepts are the Developer Guide's table; refusals use the messages captured from a
real server (amp-labs/connectors `internal/subscriber/test/create/*bad-request*.json`). Deliveries
are deliveries.py's.
"""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from .app import STATE_KEY, json_response, state_of
from .deliveries import DISPATCHER, KEY_PATH, Dispatcher
from .errors import CWError, field_error, invalid_many, not_found
from .routes_read import by_id, count_handler, int_id, item_handler, list_handler, table
from .routes_write import write
from .store import Rec, SandboxStore, now_iso
from .tickets import parse_ops
from .time_entries import acting_member

RESOURCE = "callbackEntry"
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
    app.router.add_get(path, list_handler(table("callbacks"), "callbacks"))
    app.router.add_get(path + "/count", count_handler(table("callbacks"), "callbacks"))
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

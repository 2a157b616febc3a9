"""The `/__fake/*` routes: inspect the fake over HTTP and act as a member's Slack client would."""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.local.fake_slack.workspace import MethodError

if TYPE_CHECKING:
    from bot.local.fake_slack.server import FakeSlack

MAX_POLL_SECONDS = 30.0
FAKE_KEY: web.AppKey[FakeSlack] = web.AppKey("fake_slack")


def _fake(request: web.Request) -> FakeSlack:
    return request.app[FAKE_KEY]


def _error(error: str, status: int = 400) -> web.Response:
    return web.json_response({"ok": False, "error": error}, status=status)


async def _json_object(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except json.JSONDecodeError as exc:
        raise MethodError("invalid_json", status=400) from exc
    if not isinstance(body, dict):
        raise MethodError("invalid_json", status=400)
    return body


async def state(request: web.Request) -> web.Response:
    """GET /__fake/state: the whole workspace as JSON."""
    return web.json_response(_fake(request).state())


async def events(request: web.Request) -> web.Response:
    """GET /__fake/events?after=N&timeout=S: calls after sequence N, waiting up to S seconds for one."""
    try:
        after = int(request.query.get("after", "0"))
        timeout = min(float(request.query.get("timeout", "0")), MAX_POLL_SECONDS)
    except ValueError:
        return _error("invalid_arguments")
    fake = _fake(request)
    deadline = time.monotonic() + timeout
    calls = fake.calls_after(after)
    while not calls and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        calls = fake.calls_after(after)
    last_seq = calls[-1].seq if calls else max(after, fake.last_seq)
    return web.json_response(
        {"ok": True, "events": [c.model_dump(mode="json") for c in calls], "last_seq": last_seq}
    )


async def trigger_ids(request: web.Request) -> web.Response:
    """POST /__fake/trigger_ids {user_id?, view_id?}: mint a trigger_id."""
    body = await _json_object(request)
    trigger_id = _fake(request).new_trigger_id(body.get("user_id"), view_id=body.get("view_id"))
    return web.json_response({"ok": True, "trigger_id": trigger_id})


async def response_urls(request: web.Request) -> web.Response:
    """POST /__fake/response_urls {channel_id, user_id, message_ts?}: mint a response_url."""
    body = await _json_object(request)
    if not body.get("channel_id") or not body.get("user_id"):
        return _error("invalid_arguments")
    url = _fake(request).new_response_url(body["channel_id"], body["user_id"], body.get("message_ts"))
    return web.json_response({"ok": True, "response_url": url})


async def messages(request: web.Request) -> web.Response:
    """POST /__fake/messages {channel, user, text, thread_ts?, blocks?}: a member writes a message."""
    body = await _json_object(request)
    message = _fake(request).add_message(
        str(body.get("channel")),
        user=str(body.get("user")),
        text=str(body.get("text") or ""),
        thread_ts=body.get("thread_ts"),
        blocks=body.get("blocks"),
    )
    return web.json_response({"ok": True, "message": message})


async def view_close(request: web.Request) -> web.Response:
    """POST /__fake/views/{view_id}/close {clear?}: the member closes a modal."""
    body = await _json_object(request)
    _fake(request).close_view(request.match_info["view_id"], clear=bool(body.get("clear")))
    return web.json_response({"ok": True})


async def view_response(request: web.Request) -> web.Response:
    """POST /__fake/views/{view_id}/response {ack body}: apply the app's view_submission answer."""
    body = await _json_object(request)
    view = _fake(request).apply_view_response(request.match_info["view_id"], body)
    return web.json_response({"ok": True, "view": view})


async def view_state(request: web.Request) -> web.Response:
    """POST /__fake/views/{view_id}/state {values}: the member types into a view."""
    body = await _json_object(request)
    values = body.get("values")
    if not isinstance(values, dict):
        return _error("invalid_arguments")
    view = _fake(request).set_view_state(request.match_info["view_id"], values)
    return web.json_response({"ok": True, "view": view})


@web.middleware
async def _method_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        response: web.StreamResponse = await handler(request)
    except MethodError as exc:
        status = exc.status if exc.status != 200 else (404 if exc.error.endswith("not_found") else 400)
        return web.json_response(exc.body(), status=status)
    return response


def add_routes(app: web.Application, fake: FakeSlack) -> None:
    """Mount the `/__fake` sub-application on the fake's app."""
    sub = web.Application(middlewares=[_method_errors])
    sub[FAKE_KEY] = fake
    sub.router.add_get("/state", state)
    sub.router.add_get("/events", events)
    sub.router.add_post("/trigger_ids", trigger_ids)
    sub.router.add_post("/response_urls", response_urls)
    sub.router.add_post("/messages", messages)
    sub.router.add_post("/views/{view_id}/close", view_close)
    sub.router.add_post("/views/{view_id}/response", view_response)
    sub.router.add_post("/views/{view_id}/state", view_state)
    app.add_subapp("/__fake", sub)

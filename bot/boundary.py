"""The HTTP boundary in front of Bolt: a body-size cap, one strict parser for Slack's request bodies, and
the Bolt request built from the exact raw body (Bolt still checks the signature on those bytes).

Bolt's own body parser treats any form body that merely *contains* the text "payload" as an
interactivity payload, finds no `payload` field, and answers 404 — so `/tickets search payload`, or a
command from a channel, user or team named "payload…", failed (slack_bolt/request/internals.py,
`parse_body`). Here a form body is parsed as a form, and only a `payload` *field* is JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt.async_app import AsyncBoltRequest
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Slack's largest requests (a view_submission of a full modal) are tens of kilobytes.
MAX_BODY_BYTES = 1_000_000
# Slack payloads nest about a dozen levels deep (rich text inside blocks inside a message).
MAX_JSON_DEPTH = 64
MAX_FORM_FIELDS = 64
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


class BadRequest(ValueError):
    """The body is not a Slack request this app can read (answered 400)."""


class BodyTooLarge(Exception):
    """The body is longer than the limit (answered 413)."""


class BodyLimit:
    """ASGI middleware: 413 for a declared Content-Length over `max_bytes` before reading anything, and
    for a streamed (chunked) body as soon as the bytes received pass `max_bytes`."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _too_large(send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _too_large(send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers") or []:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _too_large(send: Send) -> None:
    body = b'{"error":"request body too large"}'
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def parse_body(raw: str, content_type: str | None) -> dict[str, Any]:
    """A Slack request body as Slack meant it: JSON (events), a form with a JSON `payload` field
    (interactivity), or a plain form (slash commands). Raises BadRequest for anything else."""
    if not raw:
        return {}
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    if kind == JSON or (kind != FORM and raw.startswith("{")):
        return _json_object(raw)
    try:
        fields = dict(parse_qsl(raw, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS))
    except ValueError as exc:  # more fields than any Slack request has
        raise BadRequest("too many form fields") from exc
    payload = fields.get("payload")
    return fields if payload is None else _json_object(payload)


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, huge integers, NaN, deep nesting
        raise BadRequest("malformed JSON") from exc
    if not isinstance(value, dict):
        raise BadRequest("a Slack payload is a JSON object")
    # Cheap tests first: only a body with that many brackets can be that deep, and only one with a
    # \uD8xx escape can hold an unpaired surrogate (which no database or encoder downstream accepts).
    deep = text.count("{") + text.count("[") > MAX_JSON_DEPTH
    surrogates = "\\ud" in text or "\\uD" in text
    if deep or surrogates:
        _check_shape(value, depth=deep, strings=surrogates)
    return value


def _no_constant(name: str) -> Any:
    raise BadRequest(f"{name} is not a JSON number")


def _check_shape(value: Any, *, depth: bool, strings: bool) -> None:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, level = stack.pop()
        if depth and level > MAX_JSON_DEPTH:
            raise BadRequest("JSON nested too deeply")
        items: list[Any]
        if isinstance(node, dict):
            items = [*node.keys(), *node.values()]
        elif isinstance(node, list):
            items = node
        else:
            items = [node]
        for item in items:
            if isinstance(item, dict | list):
                stack.append((item, level + 1))
            elif strings and isinstance(item, str) and not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError as exc:
                    raise BadRequest("unpaired surrogate in a JSON string") from exc


class ParsedRequest(AsyncBoltRequest):
    """A Bolt request whose body was parsed here; `raw_body` is the exact text Slack signed."""

    def __init__(
        self,
        *,
        raw_body: str,
        body: dict[str, Any],
        query: Mapping[str, Any] | None,
        headers: Mapping[str, Any],
        context: dict[str, Any] | None = None,
    ) -> None:
        # Bolt's constructor with an empty body (nothing to parse), then the fields Bolt derives from
        # the body, set from ours.
        super().__init__(body="", query=dict(query or {}), headers=dict(headers), context=context)
        self.raw_body = raw_body
        self.body = body
        self.context = build_async_context(AsyncBoltContext(context or {}), body)

    def to_copyable(self) -> ParsedRequest:
        """A copy for lazy listeners that keeps this body (Bolt's own copy would re-parse the raw text)."""
        return ParsedRequest(
            raw_body=self.raw_body,
            body=self.body,
            query=self.query,
            headers=self.headers,
            context=self.context.to_copyable(),
        )


def bolt_request(raw: bytes, *, query: Mapping[str, Any], headers: Mapping[str, str]) -> ParsedRequest:
    """The Bolt request for a raw HTTP body; raises BadRequest when it is no readable Slack request."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest("the body is not UTF-8") from exc
    body = parse_body(text, headers.get("content-type"))
    try:
        return ParsedRequest(raw_body=text, body=body, query=query, headers=headers)
    except (ValueError, LookupError, TypeError, AttributeError) as exc:
        # Bolt reads the ids it routes by from fixed places; a payload of another shape cannot be routed.
        raise BadRequest(f"unroutable payload ({type(exc).__name__})") from exc

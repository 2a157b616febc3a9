"""A local Claude Messages API for scenarios where suggestions come from the model (the real SDK)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web
from pydantic import SecretStr

from bot.deps import AppDeps, build_anthropic, build_spinoff_detector


class MessagesAPI:
    """A local stand-in for POST /v1/messages: records requests, answers with the queued text or status."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answer_text = ""
        self.status = 200

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(body)
        if self.status != 200:
            error = {"type": "error", "error": {"type": "invalid_request_error", "message": "nope"}}
            return web.json_response(error, status=self.status)
        return web.json_response(
            {
                "id": "msg_01SPINOFF",
                "type": "message",
                "role": "assistant",
                "model": body["model"],
                "content": [{"type": "text", "text": self.answer_text}] if self.answer_text else [],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": 420, "output_tokens": 60},
            }
        )


@asynccontextmanager
async def serve_messages_api(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[MessagesAPI]:
    """The local Messages API, with ANTHROPIC_BASE_URL pointing the SDK at it."""
    api = MessagesAPI()
    app = web.Application()
    app.router.add_post("/v1/messages", api.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    monkeypatch.setenv("ANTHROPIC_BASE_URL", f"http://127.0.0.1:{port}")
    try:
        yield api
    finally:
        await runner.cleanup()


def with_api_key(deps: AppDeps) -> None:
    """What build_deps does when ANTHROPIC_API_KEY is set."""
    settings = deps.settings.model_copy(update={"anthropic_api_key": SecretStr("sk-ant-test")})
    deps.anthropic = build_anthropic(settings)
    deps.spinoff = build_spinoff_detector(settings, deps.anthropic)

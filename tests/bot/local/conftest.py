"""Fixtures for the local Slack workspace: a running FakeSlack and a real slack_sdk client on it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import pytest
import uvicorn
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from waiting import until_serving

from bot.local import FakeSlack, SlackRequestSender


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    """A FakeSlack serving in the test's event loop, seeded with the default users and channels."""
    async with FakeSlack() as server:
        yield server


@pytest.fixture
def client(fake: FakeSlack) -> AsyncWebClient:
    """The real async Slack client, pointed at the fake with the bot token."""
    return AsyncWebClient(token="xoxb-local", base_url=fake.api_url)


SIGNING_SECRET = "local-signing-secret"


@pytest.fixture
def make_app(fake: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> Callable[..., AsyncApp]:
    """Build a Bolt AsyncApp whose Web API client talks to the fake (Slack env vars cleared)."""
    for var in ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(var, raising=False)

    def build(*, process_before_response: bool = True) -> AsyncApp:
        return AsyncApp(
            client=AsyncWebClient(token="xoxb-local", base_url=fake.api_url),
            signing_secret=SIGNING_SECRET,
            process_before_response=process_before_response,
        )

    return build


@pytest.fixture
def serve_bolt() -> Callable[[AsyncApp], AbstractAsyncContextManager[SlackRequestSender]]:
    """Return `serve(app)`: an async context manager yielding a signed-request sender for the app."""
    return _serve_bolt


@asynccontextmanager
async def _serve_bolt(app: AsyncApp) -> AsyncIterator[SlackRequestSender]:
    """Serve a Bolt app through the Starlette adapter under uvicorn on an ephemeral port."""
    handler = AsyncSlackRequestHandler(app)

    async def events(request: Request) -> Response:
        return await handler.handle(request)

    api = Starlette(routes=[Route("/slack/events", endpoint=events, methods=["POST"])])
    server = uvicorn.Server(
        uvicorn.Config(api, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    port = await until_serving(server, task)
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            yield SlackRequestSender(f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET, http)
    finally:
        server.should_exit = True
        await task

"""A workspace page server over a FakeSlack and a small Bolt app, driven over HTTP like the page does."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from slack_bolt.async_app import AsyncApp

from bot.local import FakeSlack, SlackRequestSender
from bot.local.fake_slack import DEFAULT_CHANNELS, DEFAULT_USERS
from bot.local.workspace import SlackBridge, WorkspaceServer

ADMIN, ENGINEER = "U0ADMIN", "U0ENGINEER"
GENERAL, SUPPORT = "C0GENERAL", "C0SUPPORT"


@dataclass
class Page:
    """What the browser page does: call the /ui API as one member."""

    http: httpx.AsyncClient
    bridge: SlackBridge
    user: str = ENGINEER

    async def post(self, path: str, **body: Any) -> dict[str, Any]:
        """POST /ui/<path> as `user` (override with user=...)."""
        body.setdefault("user", self.user)
        response = await self.http.post(f"/ui/{path}", json=body)
        result: dict[str, Any] = response.json()
        result["_status"] = response.status_code
        return result

    async def state(self, user: str | None = None) -> dict[str, Any]:
        """GET /ui/state for a member."""
        response = await self.http.get("/ui/state", params={"user": user or self.user})
        response.raise_for_status()
        state: dict[str, Any] = response.json()
        return state


ServeWorkspace = Callable[[AsyncApp], AbstractAsyncContextManager[Page]]


def workspace_server(
    fake: FakeSlack,
    serve_bolt: Callable[[AsyncApp], AbstractAsyncContextManager[SlackRequestSender]],
    *,
    unfurl_domains: tuple[str, ...] = (),
) -> ServeWorkspace:
    """`async with serve(app) as page:` — the app under uvicorn, the page server in front of it."""

    @asynccontextmanager
    async def serve(app: AsyncApp) -> AsyncIterator[Page]:
        async with serve_bolt(app) as sender:
            bridge = SlackBridge(
                fake, sender, users=DEFAULT_USERS, channels=DEFAULT_CHANNELS, unfurl_domains=unfurl_domains
            )
            server = WorkspaceServer(fake, bridge)
            await server.start()
            try:
                async with httpx.AsyncClient(base_url=server.url.rstrip("/"), timeout=10) as http:
                    yield Page(http, bridge)
            finally:
                await server.stop()

    return serve

"""A local HTTP endpoint standing in for the app's callback URL: records ConnectWise deliveries."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web


@dataclass(frozen=True)
class Delivery:
    """One POST as the receiver got it: path with query, headers and the raw body."""

    path_qs: str
    headers: dict[str, str]
    body: bytes

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.body)  # type: ignore[no-any-return]


class Receiver:
    """Answers each delivery with the next scripted status (200 once the script is used up)."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []  # the POSTs
        self.hits: list[str] = []  # every request, as "METHOD path"
        self.script: list[int] = []
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def __aenter__(self) -> Receiver:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def url(self, path: str = "/cw/callbacks?workspace=T1&recordId=") -> str:
        """A callback URL on this receiver."""
        return f"http://127.0.0.1:{self.port}{path}"

    async def _receive(self, request: web.Request) -> web.Response:
        self.hits.append(f"{request.method} {request.path_qs}")
        if request.method != "POST":
            return web.Response(status=404)
        delivery = Delivery(request.path_qs, dict(request.headers), await request.read())
        status = self.script.pop(0) if self.script else 200
        async with self._changed:
            self.deliveries.append(delivery)
            self._changed.notify_all()
        return web.Response(status=status)

    async def wait_for(self, count: int, *, within: float = 10.0) -> list[Delivery]:
        """Block until `count` deliveries arrived (the deadline only catches a hang)."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.deliveries) >= count), within)
        return list(self.deliveries)

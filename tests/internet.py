"""The stand-in for the internet in tests of the pinned ConnectWise pool: a public address that a
scripted resolver hands out, routed to 127.0.0.1 where the local server listens."""

from __future__ import annotations

from collections.abc import Iterable

import httpcore

PUBLIC = "93.184.216.34"  # a public address (example.com's, long since): what a site's name resolves to


class Internet(httpcore.AsyncNetworkBackend):
    """httpcore's default backend (the one under the pin), with PUBLIC routed to 127.0.0.1; every
    address it is asked to connect to is recorded."""

    def __init__(self) -> None:
        self.inner = httpcore.AnyIOBackend()
        self.dialled: list[str] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.dialled.append(host)
        target = "127.0.0.1" if host == PUBLIC else host
        return await self.inner.connect_tcp(target, port, timeout, local_address, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)

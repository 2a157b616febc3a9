"""An httpx transport that rebuilds its connection pool when the pool has lost connections to cancellations.

httpcore 1.0 leaks a pool slot when a request is cancelled after the pool gave it a new connection but
before the request was written: the connection stays "NEW" (or "CONNECTING") for ever, is never
handed out again and never expires. A burst with cancellations (a `gather` cancelling siblings,
a timeout) can leak every slot, and from then on each request waits the pool timeout and fails.

This transport counts the requests it has in flight per pool. A pool holding more busy connections
than requests in flight, or timing out while it has fewer requests in flight than slots, has leaked:
new requests go to a fresh pool, and the old one is closed once its last request is done.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx

log = logging.getLogger(__name__)

TransportFactory = Callable[[], httpx.AsyncBaseTransport]


@dataclass
class _Pool:
    transport: httpx.AsyncBaseTransport
    in_flight: int = 0
    retired: bool = False


class HealingTransport(httpx.AsyncBaseTransport):
    """Delegates to a pool from `factory`; replaces it when it leaks (see the module docstring)."""

    def __init__(self, factory: TransportFactory, *, max_connections: int) -> None:
        self._factory = factory
        self._max = max_connections
        self._pool = _Pool(factory())
        self._closing: set[asyncio.Task[None]] = set()
        self.rebuilds = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send through the current pool, tracking the request until its response is closed."""
        pool = self._pool
        pool.in_flight += 1
        try:
            response = await pool.transport.handle_async_request(request)
        except httpx.PoolTimeout:
            self._finished(pool)
            # A pool times out legitimately only when more requests than slots want it.
            if pool.in_flight < self._max:
                self._replace(pool, "pool timeout with free slots")
            raise
        except BaseException:
            self._finished(pool)
            raise
        response.stream = _TrackedStream(response.stream, lambda: self._finished(pool))
        return response

    def _finished(self, pool: _Pool) -> None:
        pool.in_flight -= 1
        if pool.retired:
            if pool.in_flight == 0:
                self._close_later(pool)
            return
        if _busy_connections(pool.transport) > pool.in_flight:
            self._replace(pool, "connections held by cancelled requests")

    def _replace(self, pool: _Pool, why: str) -> None:
        if pool is not self._pool:
            return
        log.warning("HTTP pool rebuilt (%s)", why)
        self.rebuilds += 1
        pool.retired = True
        self._pool = _Pool(self._factory())
        if pool.in_flight == 0:
            self._close_later(pool)

    def _close_later(self, pool: _Pool) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(pool.transport.aclose())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def aclose(self) -> None:
        """Close the current pool and any retired one still open."""
        await self._pool.transport.aclose()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)


def _busy_connections(transport: httpx.AsyncBaseTransport) -> int:
    # httpx keeps its httpcore pool private; the pool's `connections` and each connection's
    # is_idle()/is_closed() are httpcore's public interface. Without them, only the timeout rule applies.
    pool: Any = getattr(transport, "_pool", None)
    connections = getattr(pool, "connections", None)
    if connections is None:
        return 0
    return sum(1 for c in connections if not c.is_idle() and not c.is_closed())


class _TrackedStream(httpx.AsyncByteStream):
    """A response body that reports when it is closed (the connection is back in the pool then)."""

    def __init__(
        self, stream: httpx.SyncByteStream | httpx.AsyncByteStream, done: Callable[[], None]
    ) -> None:
        self._stream = stream
        self._done: Callable[[], None] | None = done

    async def __aiter__(self) -> AsyncIterator[bytes]:
        assert isinstance(self._stream, httpx.AsyncByteStream)
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            assert isinstance(self._stream, httpx.AsyncByteStream)
            await self._stream.aclose()
        finally:
            done, self._done = self._done, None
            if done is not None:
                done()

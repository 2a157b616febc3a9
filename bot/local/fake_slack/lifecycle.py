"""Run an aiohttp application on 127.0.0.1 either in the caller's event loop or in its own thread."""

from __future__ import annotations

import asyncio
import threading
from typing import Self

from aiohttp import web


class LocalServer:
    """Base for local servers: `await start()`/`stop()` (async with) or `start_in_thread()` (with)."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._thread_loop: asyncio.AbstractEventLoop | None = None

    def _build_app(self) -> web.Application:
        raise NotImplementedError

    @property
    def port(self) -> int:
        """The bound port (known once started)."""
        return self._port

    async def start(self) -> None:
        """Start serving in the running event loop."""
        if self._runner is not None:
            raise RuntimeError(f"{type(self).__name__} is already running")
        runner = web.AppRunner(self._build_app(), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, self.host, self._port).start()
        self._port = int(runner.addresses[0][1])
        self._runner = runner

    async def stop(self) -> None:
        """Stop serving (safe to call twice)."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def start_in_thread(self, timeout: float = 10.0) -> None:
        """Start serving from a background thread with its own event loop."""
        if self._thread is not None:
            raise RuntimeError(f"{type(self).__name__} is already running in a thread")
        ready = threading.Event()
        failure: list[BaseException] = []
        loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.start())
            except BaseException as exc:  # handed to the caller below
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self.stop())
            loop.close()

        self._thread_loop = loop
        self._thread = threading.Thread(target=run, name=type(self).__name__, daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            raise TimeoutError(f"{type(self).__name__} did not start in time")
        if failure:
            self._thread = self._thread_loop = None
            raise failure[0]

    def stop_thread(self, timeout: float = 10.0) -> None:
        """Stop a server started with start_in_thread."""
        thread, loop = self._thread, self._thread_loop
        if thread is None or loop is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        self._thread = self._thread_loop = None

    def __enter__(self) -> Self:
        self.start_in_thread()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_thread()

    @property
    def url(self) -> str:
        """Root URL, e.g. `http://127.0.0.1:54321/`."""
        if self._runner is None:
            raise RuntimeError(f"{type(self).__name__} is not running")
        return f"http://{self.host}:{self._port}/"

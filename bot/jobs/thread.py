"""The embedded worker on an event loop of its own, in a thread of the `serve` process (SQLite installs).

With the worker's jobs on the web process's loop, every ack queued behind the jobs' coroutine steps
(issue 11: ack p99 14× bare Bolt at 20 req/s). Here the jobs run on a second loop in a thread, with
deps of their own (database engine, ConnectWise and Slack clients: all bound to their loop), so an
ack waits for a job only as long as the interpreter lets one thread run before switching
(EMBEDDED_SWITCH_INTERVAL_MS).
`submit` hands the item over with `call_soon_threadsafe` and returns: the ack never waits on the job
store or the job itself. A slash command queued behind many others is still told so in its own ack:
the web thread reads the worker's last count of waiting jobs, kept where both threads can read it.
Cache invalidations (a connection re-keyed, a mapping changed) are forwarded between the two deps, as
Postgres NOTIFY does between processes.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import aiohttp

from bot.jobs.queue import ACK_ROOM, AckRoom

if TYPE_CHECKING:
    from bot.deps import AppDeps
    from bot.flows.work import WorkItem
    from bot.settings import Settings

log = logging.getLogger(__name__)

START_TIMEOUT = 120.0


class WorkerThread:
    """Runs post-ack work for `parent` (the web deps) on its own loop; a `WorkQueue`."""

    def __init__(self, settings: Settings, parent: AppDeps, *, build: Callable[[Settings], AppDeps]) -> None:
        self._settings = settings
        self._parent = parent
        self._build = build
        self._loop: asyncio.AbstractEventLoop | None = None
        self._deps: AppDeps | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._failed: BaseException | None = None
        self._web_loop: asyncio.AbstractEventLoop | None = None
        # Each counter has one writer (ints are read and written whole across threads): items handed
        # over (web thread) and items stored (worker thread).
        self._handed = 0
        self._stored = 0

    @property
    def deps(self) -> AppDeps | None:
        """The worker's own deps (None until started)."""
        return self._deps

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and self._ready.is_set()

    async def start(self) -> None:
        """Start the thread and wait (off this loop) until its worker runs (idempotent)."""
        if self._thread is not None:
            return
        self._web_loop = asyncio.get_running_loop()
        # The web loop gets the interpreter back from a busy job after this long (process-wide).
        sys.setswitchinterval(self._settings.embedded_switch_interval_ms / 1000)
        self._thread = threading.Thread(target=self._main, name="jobs-embedded", daemon=True)
        self._thread.start()
        started = await asyncio.to_thread(self._ready.wait, START_TIMEOUT)
        if self._failed is not None:
            raise RuntimeError("the embedded worker did not start") from self._failed
        if not started:
            raise RuntimeError("the embedded worker did not start in time")

    def _main(self) -> None:
        try:
            import uvloop

            loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
        except ImportError:  # pragma: no cover - uvloop is a dependency; a plain loop works too
            loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # told to `start`, or logged when it was already running
            self._failed = exc
            if self._ready.is_set():
                log.exception("the embedded worker stopped")
        finally:
            self._ready.set()
            loop.close()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        deps = self._build(self._settings)
        session = aiohttp.ClientSession()
        deps.slack.base.session = session
        try:
            self._link_caches(deps)
            if deps.changes is not None:
                await deps.changes.start()
            assert deps.jobs is not None
            await deps.jobs.start()  # the worker runs as a task of this loop
            self._deps = deps
            self._ready.set()
            log.info("embedded worker started in thread %s", threading.current_thread().name)
            await self._stop.wait()
        finally:
            await deps.aclose()
            deps.slack.base.session = None
            await session.close()

    def _link_caches(self, deps: AppDeps) -> None:
        # Each side's change feed sees only its own engine's writes: tell the other side's caches.
        web, worker_loop = self._parent, asyncio.get_running_loop()
        web_loop = self._web_loop
        if web.changes is not None:
            web.changes.subscribe(_forward(worker_loop, deps.workspaces.changed))
        if deps.changes is not None and web_loop is not None:
            deps.changes.subscribe(_forward(web_loop, web.workspaces.changed))

    # -- WorkQueue ----------------------------------------------------------------------------

    async def submit(self, item: WorkItem) -> None:
        """Hand the item to the worker's loop and return at once.

        A slash command's ack (ACK_ROOM) says so when the item queues behind many others; the worker
        then posts no notice of its own for it."""
        loop, deps = self._loop, self._deps
        if loop is None or deps is None or deps.jobs is None:
            raise RuntimeError("the embedded worker is not running")
        store = deps.jobs.engine.embedded_store
        assert store is not None
        # A job just stored may be counted twice for a moment (an ahead of one too many): it is a notice.
        ahead = store.waiting_seen + self.in_transit
        self._handed += 1
        room = ACK_ROOM.get()
        if room is not None and ahead >= deps.jobs.config.busy_backlog:
            room.ahead = ahead
        future = asyncio.run_coroutine_threadsafe(self._store(deps, item, in_ack=room is not None), loop)
        future.add_done_callback(_log_failure)

    async def _store(self, deps: AppDeps, item: WorkItem, *, in_ack: bool) -> None:
        # On the worker's loop. The web thread's context came along: give the queue a room of its own
        # (a command's ack has already been sent, with or without the notice).
        token = ACK_ROOM.set(AckRoom() if in_ack else None)
        try:
            await deps.work.submit(item)
        finally:
            ACK_ROOM.reset(token)
            self._stored += 1

    async def drain(self, within: float) -> None:
        """Wait until the worker has finished what was handed over (and what that started)."""
        loop, deps = self._loop, self._deps
        if loop is None or deps is None or not self.running:
            return
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(_drain(deps, within), loop))

    async def pending(self) -> int:
        """Jobs waiting or running, and the worker's background tasks (health checks)."""
        loop, deps = self._loop, self._deps
        if loop is None or deps is None or not self.running:
            return 0
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(_pending(deps), loop))

    @property
    def in_transit(self) -> int:
        """Items handed over whose job is not stored yet."""
        return self._handed - self._stored

    async def waiting(self) -> int:
        """Work jobs waiting to start, counted on the worker's loop."""
        loop, deps = self._loop, self._deps
        if loop is None or deps is None or deps.jobs is None or not self.running:
            return 0
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(deps.jobs.queue.waiting(), loop))

    async def aclose(self) -> None:
        """Let the worker finish (its deps drain and close on its own loop), then join the thread."""
        loop, stop, thread = self._loop, self._stop, self._thread
        if loop is not None and stop is not None and thread is not None and thread.is_alive():
            loop.call_soon_threadsafe(stop.set)
            await asyncio.to_thread(thread.join)


def _forward(loop: asyncio.AbstractEventLoop, to: Callable[[str, str], None]) -> Callable[[str, str], None]:
    def forward(table: str, team_id: str) -> None:
        loop.call_soon_threadsafe(to, table, team_id)

    return forward


async def _drain(deps: AppDeps, within: float) -> None:
    await deps.work.drain(within)
    await deps.tasks.drain(within)


async def _pending(deps: AppDeps) -> int:
    pending = deps.tasks.pending
    if deps.jobs is not None and deps.jobs.started:
        pending += await deps.jobs.queue.pending()
    return pending


def _log_failure(future: concurrent.futures.Future[Any]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("could not hand work to the embedded worker", exc_info=future.exception())

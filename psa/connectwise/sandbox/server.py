"""`SandboxServer`: the sandbox running on its own event loop in a background thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web

from .app import API_ROOT, SandboxState, create_app
from .attribution import KeyPair
from .batches import Batches
from .faults import Fault, RequestRecord, rounds
from .store import SandboxStore, load_seed


class SandboxServer:
    """A local ConnectWise Manage API on 127.0.0.1, controllable from tests."""

    def __init__(
        self,
        seed: Path | str | Mapping[str, Any] | None = None,
        *,
        latency_ms: int = 0,
        company_id: str = "sandbox",
        public_key: str = "sandbox",
        private_key: str = "sandbox",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.state = SandboxState(
            store=SandboxStore(load_seed(seed)),
            company_id=company_id,
            public_key=public_key,
            private_key=private_key,
            latency_ms=latency_ms,
        )
        self.host = host
        self.port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    # ------------------------------------------------------------ lifecycle

    def start(self) -> SandboxServer:
        """Start serving in a background thread; returns once the socket is listening."""
        if self._thread is not None:
            return self
        self._ready.clear()
        self._thread = threading.Thread(target=self._run, name="cw-sandbox", daemon=True)
        self._thread.start()
        self._ready.wait(timeout=30)
        if self._error is not None:
            self._thread.join(timeout=5)
            self._thread = None
            raise RuntimeError(f"sandbox failed to start: {self._error}") from self._error
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported to start()
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()

    async def _serve(self) -> None:
        runner = web.AppRunner(create_app(self.state), access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, backlog=1024, reuse_address=True)
        await site.start()
        self._runner = runner
        # port 0 asks the OS for a free port; read back the one we got.
        sockets = getattr(site._server, "sockets", None) or []
        if sockets:
            self.port = sockets[0].getsockname()[1]

    def stop(self) -> None:
        """Stop serving and join the thread."""
        loop, thread, runner = self._loop, self._thread, self._runner
        if loop is None or thread is None:
            return
        if runner is not None:
            asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        self._loop = self._thread = self._runner = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # ------------------------------------------------------------ connection facts

    @property
    def root_url(self) -> str:
        """`http://host:port` (no API path)."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The API root our client takes as `CW_BASE_URL`."""
        return self.root_url + API_ROOT

    @property
    def company_id(self) -> str:
        """Company id expected in the Basic credentials."""
        return self.state.company_id

    @property
    def public_key(self) -> str:
        """Public API key expected."""
        return self.state.public_key

    @property
    def private_key(self) -> str:
        """Private API key expected."""
        return self.state.private_key

    # ------------------------------------------------------------ controls

    def reset(self) -> None:
        """Restore the seed data and the start latency; clear faults and the request log; stop holding."""
        self._release()
        self.state.reset()

    @contextmanager
    def holding(self, method: str | None = None, path: str | None = None) -> Iterator[None]:
        """Hold every API request (or only `method` requests to `path`, API-relative) unanswered until the
        block ends (ConnectWise hangs), then go on."""
        self.state.hold_only = (method, path)
        self.state.hold = asyncio.Event()
        try:
            yield
        finally:
            self._release()

    @contextmanager
    def answering_together(self, *sizes: int, within: float = 10.0) -> Iterator[Batches]:
        """Answer API requests in batches: none of the first `sizes[0]` before all of them have arrived,
        then the same for the next `sizes[1]`, and so on; afterwards, as usual.

        Requests a client sends together then overlap in the request log whatever the machine's load,
        so `rounds()` counts them as one round by causality, not timing. A batch that does not fill
        within `within` seconds (the client sent its requests one after another) is let go; every batch
        not full is listed by `Batches.short()`.
        """
        batches = Batches(sizes, within=within)
        self.state.batches = batches
        try:
            yield batches
        finally:
            self._release()

    def _release(self) -> None:
        hold, self.state.hold = self.state.hold, None
        batches, self.state.batches = self.state.batches, None
        if self._loop is not None:  # asyncio.Event is not thread-safe: set on the sandbox's loop
            if hold is not None:
                self._loop.call_soon_threadsafe(hold.set)
            if batches is not None:
                self._loop.call_soon_threadsafe(batches.release)

    def in_flight(self, method: str | None = None, path: str | None = None) -> int:
        """How many `method` requests to `path` (API-relative, e.g. /service/tickets) are unanswered
        (any method, any path when left out)."""
        return sum(
            1
            for m, p in list(self.state.in_flight)
            if (method is None or m == method) and (path is None or p == path)
        )

    def set_latency(self, ms: int) -> None:
        """Delay every API response by `ms` (concurrent requests are delayed in parallel)."""
        self.state.latency_ms = max(0, int(ms))

    def inject_fault(
        self,
        *,
        method: str = "*",
        path_pattern: str = ".*",
        status: int | None = 500,
        count: int | None = 1,
        retry_after: int | None = None,
        body: Any = None,
        delay_ms: int = 0,
        drop_connection: bool = False,
    ) -> Fault:
        """Make the next `count` matching requests fail (status None: only `delay_ms` slowness)."""
        fault = Fault(
            method=method,
            path_pattern=path_pattern,
            status=status,
            count=count,
            retry_after=retry_after,
            body=body,
            delay_ms=delay_ms,
            drop_connection=drop_connection,
        )
        self.state.faults.add(fault)
        return fault

    def mint_member_keys(self, identifier: str) -> KeyPair:
        """A new API key pair belonging to an active seeded member (their My Account → API Keys)."""
        with self.state.store.lock:
            member = self.state.store.find_member(identifier)
        if member is None or member.get("inactiveFlag"):
            raise KeyError(f"no active member {identifier!r}")
        return self.state.keys.mint(member["id"])

    def revoke_member_keys(self, public_key: str) -> bool:
        """Delete a minted key pair (True when it existed)."""
        return self.state.keys.revoke(public_key)

    def forget_fields(self, resource: str, *paths: str) -> None:
        """Answer conditions/orderBy on these paths of `resource` (e.g. "tickets") as unknown fields."""
        self.state.store.quirks.forget(resource, *paths)

    def refuse_owner_remove(self, refuse: bool = True) -> None:
        """Refuse a PATCH that removes a ticket's owner (ConnectWise's InvalidObject answer)."""
        self.state.store.quirks.refuse_owner_remove = refuse

    def clear_faults(self) -> None:
        """Disarm every pending fault."""
        self.state.faults.clear()

    @property
    def requests(self) -> list[RequestRecord]:
        """Every answered request so far (oldest first)."""
        return self.state.log.snapshot()

    def request_count(self, method: str | None = None, path_contains: str | None = None) -> int:
        """How many requests matched the method and the path substring."""
        return self.state.log.count(method, path_contains)

    def rounds(self, records: Iterable[RequestRecord] | None = None) -> int:
        """Sequential rounds (critical path) of `records`, by default of every logged request."""
        return rounds(self.requests if records is None else records)

    def clear_requests(self) -> None:
        """Forget the request log."""
        self.state.log.clear()

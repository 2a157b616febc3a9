"""The app's ConnectWise HTTP timeout, switchable while the app runs (tests of a ConnectWise that stops
answering).

A test sets its scene with ConnectWise healthy under a generous timeout: on a loaded machine a healthy
sandbox can take longer than a short one, and the test would then be about the machine. Only the steps
about a ConnectWise that stopped answering run under `short()`, where the sandbox holds its answers
(`sandbox.holding()`) or delays them far past it: those time out whatever the load.
"""

from __future__ import annotations

import ssl
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from scenario_harness import test_factories as provider_factories

from bot.deps import AppDeps
from bot.parsers import ParserRegistry
from bot.workspaces import WorkspaceRegistry

GENEROUS_S = 30.0
CONNECT_S = 5.0


class PsaTimeouts:
    """Hands the app ConnectWise clients whose read timeout `short()` lowers to `short_s` for a while."""

    def __init__(self, tls: ssl.SSLContext, short_s: float) -> None:
        self._tls = tls
        self._short_s = short_s
        self._seconds = GENEROUS_S
        self._clients: weakref.WeakSet[httpx.AsyncClient] = weakref.WeakSet()

    def install(self, deps: AppDeps) -> None:
        """Build the app's workspace registry (and parsers) on clients from here."""
        deps.workspaces = WorkspaceRegistry(
            deps.storage, factories=provider_factories(self._tls), http_factory=self._http
        )
        deps.parsers = ParserRegistry(deps.workspaces)

    @contextmanager
    def short(self) -> Iterator[None]:
        """Within the block every client, those built meanwhile too, gives up after `short_s`."""
        self._apply(self._short_s)
        try:
            yield
        finally:
            self._apply(GENEROUS_S)

    def _timeout(self) -> httpx.Timeout:
        return httpx.Timeout(self._seconds, connect=CONNECT_S)

    def _http(self) -> httpx.AsyncClient:
        client = httpx.AsyncClient(timeout=self._timeout(), verify=self._tls)
        self._clients.add(client)
        return client

    def _apply(self, seconds: float) -> None:
        self._seconds = seconds
        for client in self._clients:
            client.timeout = self._timeout()

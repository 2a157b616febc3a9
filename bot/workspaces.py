"""`WorkspaceRegistry`: Slack team id → the `TicketService` of that workspace's PSA connection."""

from __future__ import annotations

import asyncio
import functools
import logging
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
from cachetools import TTLCache
from pydantic import BaseModel, SecretStr, ValidationError

from bot.changes import EVERYTHING
from bot.mapping_cache import CachedMappings
from psa.base import ProviderInfo, PSAProvider
from psa.connectwise import ConnectWiseCredentials, ConnectWiseProvider, RetryPolicy
from psa.connectwise.client import DEFAULT_TIMEOUT
from psa.errors import PSAAuthenticationError, PSAError, PSANotFoundError, PSAPermissionError
from psa.ratelimit import SiteLimiter, site_of
from psa.service import TicketService
from psa.transport import HealingTransport
from storage import ConnectionCredentials, ConnectionInfo, Storage

log = logging.getLogger(__name__)

HttpFactory = Callable[[], httpx.AsyncClient]


class ProviderFactory(Protocol):
    """Builds a provider for stored credentials; `probe` = a one-off credentials test (no retries)."""

    def __call__(
        self, credentials: ConnectionCredentials, http: httpx.AsyncClient, *, probe: bool = False
    ) -> PSAProvider: ...


def connectwise_factory(
    credentials: ConnectionCredentials, http: httpx.AsyncClient, *, probe: bool = False
) -> PSAProvider:
    """A ConnectWise provider over a pooled client the registry owns."""
    if credentials.private_key is None:
        raise ValueError("a ConnectWise connection needs its private key")
    return ConnectWiseProvider(
        ConnectWiseCredentials(
            base_url=credentials.base_url,
            company_id=credentials.company_id,
            public_key=credentials.public_key,
            private_key=credentials.private_key,
            client_id=credentials.client_id,
        ),
        http=http,
        # A credentials test answers a person waiting on a modal: fail fast rather than retry.
        retry=RetryPolicy(max_retries=0) if probe else None,
    )


DEFAULT_FACTORIES: Mapping[str, ProviderFactory] = {"connectwise": connectwise_factory}


# Connections per workspace's ConnectWise pool; bot/jobs/config.py sizes per-workspace concurrency by it.
HTTP_POOL = 20
HTTP_KEEPALIVE = 10
# Workspaces whose service (HTTP pool + reference data) stays built; the least recently used beyond
# this are closed, and an entry is rebuilt at least this often (new pool, fresh credentials).
MAX_WORKSPACES = 128
ENTRY_TTL = 900.0
# How long a replaced service stays open for work that already holds it.
RETIRE_GRACE = 30.0


@functools.cache
def _tls() -> ssl.SSLContext:
    # Building a context loads the CA bundle (tens of ms): once per process, shared by every pool.
    return ssl.create_default_context()


def default_http(verify: ssl.SSLContext | None = None) -> httpx.AsyncClient:
    """One pooled HTTP client per PSA connection; the pool is rebuilt if cancellations leak its slots."""
    tls = verify or _tls()

    def pool() -> httpx.AsyncBaseTransport:
        limits = httpx.Limits(max_connections=HTTP_POOL, max_keepalive_connections=HTTP_KEEPALIVE)
        return httpx.AsyncHTTPTransport(verify=tls, limits=limits)

    return httpx.AsyncClient(
        timeout=DEFAULT_TIMEOUT, transport=HealingTransport(pool, max_connections=HTTP_POOL)
    )


class ConnectFailed(Exception):
    """The credentials were not saved; `fields` maps credential field names to what is wrong."""

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class ConnectionSummary(BaseModel):
    """What the app may show about a workspace's connection (never the private key)."""

    provider_kind: str
    base_url: str
    company_id: str
    source: str  # "stored" (from /tickets connect) or "environment" (CW_* settings)


@dataclass
class _Entry:
    service: TicketService
    http: httpx.AsyncClient
    summary: ConnectionSummary
    mappings: CachedMappings


class _Entries(TTLCache[str, _Entry]):
    """Bounded (LRU) and aged (TTL) entries; whatever leaves is handed to `on_evict`."""

    def __init__(self, maxsize: int, ttl: float, on_evict: Callable[[_Entry], None]) -> None:
        super().__init__(maxsize=maxsize, ttl=ttl)
        self._on_evict = on_evict

    def popitem(self) -> tuple[str, _Entry]:
        key, entry = super().popitem()
        self._on_evict(entry)
        return key, entry

    def expire(self, time: Any = None) -> list[tuple[str, _Entry]]:
        expired = list(super().expire(time))
        for _key, entry in expired:
            self._on_evict(entry)
        return expired


class WorkspaceRegistry:
    """Builds, caches and invalidates one `TicketService` (and one HTTP pool) per Slack workspace."""

    def __init__(
        self,
        storage: Storage,
        *,
        env_credentials: ConnectionCredentials | None = None,
        factories: Mapping[str, ProviderFactory] = DEFAULT_FACTORIES,
        http_factory: HttpFactory = default_http,
        cache_ttl: float = 300.0,
        max_workspaces: int = MAX_WORKSPACES,
        entry_ttl: float = ENTRY_TTL,
        limiter: SiteLimiter | None = None,
    ) -> None:
        self._storage = storage
        self._env = env_credentials
        self._factories = dict(factories)
        self._http_factory = http_factory
        self._cache_ttl = cache_ttl
        self._entries = _Entries(max_workspaces, entry_ttl, self._retire)
        self._locks: dict[str, asyncio.Lock] = {}
        self._retiring: set[asyncio.Task[None]] = set()
        self._limiter = limiter

    async def service(self, team_id: str) -> TicketService | None:
        """The workspace's ticket service, or None when no PSA is connected."""
        entry = self._entries.get(team_id)
        if entry is not None:
            return entry.service
        lock = self._locks.setdefault(team_id, asyncio.Lock())
        try:
            async with lock:
                entry = self._entries.get(team_id)
                if entry is None:
                    entry = await self._build(team_id)
                    if entry is None:
                        return None
                    self._entries[team_id] = entry
        finally:
            if not lock.locked():
                self._locks.pop(team_id, None)  # one lock per workspace being built, not per workspace ever
        return entry.service

    async def summary(self, team_id: str) -> ConnectionSummary | None:
        """Where the workspace's PSA lives (None when not connected)."""
        if await self.service(team_id) is None:
            return None
        entry = self._entries.get(team_id)
        return entry.summary if entry else None

    async def _credentials(self, team_id: str) -> tuple[ConnectionCredentials, str] | None:
        # CW_* settings (single-workspace installs only) win over a stored connection: the operator
        # who set them decides, and the connect modal says so.
        if self._env is not None:
            return self._env, "environment"
        stored = await self._storage.workspace(team_id).connection()
        if stored is not None:
            creds = ConnectionCredentials(
                provider_kind=stored.provider_kind,
                base_url=stored.base_url,
                company_id=stored.company_id,
                public_key=stored.public_key,
                client_id=stored.client_id,
                private_key=stored.private_key,
            )
            return creds, "stored"
        return None

    async def _build(self, team_id: str) -> _Entry | None:
        found = await self._credentials(team_id)
        if found is None:
            return None
        creds, source = found
        factory = self._factories.get(creds.provider_kind)
        if factory is None:
            log.error("team %s: no provider for kind %r", team_id, creds.provider_kind)
            return None
        http = self._http_factory()
        if self._limiter is not None:
            self._limiter.attach(http, site_of(creds.base_url, creds.company_id))
        provider = factory(creds, http)
        mappings = CachedMappings(self._storage.mapping_lookup(team_id), ttl=self._cache_ttl)
        service = TicketService(provider, mappings, cache_ttl=self._cache_ttl)
        summary = ConnectionSummary(
            provider_kind=creds.provider_kind,
            base_url=creds.base_url,
            company_id=creds.company_id,
            source=source,
        )
        return _Entry(service=service, http=http, summary=summary, mappings=mappings)

    async def invalidate(self, team_id: str) -> None:
        """Drop the cached service of a workspace (its connection changed); its pool closes after a grace."""
        entry = self._entries.pop(team_id, None)
        if entry is not None:
            self._retire(entry)

    def changed(self, table: str, team_id: str) -> None:
        """A stored connection or mapping changed (bot/changes.py, any process): forget what depends on it."""
        teams = list(self._entries.keys()) if team_id == EVERYTHING else [team_id]
        for team in teams:
            if table == "member_mappings":
                entry = self._entries.get(team)
                if entry is not None:
                    entry.mappings.clear()
            else:
                entry = self._entries.pop(team, None)
                if entry is not None:
                    self._retire(entry)

    def _retire(self, entry: _Entry) -> None:
        # Work that already holds this service finishes on it; the pool closes after a grace period.
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(_close_after(entry, RETIRE_GRACE))
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    async def test(self, credentials: ConnectionCredentials) -> ProviderInfo:
        """One real authenticated call with these credentials; raises ConnectFailed when they do not work."""
        factory = self._factories.get(credentials.provider_kind)
        if factory is None:
            raise ConnectFailed(f"Unknown PSA kind {credentials.provider_kind!r}.")
        http = self._http_factory()
        try:
            provider = factory(credentials, http, probe=True)
            try:
                return await provider.test_connection()
            finally:
                await provider.aclose()
        except PSAAuthenticationError as exc:
            raise ConnectFailed(
                "ConnectWise refused these keys.",
                {"public_key": "Check the public key.", "private_key": "Check the private key."},
            ) from exc
        except PSAPermissionError as exc:
            raise ConnectFailed(
                "The API member lacks a security role.", {"public_key": "This API member lacks permissions."}
            ) from exc
        except PSANotFoundError as exc:
            raise ConnectFailed(
                "No ConnectWise API at that address.", {"base_url": "Check the site URL."}
            ) from exc
        except PSAError as exc:
            raise ConnectFailed(
                f"Couldn't reach ConnectWise: {exc.message}", {"base_url": "Couldn't reach this site."}
            ) from exc
        except (ValueError, ValidationError, httpx.InvalidURL) as exc:
            raise ConnectFailed("The site URL is not valid.", {"base_url": "Enter an https:// URL."}) from exc
        finally:
            await http.aclose()

    async def connect(self, team_id: str, user_id: str, credentials: ConnectionCredentials) -> ConnectionInfo:
        """Test the credentials with a real call, then save them (encrypted) and rebuild the service.

        Raises ConnectFailed (nothing saved) when the test call fails.
        """
        await self.test(credentials)
        info = await self._storage.workspace(team_id).save_connection(credentials, connected_by=user_id)
        await self.invalidate(team_id)
        return info

    async def disconnect(self, team_id: str) -> bool:
        """Forget the stored connection of a workspace."""
        removed = await self._storage.workspace(team_id).delete_connection()
        await self.invalidate(team_id)
        return removed

    async def aclose(self) -> None:
        """Close every provider and HTTP pool (retired ones too, without waiting out their grace)."""
        entries = list(self._entries.values())
        self._entries.clear()
        for task in list(self._retiring):
            task.cancel()
        await asyncio.gather(*self._retiring, return_exceptions=True)
        for entry in entries:
            await _close(entry)
        if self._limiter is not None:
            self._limiter.close()


async def _close(entry: _Entry) -> None:
    try:
        await entry.service.aclose()
    finally:
        await entry.http.aclose()


async def _close_after(entry: _Entry, grace: float) -> None:
    try:
        await asyncio.sleep(grace)
    finally:
        await _close(entry)


def env_credentials(
    base_url: str | None,
    company_id: str | None,
    public_key: str | None,
    private_key: SecretStr | None,
    client_id: str | None,
) -> ConnectionCredentials | None:
    """ConnectWise credentials from the CW_* settings, when all five are set."""
    if not (base_url and company_id and public_key and private_key and client_id):
        return None
    return ConnectionCredentials(
        provider_kind="connectwise",
        base_url=base_url,
        company_id=company_id,
        public_key=public_key,
        private_key=private_key,
        client_id=client_id,
    )

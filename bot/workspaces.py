"""`WorkspaceRegistry`: Slack team id → the `TicketService` of that workspace's PSA connection."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from psa.base import ProviderInfo, PSAProvider
from psa.connectwise import ConnectWiseCredentials, ConnectWiseProvider, RetryPolicy
from psa.connectwise.client import DEFAULT_TIMEOUT
from psa.errors import PSAAuthenticationError, PSAError, PSANotFoundError, PSAPermissionError
from psa.service import TicketService
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


def default_http() -> httpx.AsyncClient:
    """One pooled HTTP client per PSA connection."""
    return httpx.AsyncClient(
        timeout=DEFAULT_TIMEOUT, limits=httpx.Limits(max_connections=20, max_keepalive_connections=10)
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
    ) -> None:
        self._storage = storage
        self._env = env_credentials
        self._factories = dict(factories)
        self._http_factory = http_factory
        self._cache_ttl = cache_ttl
        self._entries: dict[str, _Entry] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def service(self, team_id: str) -> TicketService | None:
        """The workspace's ticket service, or None when no PSA is connected."""
        entry = self._entries.get(team_id)
        if entry is not None:
            return entry.service
        lock = self._locks.setdefault(team_id, asyncio.Lock())
        async with lock:
            entry = self._entries.get(team_id)
            if entry is None:
                entry = await self._build(team_id)
                if entry is None:
                    return None
                self._entries[team_id] = entry
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
        provider = factory(creds, http)
        service = TicketService(provider, self._storage.mapping_lookup(team_id), cache_ttl=self._cache_ttl)
        summary = ConnectionSummary(
            provider_kind=creds.provider_kind,
            base_url=creds.base_url,
            company_id=creds.company_id,
            source=source,
        )
        return _Entry(service=service, http=http, summary=summary)

    async def invalidate(self, team_id: str) -> None:
        """Drop the cached service of a workspace (its connection changed) and close its HTTP pool."""
        entry = self._entries.pop(team_id, None)
        if entry is not None:
            await _close(entry)

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
        """Close every provider and HTTP pool."""
        entries, self._entries = list(self._entries.values()), {}
        for entry in entries:
            await _close(entry)


async def _close(entry: _Entry) -> None:
    try:
        await entry.service.aclose()
    finally:
        await entry.http.aclose()


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

"""`WorkspaceRegistry`: Slack team id → the `TicketService` of that workspace's PSA connection, and
Slack user → the `Writer` that makes their changes (with their own PSA keys when they stored some).

Building providers, their HTTP pool and retry policy, and the wording of a vendor's refusals live in
`psa.registry` and the vendor's package; this module only maps Slack teams and users onto them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import httpx
from cachetools import TTLCache
from pydantic import BaseModel, SecretStr

from bot.changes import EVERYTHING
from bot.mapping_cache import CachedMappings, PeopleCache
from psa.base import ProviderInfo
from psa.connectwise.factory import HTTP_POOL, pooled_http
from psa.connectwise.site import Resolver, SitePolicy, SiteUrlError, check_site, loop_resolver
from psa.models import ActingMember, Member
from psa.ratelimit import SiteLimiter, site_of
from psa.registry import ConnectFailed, ProviderRegistry, PSACredentials, PSAKind, default_registry
from psa.service import TicketService
from storage import ConnectionCredentials, ConnectionInfo, EngineerKeysInfo, Storage, StoredKeyUnusable

log = logging.getLogger(__name__)

HttpFactory = Callable[[], httpx.AsyncClient]
default_http = pooled_http  # the ConnectWise pool (kept under this name for callers and tests)

# Workspaces whose service (HTTP pool + reference data) stays built; the least recently used beyond
# this are closed, and an entry is rebuilt at least this often (new pool, fresh credentials).
MAX_WORKSPACES = 128
ENTRY_TTL = 900.0
# How long a replaced service stays open for work that already holds it.
RETIRE_GRACE = 30.0
# Engineers whose own-keys provider stays built, and how long their stored keys are trusted without
# re-reading them (a change in any process is announced at once through bot/changes.py).
MAX_WRITERS = 4096
MEMBER_KEYS_TTL = 300.0

__all__ = [
    "HTTP_POOL",
    "ConnectFailed",
    "ConnectionSummary",
    "HttpFactory",
    "KeysState",
    "WorkspaceRegistry",
    "Writer",
    "default_http",
    "env_credentials",
]


class ConnectionSummary(BaseModel):
    """What the app may show about a workspace's connection (never the private key)."""

    provider_kind: str
    display_name: str = "PSA"  # the vendor's name, from the provider registry
    base_url: str
    company_id: str
    source: str  # "stored" (from /tickets connect) or "environment" (CW_* settings)


class KeysState(StrEnum):
    """Whether a user's own PSA keys are used for their writes."""

    NONE = "none"  # none stored: the workspace's key, naming the member where the PSA allows
    IN_USE = "in_use"  # stored and valid for this site: every write goes out with them
    INVALID = "invalid"  # stored for another site or member: not sent; the user must enter them again


@dataclass(frozen=True)
class Writer:
    """How one user's changes reach the PSA: the service to call and the acting member to pass it."""

    service: TicketService
    acting: ActingMember
    keys: KeysState


@dataclass
class _Entry:
    team_id: str
    service: TicketService
    http: httpx.AsyncClient
    summary: ConnectionSummary
    mappings: CachedMappings
    credentials: PSACredentials
    kind: PSAKind


@dataclass
class _MemberWriter:
    info: EngineerKeysInfo | None
    service: TicketService | None  # over the user's own keys; None when they have none usable


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
        factories: ProviderRegistry | None = None,
        http_factory: HttpFactory | None = None,
        cache_ttl: float = 300.0,
        max_workspaces: int = MAX_WORKSPACES,
        entry_ttl: float = ENTRY_TTL,
        limiter: SiteLimiter | None = None,
        site_policy: SitePolicy | None = None,
        resolve: Resolver = loop_resolver,
    ) -> None:
        self._storage = storage
        self._env = env_credentials
        self.providers = factories or default_registry()
        self._http_factory = http_factory
        self._cache_ttl = cache_ttl
        self._entries = _Entries(max_workspaces, entry_ttl, self._retire)
        self._locks: dict[str, asyncio.Lock] = {}
        self._retiring: set[asyncio.Task[None]] = set()
        self._limiter = limiter
        self.site_policy = site_policy or SitePolicy()
        self.resolve = resolve  # host name → addresses, for the site policy (tests pass their own)
        self._writers: TTLCache[tuple[str, str], _MemberWriter] = TTLCache(MAX_WRITERS, MEMBER_KEYS_TTL)
        # Access settings and mappings per user, kept only where `changed` hears of every change.
        self.people: PeopleCache | None = None

    def _http(self, kind: PSAKind) -> httpx.AsyncClient:
        if self._http_factory is not None:
            return self._http_factory()
        return kind.http(site=self.site_policy, resolve=self.resolve)  # keys only to allowed addresses

    async def service(self, team_id: str) -> TicketService | None:
        """The workspace's ticket service, or None when no PSA is connected."""
        entry = await self._entry(team_id)
        return entry.service if entry is not None else None

    async def summary(self, team_id: str) -> ConnectionSummary | None:
        """Where the workspace's PSA lives (None when not connected)."""
        entry = await self._entry(team_id)
        return entry.summary if entry is not None else None

    async def _entry(self, team_id: str) -> _Entry | None:
        entry = self._entries.get(team_id)
        if entry is not None:
            return entry
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
        return entry

    async def _credentials(self, team_id: str) -> tuple[ConnectionCredentials, str] | None:
        # CW_* settings (single-workspace installs only) win over a stored connection: the operator
        # who set them decides, and the connect modal says so.
        if self._env is not None:
            return self._env, "environment"
        try:
            stored = await self._storage.workspace(team_id).connection()
        except StoredKeyUnusable as exc:
            log.error("team %s: the stored PSA key can't be used, an admin must reconnect: %s", team_id, exc)
            raise
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
        stored, source = found
        kind = self.providers.get(stored.provider_kind)
        if kind is None or stored.private_key is None:
            log.error("team %s: no provider for kind %r", team_id, stored.provider_kind)
            return None
        creds = _psa_credentials(stored)
        http = self._http(kind)
        if self._limiter is not None:
            self._limiter.attach(http, site_of(creds.base_url, creds.company_id))
        mappings = CachedMappings(self._storage.mapping_lookup(team_id), ttl=self._cache_ttl)
        service = TicketService(kind.provider(creds, http), mappings, cache_ttl=self._cache_ttl)
        summary = ConnectionSummary(
            provider_kind=kind.kind,
            display_name=kind.display_name,
            base_url=creds.base_url,
            company_id=creds.company_id,
            source=source,
        )
        return _Entry(
            team_id=team_id,
            service=service,
            http=http,
            summary=summary,
            mappings=mappings,
            credentials=creds,
            kind=kind,
        )

    async def invalidate(self, team_id: str) -> None:
        """Drop the cached service of a workspace (its connection changed); its pool closes after a grace."""
        entry = self._entries.pop(team_id, None)
        if entry is not None:
            self._retire(entry)
        self._forget_writers(team_id)

    def changed(self, table: str, team_id: str) -> None:
        """A stored connection, mapping or engineer's keys changed (bot/changes.py, any process): forget
        what depends on it."""
        if self.people is not None:
            self.people.changed(table, team_id)
        if table == "access_settings":
            return
        teams = list(self._entries.keys()) if team_id == EVERYTHING else [team_id]
        if team_id == EVERYTHING:
            self._writers.clear()
        for team in teams:
            if table == "member_mappings":
                entry = self._entries.get(team)
                if entry is not None:
                    entry.mappings.clear()
                self._forget_writers(team)
            elif table == "engineer_keys":
                self._forget_writers(team)
            else:
                entry = self._entries.pop(team, None)
                if entry is not None:
                    self._retire(entry)

    def _forget_writers(self, team_id: str) -> None:
        for key in [k for k in list(self._writers.keys()) if k[0] == team_id]:
            self._writers.pop(key, None)

    def _retire(self, entry: _Entry) -> None:
        # Own-keys providers share the entry's pool: they go with it.
        self._forget_writers(entry.team_id)
        # Work that already holds this service finishes on it; the pool closes after a grace period.
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(_close_after(entry, RETIRE_GRACE))
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    async def check_site(self, base_url: str) -> None:
        """Refuse (SiteUrlError) an API root the site policy does not let a key be sent to."""
        await check_site(base_url, self.site_policy, resolve=self.resolve)

    async def test(self, credentials: ConnectionCredentials) -> ProviderInfo:
        """One real authenticated call with these credentials; raises ConnectFailed when they do not work."""
        kind = self.providers.get(credentials.provider_kind)
        if kind is None:
            raise ConnectFailed(f"Unknown PSA kind {credentials.provider_kind!r}.")
        try:
            await self.check_site(credentials.base_url)
        except SiteUrlError as exc:
            raise ConnectFailed(str(exc), {"base_url": "Change the site URL."}) from exc
        if credentials.private_key is None:
            raise ConnectFailed("Enter the private key.", {"private_key": "Enter the private key."})
        http = self._http(kind)
        try:
            return await self.providers.test(_psa_credentials(credentials), http)
        finally:
            await http.aclose()

    async def probe_site(self, credentials: ConnectionCredentials) -> str | None:
        """What the site supports of the app's queries and permissions, as text (None: not available)."""
        if credentials.private_key is None:
            return None
        return await self.providers.site_report(_psa_credentials(credentials))

    async def connect(self, team_id: str, user_id: str, credentials: ConnectionCredentials) -> ConnectionInfo:
        """Test the credentials with a real call, then save them (encrypted) and rebuild the service.

        Raises ConnectFailed (nothing saved) when the test call fails.
        """
        await self.test(credentials)
        info = await self._storage.workspace(team_id).save_connection(credentials, connected_by=user_id)
        await self.invalidate(team_id)
        return info

    async def disconnect(self, team_id: str, user_id: str | None = None) -> bool:
        """Forget the stored connection of a workspace (and its cached service, in every process)."""
        removed = await self._storage.workspace(team_id).delete_connection(disconnected_by=user_id)
        await self.invalidate(team_id)
        return removed

    # -- writes as an engineer ----------------------------------------------------------------

    async def writer(self, team_id: str, user_id: str, member: Member) -> Writer | None:
        """How `user_id` (mapped to `member`) writes: with their own keys when they stored valid ones for
        this site, else the workspace's key naming them where the PSA allows. None when not connected."""
        entry = await self._entry(team_id)
        if entry is None:
            return None
        cached = await self._member_writer(entry, user_id, member)
        if cached.info is None:
            state = KeysState.NONE
        elif cached.service is None:
            state = KeysState.INVALID
        else:
            state = KeysState.IN_USE
        service = cached.service or entry.service
        return Writer(service=service, acting=service.acting(member), keys=state)

    async def _member_writer(self, entry: _Entry, user_id: str, member: Member) -> _MemberWriter:
        key = (entry.team_id, user_id)
        cached = self._writers.get(key)
        if cached is not None and (cached.info is None or cached.info.psa_member_id == member.id):
            return cached
        store = self._storage.engineer_keys(entry.team_id)
        try:
            keys = await store.keys(user_id)
        except StoredKeyUnusable as exc:
            # Their own key can't be read (TICKETS_SECRET_KEY changed): never silent, and never sent —
            # treated like keys checked elsewhere, so the user is asked to enter them again.
            log.error("team %s user %s: their own PSA key can't be read: %s", entry.team_id, user_id, exc)
            fallback = _MemberWriter(info=await store.info(user_id), service=None)
            self._writers[key] = fallback
            return fallback
        info = EngineerKeysInfo(**keys.model_dump(exclude={"private_key"})) if keys is not None else None
        service: TicketService | None = None
        creds = entry.credentials
        if keys is not None and info is not None:
            if info.usable_for(member_id=member.id, base_url=creds.base_url, company_id=creds.company_id):
                provider = entry.kind.provider(
                    creds.with_keys(keys.public_key, keys.private_key), entry.http, member_keys=True
                )
                service = entry.service.with_member_keys(provider, member.id)
            else:
                log.info(
                    "team %s user %s: own keys were checked on another site or member", entry.team_id, user_id
                )
        fresh = _MemberWriter(info=info, service=service)
        self._writers[key] = fresh
        return fresh

    async def save_member_keys(
        self,
        team_id: str,
        user_id: str,
        *,
        member: Member,
        public_key: str,
        private_key: SecretStr,
        saved_by: str,
    ) -> EngineerKeysInfo:
        """Prove with one real call that the keys belong to `member` on this workspace's site, then store
        them encrypted. Raises ConnectFailed (nothing saved) when the PSA refuses them or names another
        member, or when the workspace is not connected."""
        entry = await self._entry(team_id)
        if entry is None:
            raise ConnectFailed("Connect the workspace to its PSA first (`/tickets connect`).")
        public, private = public_key.strip(), SecretStr(private_key.get_secret_value().strip())
        if not public or not private.get_secret_value():
            raise ConnectFailed("Enter both keys.", {"public_key": "Required.", "private_key": "Required."})
        creds = entry.credentials.with_keys(public, private)
        http = self._http(entry.kind)
        try:
            await self.providers.verify_member_keys(creds, member, http)
        finally:
            await http.aclose()
        info = await self._storage.engineer_keys(team_id).save(
            user_id,
            psa_member_id=member.id,
            public_key=public,
            private_key=private,
            base_url=creds.base_url,
            company_id=creds.company_id,
            saved_by=saved_by,
        )
        self._writers.pop((team_id, user_id), None)
        return info

    async def remove_member_keys(self, team_id: str, user_id: str, *, removed_by: str) -> bool:
        """Forget a user's own keys; their next writes use the workspace's key."""
        removed = await self._storage.engineer_keys(team_id).delete(user_id, removed_by=removed_by)
        self._writers.pop((team_id, user_id), None)
        return removed

    async def aclose(self) -> None:
        """Close every provider and HTTP pool (retired ones too, without waiting out their grace)."""
        self._writers.clear()
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


def _psa_credentials(stored: ConnectionCredentials) -> PSACredentials:
    if stored.private_key is None:
        raise ValueError("a connection needs its private key")
    return PSACredentials(
        provider_kind=stored.provider_kind,
        base_url=stored.base_url,
        company_id=stored.company_id,
        public_key=stored.public_key,
        private_key=stored.private_key,
        client_id=stored.client_id,
    )


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

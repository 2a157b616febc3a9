"""Provider registry: one `PSAKind` per vendor package, looked up by the kind stored with a connection.

The bot never names a vendor or builds a provider itself: it asks the registry for the kind of a
workspace's connection, and the kind builds providers (with its retry policy), words connection
failures for the connect and mapping modals, and gives its display name. A second PSA is a new
package with a `PSAKind`, registered in `default_registry`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

import httpx
from pydantic import BaseModel, ConfigDict, SecretStr

from psa.base import ProviderInfo, PSAProvider
from psa.errors import PSAError
from psa.models import Member

if TYPE_CHECKING:
    from psa.connectwise.site import Resolver, SitePolicy

# What a credentials test can fail with besides a PSA answer: a malformed URL or settings.
_PROBE_FAILURES = (PSAError, httpx.HTTPError, httpx.InvalidURL, ValueError)


class PSACredentials(BaseModel):
    """Everything needed to reach one PSA site as one key pair's owner."""

    model_config = ConfigDict(frozen=True)

    provider_kind: str
    base_url: str
    company_id: str
    public_key: str
    private_key: SecretStr
    client_id: str

    def with_keys(self, public_key: str, private_key: SecretStr) -> PSACredentials:
        """The same site and integration, with another member's key pair."""
        return self.model_copy(update={"public_key": public_key, "private_key": private_key})


class ConnectFailed(Exception):
    """Credentials that did not work; `fields` maps form field names (base_url, public_key, …) to why."""

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class PSAKind(Protocol):
    """One vendor: builds its providers and words its failures."""

    kind: str
    display_name: str

    def http(self, *, site: SitePolicy | None = None, resolve: Resolver = ...) -> httpx.AsyncClient:
        """A pooled HTTP client sized for one connection (shared by every member's provider); with
        `site`, its connections go only to addresses that policy allows, checked when each is made."""
        ...

    def provider(
        self,
        credentials: PSACredentials,
        http: httpx.AsyncClient,
        *,
        probe: bool = False,
        member_keys: bool = False,
    ) -> PSAProvider:
        """A provider over `http`; `probe`: a one-off test (no retries); `member_keys`: a member's keys."""
        ...

    def connect_failure(self, exc: Exception) -> ConnectFailed:
        """What the connect modal says when a credentials test raised `exc`."""
        ...

    def member_keys_failure(self, exc: Exception) -> ConnectFailed:
        """What the mapping modal says when an engineer's own keys could not be verified."""
        ...

    async def site_report(self, credentials: PSACredentials, http: httpx.AsyncClient) -> str:
        """A readable check of what the site supports of the app's queries and permissions (read-only)."""
        ...


class ProviderRegistry:
    """The PSA kinds this installation supports, by `kind`."""

    def __init__(self, kinds: Iterable[PSAKind]) -> None:
        self._kinds = {k.kind: k for k in kinds}

    def get(self, kind: str) -> PSAKind | None:
        """The kind registered under `kind`, or None."""
        return self._kinds.get(kind)

    def require(self, kind: str) -> PSAKind:
        """The kind registered under `kind`; ConnectFailed when this installation does not support it."""
        found = self._kinds.get(kind)
        if found is None:
            raise ConnectFailed(f"This app does not support the PSA kind {kind!r}.")
        return found

    def display_name(self, kind: str) -> str:
        """The vendor's name as users know it ("ConnectWise PSA"), or a neutral "PSA"."""
        found = self._kinds.get(kind)
        return found.display_name if found is not None else "PSA"

    async def test(self, credentials: PSACredentials, http: httpx.AsyncClient | None = None) -> ProviderInfo:
        """One real authenticated call with these credentials; ConnectFailed (worded by the kind) otherwise.

        `http` is borrowed (not closed); without it a client is made and closed here.
        """
        kind = self.require(credentials.provider_kind)
        own = http is None
        http = http or kind.http()
        try:
            provider = kind.provider(credentials, http, probe=True)
            try:
                return await provider.test_connection()
            finally:
                await provider.aclose()
        except ConnectFailed:
            raise
        except _PROBE_FAILURES as exc:
            raise kind.connect_failure(exc) from exc
        finally:
            if own:
                await http.aclose()

    async def site_report(self, credentials: PSACredentials) -> str | None:
        """The kind's readable site check (e.g. the ConnectWise probe); None when it could not run."""
        kind = self.require(credentials.provider_kind)
        http = kind.http()
        try:
            return await kind.site_report(credentials, http)
        except _PROBE_FAILURES:
            return None
        finally:
            await http.aclose()

    async def verify_member_keys(
        self, credentials: PSACredentials, member: Member, http: httpx.AsyncClient | None = None
    ) -> Member:
        """Prove that `credentials` (the workspace's site with an engineer's own keys) belong to `member`.

        One real call asks the PSA whose keys they are; ConnectFailed when it refuses them or names
        someone else.
        """
        kind = self.require(credentials.provider_kind)
        own = http is None
        http = http or kind.http()
        try:
            provider = kind.provider(credentials, http, probe=True, member_keys=True)
            try:
                owner = await provider.current_member()
            finally:
                await provider.aclose()
        except ConnectFailed:
            raise
        except _PROBE_FAILURES as exc:
            raise kind.member_keys_failure(exc) from exc
        finally:
            if own:
                await http.aclose()
        if owner.id != member.id:
            mine, theirs = member.name or member.identifier, owner.name or owner.identifier
            raise ConnectFailed(
                f"These keys belong to {theirs}, not to {mine}.",
                {"public_key": f"Enter keys created by {mine} (My Account → API Keys)."},
            )
        return owner


def default_registry() -> ProviderRegistry:
    """Every PSA this app supports."""
    from psa.connectwise.factory import ConnectWiseKind  # the vendor package registers itself here only

    return ProviderRegistry([ConnectWiseKind()])

"""`ConnectWiseKind`: how this app builds ConnectWise providers and words ConnectWise's refusals."""

from __future__ import annotations

import functools
import ssl

import httpx

from psa.base import PSAProvider
from psa.connectwise.client import DEFAULT_TIMEOUT, ConnectWiseCredentials, RetryPolicy
from psa.connectwise.pinning import pinned_transport
from psa.connectwise.provider import ConnectWiseProvider
from psa.connectwise.site import Resolver, SitePolicy, loop_resolver
from psa.errors import (
    PSAAuthenticationError,
    PSAError,
    PSAMemberKeysRejectedError,
    PSANotFoundError,
    PSAPermissionError,
)
from psa.registry import ConnectFailed, PSACredentials
from psa.transport import HealingTransport

# Connections per workspace's ConnectWise pool (every member's provider shares it); bot/jobs/config.py
# sizes per-workspace concurrency by it. ConnectWise throttles around 1,000 requests a minute per site.
HTTP_POOL = 20
HTTP_KEEPALIVE = 10
# A credentials test answers a person waiting on a modal: fail fast rather than retry.
PROBE_RETRY = RetryPolicy(max_retries=0)


@functools.cache
def _tls() -> ssl.SSLContext:
    # Building a context loads the CA bundle (tens of ms): once per process, shared by every pool.
    return ssl.create_default_context()


def pooled_http(
    verify: ssl.SSLContext | None = None,
    *,
    site: SitePolicy | None = None,
    resolve: Resolver = loop_resolver,
) -> httpx.AsyncClient:
    """One pooled HTTP client per PSA connection; the pool is rebuilt if cancellations leak its slots.
    With `site`, every new connection goes to an address the site policy allows, checked then
    (psa.connectwise.pinning: DNS rebinding)."""
    tls = verify or _tls()

    def pool() -> httpx.AsyncBaseTransport:
        limits = httpx.Limits(max_connections=HTTP_POOL, max_keepalive_connections=HTTP_KEEPALIVE)
        if site is not None:
            return pinned_transport(site, resolve=resolve, tls=tls, limits=limits)
        return httpx.AsyncHTTPTransport(verify=tls, limits=limits)

    return httpx.AsyncClient(
        timeout=DEFAULT_TIMEOUT, transport=HealingTransport(pool, max_connections=HTTP_POOL)
    )


def _cw(credentials: PSACredentials) -> ConnectWiseCredentials:
    return ConnectWiseCredentials(
        base_url=credentials.base_url,
        company_id=credentials.company_id,
        public_key=credentials.public_key,
        private_key=credentials.private_key,
        client_id=credentials.client_id,
    )


class ConnectWiseKind:
    """The ConnectWise PSA entry of the provider registry."""

    kind = "connectwise"
    display_name = "ConnectWise PSA"

    def __init__(self, retry: RetryPolicy | None = None) -> None:
        self._retry = retry  # None: the client's default policy (bounded retries of reads only)

    def http(self, *, site: SitePolicy | None = None, resolve: Resolver = loop_resolver) -> httpx.AsyncClient:
        """One pooled client per workspace connection, connecting only where `site` allows."""
        return pooled_http(site=site, resolve=resolve)

    async def site_report(self, credentials: PSACredentials, http: httpx.AsyncClient) -> str:
        """`python -m psa.connectwise.probe`'s summary for these credentials (read-only)."""
        from psa.connectwise.probe import run_probe, summary_text

        return summary_text(await run_probe(_cw(credentials), http=http))

    def provider(
        self,
        credentials: PSACredentials,
        http: httpx.AsyncClient,
        *,
        probe: bool = False,
        member_keys: bool = False,
    ) -> PSAProvider:
        """A provider over the registry's pooled client."""
        return ConnectWiseProvider(
            _cw(credentials),
            http=http,
            retry=PROBE_RETRY if probe else self._retry,
            member_keys=member_keys,
        )

    def connect_failure(self, exc: Exception) -> ConnectFailed:
        """The connect modal's wording for a failed credentials test."""
        if isinstance(exc, PSAAuthenticationError):
            return ConnectFailed(
                "ConnectWise refused these keys.",
                {"public_key": "Check the public key.", "private_key": "Check the private key."},
            )
        if isinstance(exc, PSAPermissionError):
            return ConnectFailed(
                "The API member lacks a security role.", {"public_key": "This API member lacks permissions."}
            )
        if isinstance(exc, PSANotFoundError):
            return ConnectFailed("No ConnectWise API at that address.", {"base_url": "Check the site URL."})
        if isinstance(exc, PSAError):
            return ConnectFailed(
                f"Couldn't reach ConnectWise: {exc.message}", {"base_url": "Couldn't reach this site."}
            )
        return ConnectFailed("The site URL is not valid.", {"base_url": "Enter an https:// URL."})

    def member_keys_failure(self, exc: Exception) -> ConnectFailed:
        """The mapping modal's wording when an engineer's own keys cannot be verified."""
        if isinstance(exc, PSAAuthenticationError | PSAMemberKeysRejectedError):
            return ConnectFailed(
                "ConnectWise refused these keys on this workspace's site.",
                {
                    "public_key": "Check the public key (My Account → API Keys in ConnectWise).",
                    "private_key": "Check the private key (ConnectWise shows it once, when made).",
                },
            )
        if isinstance(exc, PSAPermissionError):
            return ConnectFailed(
                "Your security role does not let these keys read your own member record.",
                {"public_key": "Ask a ConnectWise admin to check your security role."},
            )
        if isinstance(exc, PSAError):
            return ConnectFailed(f"Couldn't check the keys with ConnectWise: {exc.message}", {})
        return ConnectFailed("Couldn't check the keys with ConnectWise.", {})

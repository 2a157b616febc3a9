"""Every connection to a ConnectWise site goes to an address the site policy allows, checked when it is made.

The policy (`psa.connectwise.site.allowed_addresses`) is checked when the keys are saved; a host name
that later resolves elsewhere (DNS rebinding: first a public address, then 127.0.0.1 or a cloud metadata
address) would otherwise still receive the workspace's keys. `PinnedBackend` is the httpcore network
backend of the ConnectWise pool: it resolves the host itself, refuses it by the same rule, and opens the
TCP connection to the address it checked. TLS still verifies the host name: httpcore's
`AsyncHTTPConnection._connect` (httpcore 1.0, `_async/connection.py`) calls `connect_tcp` with the
origin's host and then `start_tls(server_hostname=sni_hostname or origin.host)`, so SNI and the
certificate check use the name, never the address this backend connected to.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterable

import httpcore
import httpx

from psa.connectwise.site import (
    Resolver,
    SitePolicy,
    SiteUrlError,
    UnresolvedHost,
    allowed_addresses,
    loop_resolver,
)


class ForbiddenAddress(httpcore.ConnectError):
    """The site's host resolves to an address the policy refuses; nothing was sent (a ConnectError, so
    httpx reports it as not sent; the ConnectWise client tells it as what it is, never retried)."""


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's default backend, connecting only to addresses `policy` allows for the host asked for."""

    def __init__(
        self,
        policy: SitePolicy,
        *,
        resolve: Resolver = loop_resolver,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._policy = policy
        self._resolve = resolve
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """A connection to the first allowed address of `host` that answers (every one is checked)."""
        try:
            async with asyncio.timeout(timeout):
                addresses = await allowed_addresses(host, port, self._policy, resolve=self._resolve)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
        except UnresolvedHost as exc:
            raise httpcore.ConnectError(exc.args[0]) from exc
        except SiteUrlError as exc:
            raise ForbiddenAddress(exc.args[0]) from exc
        if addresses is None:  # not production, or an allowed private host: as the default backend does
            return await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # allowed_addresses never returns an empty list
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Unix sockets are never a ConnectWise site."""
        raise ForbiddenAddress("a ConnectWise site is never reached over a Unix socket")

    async def sleep(self, seconds: float) -> None:
        """As the default backend."""
        await self._inner.sleep(seconds)


def forbidden_address(exc: BaseException) -> ForbiddenAddress | None:
    """The policy refusal behind an httpx error, if that is what it is."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ForbiddenAddress):
            return cause
        cause = cause.__cause__
    return None


def pinned_transport(
    policy: SitePolicy,
    *,
    resolve: Resolver,
    tls: ssl.SSLContext,
    limits: httpx.Limits,
    inner: httpcore.AsyncNetworkBackend | None = None,
) -> httpx.AsyncHTTPTransport:
    """httpx's transport over a connection pool whose connections go through `PinnedBackend`.

    httpx's transport takes no network backend, so its pool (`_pool`, the httpcore.AsyncConnectionPool
    it builds from the same arguments, httpx 0.28/0.29 `_transports/default.py`) is replaced by one
    built with the same settings and this backend; requests, responses and errors stay httpx's.
    """
    transport = httpx.AsyncHTTPTransport(verify=tls, limits=limits)
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=tls,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=PinnedBackend(policy, resolve=resolve, inner=inner),
    )
    return transport

"""DNS rebinding: every new connection to a ConnectWise site is checked by the site policy when it is
made, to the address that was checked, so a name that later resolves to 127.0.0.1 or a cloud metadata
address never receives the workspace's keys."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from internet import PUBLIC, Internet

from psa.connectwise.client import ConnectWiseCredentials, RetryPolicy
from psa.connectwise.factory import ConnectWiseKind
from psa.connectwise.pinning import pinned_transport
from psa.connectwise.provider import ConnectWiseProvider
from psa.connectwise.site import SitePolicy
from psa.errors import PSASiteRefusedError, PSAUnavailableError

PRODUCTION = SitePolicy.build(production=True)
NAME = "cw.rebind.example"
LIMITS = httpx.Limits(max_connections=2, max_keepalive_connections=1)


class Answers:
    """A resolver answering each look-up of the site's name with the next address of a script."""

    def __init__(self, *script: str) -> None:
        self.script = list(script)
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> Sequence[str]:
        self.asked.append(host)
        return [self.script.pop(0)]


@pytest.fixture
def named_site(credentials: ConnectWiseCredentials) -> ConnectWiseCredentials:
    """The sandbox's credentials, its API reached through a host name instead of 127.0.0.1."""
    port = urlsplit(credentials.base_url).port
    return credentials.model_copy(
        update={"base_url": credentials.base_url.replace(f"127.0.0.1:{port}", f"{NAME}:{port}")}
    )


def provider_over(
    creds: ConnectWiseCredentials, http: httpx.AsyncClient, *, retries: int = 3
) -> ConnectWiseProvider:
    return ConnectWiseProvider(creds, http=http, retry=RetryPolicy(max_retries=retries, base_delay=0))


@asynccontextmanager
async def pinned(
    policy: SitePolicy, resolve: Callable[[str, int], Any], tls: ssl.SSLContext, internet: Internet
) -> AsyncIterator[httpx.AsyncClient]:
    """A fresh pool (so a fresh connection) over the pinned backend, as psa.connectwise.factory builds it."""
    transport = pinned_transport(policy, resolve=resolve, tls=tls, limits=LIMITS, inner=internet)
    async with httpx.AsyncClient(transport=transport, timeout=30.0) as http:
        yield http


async def test_a_name_rebound_to_loopback_or_metadata_is_refused_on_the_next_connection_and_nothing_is_sent(
    sandbox: Any, named_site: ConnectWiseCredentials, tls: ssl.SSLContext
) -> None:
    answers = Answers(PUBLIC, "127.0.0.1", "169.254.169.254")
    internet = Internet()
    async with pinned(PRODUCTION, answers, tls, internet) as http:
        info = await provider_over(named_site, http).test_connection()  # the public address: called
    assert info is not None and internet.dialled == [PUBLIC]
    sent = len(sandbox.requests)

    for expected in ("loopback", "cloud metadata"):
        async with pinned(PRODUCTION, answers, tls, internet) as http:
            with pytest.raises(PSASiteRefusedError) as refused:
                await provider_over(named_site, http).test_connection()
        assert (
            f"{NAME} ({'127.0.0.1' if expected == 'loopback' else '169.254.169.254'})"
            in refused.value.message
        )
        assert f"is a {expected} address" in refused.value.message and "not called" in refused.value.message
        assert refused.value.maybe_applied is False and "site address" in refused.value.user_hint

    assert internet.dialled == [PUBLIC]  # never connected to the forbidden addresses
    assert len(sandbox.requests) == sent  # and no request (no key) was sent
    assert answers.asked == [NAME, NAME, NAME]  # refused at once: no retry looked it up again


async def test_tls_still_verifies_the_site_name_not_the_pinned_address(
    sandbox: Any, named_site: ConnectWiseCredentials, tls: ssl.SSLContext
) -> None:
    # The sandbox speaks plain HTTP: an https:// call reaches start_tls, whose server_hostname is the name.
    names: list[str] = []

    class Recording(Internet):
        async def connect_tcp(self, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
            stream = await super().connect_tcp(host, port, *args, **kwargs)
            start_tls = stream.start_tls

            async def recorded(
                ssl_context: ssl.SSLContext,
                server_hostname: str | None = None,
                timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
            ) -> Any:
                names.append(str(server_hostname))
                return await start_tls(ssl_context, server_hostname, timeout)

            stream.start_tls = recorded  # type: ignore[method-assign]
            return stream

    https_site = named_site.model_copy(
        update={"base_url": named_site.base_url.replace("http://", "https://")}
    )
    async with pinned(PRODUCTION, Answers(PUBLIC), tls, Recording()) as http:
        with pytest.raises(PSAUnavailableError):  # the sandbox answers no TLS: the handshake fails
            await provider_over(https_site, http, retries=0).test_connection()
    assert names == [NAME]


async def test_the_local_sandbox_and_an_allowed_private_host_keep_working(
    credentials: ConnectWiseCredentials, tls: ssl.SSLContext
) -> None:
    async def no_dns(host: str, port: int) -> Sequence[str]:
        raise AssertionError("an allowed host is connected as it is")

    for policy in (
        SitePolicy.build(production=False),
        SitePolicy.build(production=True, allowed_private_hosts=["127.0.0.1"]),
    ):
        async with pinned(policy, no_dns, tls, Internet()) as http:
            assert await provider_over(credentials, http).test_connection() is not None
    kind = ConnectWiseKind()
    async with kind.http(site=SitePolicy.build(production=False)) as http:  # the app's own pool
        assert await provider_over(credentials, http).test_connection() is not None


async def test_the_apps_connectwise_pool_refuses_a_forbidden_address_in_production(
    named_site: ConnectWiseCredentials,
) -> None:
    async with ConnectWiseKind().http(site=PRODUCTION, resolve=Answers("127.0.0.1")) as http:
        with pytest.raises(PSASiteRefusedError, match="loopback"):
            await provider_over(named_site, http).test_connection()

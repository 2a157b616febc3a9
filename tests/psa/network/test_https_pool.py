"""The ConnectWise pool over real sockets and real TLS: the certificate is checked against the site's
name while the connection goes to the address the pin checked, bodies of a megabyte arrive whole both
ways, an idle connection the server closed is never reused, and a server that stops answering is a
read timeout after which the pool goes on. Real ConnectWise is HTTPS; these servers are local, with a
certificate authority made for the test. (The rest of the suite reaches the sandbox over plain HTTP.)"""

from __future__ import annotations

import asyncio
import datetime
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import httpx
import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from internet import PUBLIC, Internet
from waiting import wait_until

from psa.connectwise.factory import pooled_http
from psa.connectwise.pinning import pinned_transport
from psa.connectwise.site import SitePolicy

SITE = "cw.tls.example"
LIMITS = httpx.Limits(max_connections=4, max_keepalive_connections=4)
BIG = bytes(range(256)) * 4096  # 1 MiB: many reads and writes, and the transports' flow control


@dataclass
class Authority:
    """A certificate authority of the test's own, and the client context that trusts only it."""

    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    def client(self) -> ssl.SSLContext:
        return ssl.create_default_context(cadata=self.cert.public_bytes(serialization.Encoding.PEM).decode())

    def server(self, name: str, tmp: Path) -> ssl.SSLContext:
        """A server context whose certificate, signed by this authority, names `name`."""
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            _builder(name, key)
            .issuer_name(self.cert.subject)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        chain, secret = tmp / f"{name}.pem", tmp / f"{name}.key"
        chain.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        secret.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(chain, secret)
        return context


def _builder(name: str, key: ec.EllipticCurvePrivateKey) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
    )


@pytest.fixture(scope="module")
def authority() -> Authority:
    key = ec.generate_private_key(ec.SECP256R1())
    builder = _builder("Tickets test CA", key)
    cert = (
        builder.issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tickets test CA")]))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return Authority(key, cert)


class Site:
    """An HTTPS server on 127.0.0.1 with a certificate for `name`; it counts the requests it got."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.hold = asyncio.Event()
        self.port = 0

    def app(self) -> web.Application:
        async def ping(request: web.Request) -> web.Response:
            self.requests.append(request.path)
            return web.json_response({"ok": True})

        async def big(request: web.Request) -> web.Response:
            self.requests.append(request.path)
            return web.Response(body=BIG)

        async def echo(request: web.Request) -> web.Response:
            body = await request.read()
            self.requests.append(request.path)
            return web.json_response({"length": len(body), "same": body == BIG})

        async def hang(request: web.Request) -> web.Response:
            self.requests.append(request.path)
            await self.hold.wait()  # released when the test ends
            return web.json_response({})

        app = web.Application(client_max_size=2 * len(BIG))
        app.router.add_get("/ping", ping)
        app.router.add_get("/big", big)
        app.router.add_post("/echo", echo)
        app.router.add_get("/hang", hang)
        return app


Serve = Callable[[str], Awaitable[Site]]


@pytest.fixture
async def serve(tmp_path: Path, authority: Authority) -> AsyncIterator[Serve]:
    runners: list[web.AppRunner] = []
    sites: list[Site] = []

    async def start(name: str) -> Site:
        site = Site()
        runner = web.AppRunner(site.app())
        await runner.setup()
        tcp = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=authority.server(name, tmp_path))
        await tcp.start()
        site.port = tcp._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        runners.append(runner)
        sites.append(site)
        return site

    yield start
    for site in sites:
        site.hold.set()
    for runner in runners:
        await runner.cleanup()


async def _resolve(host: str, port: int) -> list[str]:
    assert host == SITE
    return [PUBLIC]


def _pinned(authority: Authority) -> httpx.AsyncClient:
    policy = SitePolicy.build(production=True)
    transport = pinned_transport(
        policy, resolve=_resolve, tls=authority.client(), limits=LIMITS, inner=Internet()
    )
    return httpx.AsyncClient(transport=transport, timeout=30.0)


async def test_https_to_the_pinned_address_checks_the_certificate_against_the_site_name(
    serve: Serve, authority: Authority
) -> None:
    right = await serve(SITE)
    async with _pinned(authority) as http:
        answer = await http.get(f"https://{SITE}:{right.port}/ping")
    assert answer.json() == {"ok": True} and right.requests == ["/ping"]

    wrong = await serve("someone-else.example")
    async with _pinned(authority) as http:
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await http.get(f"https://{SITE}:{wrong.port}/ping")
    assert wrong.requests == []  # nothing (no key) was sent to a server that is not the site


async def test_a_megabyte_arrives_whole_both_ways(serve: Serve, authority: Authority) -> None:
    site = await serve(SITE)
    async with _pinned(authority) as http:
        down = await http.get(f"https://{SITE}:{site.port}/big")
        up = await http.post(f"https://{SITE}:{site.port}/echo", content=BIG)
    assert down.content == BIG
    assert up.json() == {"length": len(BIG), "same": True}


async def test_a_server_that_stops_answering_is_a_read_timeout_and_the_pool_goes_on(
    serve: Serve, authority: Authority
) -> None:
    site = await serve(SITE)
    async with _pinned(authority) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.get(f"https://{SITE}:{site.port}/hang", timeout=httpx.Timeout(30.0, read=0.2))
        assert (await http.get(f"https://{SITE}:{site.port}/ping")).json() == {"ok": True}


class _AnswerThenClose(asyncio.Protocol):
    """Answers one request and closes the connection without saying so (no `Connection: close`), as
    a server or a proxy does with an idle keep-alive connection."""

    served: list[_AnswerThenClose] = []  # the connections themselves: a freed one's id() can come back
    closed: list[_AnswerThenClose] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if b"\r\n\r\n" in data:
            type(self).served.append(self)
            self.transport.write(
                b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"
            )
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        type(self).closed.append(self)


@pytest.fixture
def closing_server() -> Iterator[type[_AnswerThenClose]]:
    _AnswerThenClose.served, _AnswerThenClose.closed = [], []
    yield _AnswerThenClose


async def test_an_idle_connection_the_server_closed_is_not_reused(
    closing_server: type[_AnswerThenClose],
) -> None:
    server = await asyncio.get_running_loop().create_server(closing_server, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with pooled_http(site=SitePolicy.build(production=False)) as http:  # the app's own pool
            assert (await http.get(f"http://127.0.0.1:{port}/")).text == "ok"
            # On loopback the close is in the client's socket once the server has closed its side.
            await wait_until(lambda: closing_server.closed, within=10, every=0.01, what="the server's close")
            assert (await http.get(f"http://127.0.0.1:{port}/")).text == "ok"  # on a new connection
        assert len(closing_server.served) == 2 and len(set(closing_server.served)) == 2
    finally:
        server.close()
        await server.wait_closed()

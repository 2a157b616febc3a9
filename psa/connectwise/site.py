"""What an admin types as "Site URL" → the ConnectWise API root the provider calls, and which hosts
the private key may be sent to.

The address rule (documented for admins in the README):
- No scheme → `https://`. An explicit `http://` is kept (on-premise test servers, the local sandbox).
- A path that already contains `/apis/3.0` is an API root: kept up to and including `apis/3.0`.
- Otherwise the API root is `{host}/{codebase}/apis/3.0`, with the codebase taken from the path when
  it names one (`v4_6_release`, `v2017_3`, …, e.g. a URL copied from the browser) and
  `v4_6_release` (what every site answers to) when it does not.
- ConnectWise cloud sites are called on their `api-` host: `na.myconnectwise.net` →
  `api-na.myconnectwise.net` (likewise eu, au, aus, za and `staging.connectwisedev.com`).
  Other hosts (on-premise servers) are kept as typed; an IPv6 address is written in brackets.

The host rule (`check_site`, in production only): the API root must be `https://` and its host must
be public — not loopback, private, link-local, carrier-grade NAT, unique-local, multicast, reserved or
unspecified, not a cloud metadata address, not an IPv4 address hidden in an IPv6 one (mapped, 6to4,
Teredo, NAT64) and not an IPv4 address written in another form (2130706433, 0x7f000001, 0177.0.0.1,
127.1). A host name must resolve only to public addresses. Hosts on an explicit allow-list (a
self-hosted ConnectWise on a private network) skip the address checks, never the https one.
The address part (`allowed_addresses`) runs again on every new connection (psa.connectwise.pinning),
so a name that later resolves elsewhere (DNS rebinding) is refused before anything is sent.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict

DEFAULT_CODEBASE = "v4_6_release"
API_SUFFIX = "apis/3.0"
CLOUD_DOMAINS = ("myconnectwise.net", "connectwisedev.com")
_CODEBASE = re.compile(r"^v\d{4}_\d+(?:_release)?$|^v\d+_\d+_release$")
_HOST = re.compile(r"^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$")


class SiteUrlError(ValueError):
    """The text cannot be a ConnectWise site address; the message says what to type."""


def _cloud_api_host(host: str) -> str:
    if host.startswith("["):
        return host
    name, _, port = host.partition(":")
    lowered = name.lower()
    for domain in CLOUD_DOMAINS:
        if lowered.endswith("." + domain):
            region = lowered[: -len(domain) - 1]
            if region and "." not in region and not region.startswith("api-"):
                name = f"api-{name}"
            break
    return f"{name}:{port}" if port else name


def normalize_site_url(text: str) -> str:
    """The API root for what was typed (see the module docstring); raises SiteUrlError."""
    raw = text.strip()
    if not raw or any(c.isspace() for c in raw):
        raise SiteUrlError("Enter your ConnectWise site, e.g. na.myconnectwise.net.")
    if "://" not in raw:
        raw = "https://" + raw
    try:
        parts = urlsplit(raw)
    except ValueError as exc:  # e.g. brackets around something that is not an IPv6 address
        raise SiteUrlError("That doesn't look like a site address, e.g. na.myconnectwise.net.") from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise SiteUrlError("Use an https:// address, e.g. https://na.myconnectwise.net.")
    host = parts.netloc.rsplit("@", 1)[-1].lower()
    literal_v6 = host.startswith("[")
    if not host or not _HOST.match(host) or not (literal_v6 or "." in host or host.startswith("localhost")):
        raise SiteUrlError("That doesn't look like a site address, e.g. na.myconnectwise.net.")
    if literal_v6 and _ip(host[1 : host.index("]")]) is None:
        raise SiteUrlError("That IPv6 address is not valid.")
    segments = [s for s in parts.path.split("/") if s]
    lowered = [s.lower() for s in segments]
    for i in range(len(lowered) - 1):
        if lowered[i] == "apis" and lowered[i + 1] == "3.0":
            path = "/".join(segments[: i + 2])
            return f"{parts.scheme.lower()}://{host}/{path}"
    codebase = next((s for s in segments if _CODEBASE.match(s)), DEFAULT_CODEBASE)
    return f"{parts.scheme.lower()}://{_cloud_api_host(host)}/{codebase}/{API_SUFFIX}"


def site_label(api_root: str) -> str:
    """The host of an API root, for showing where a workspace is connected."""
    return urlsplit(api_root).netloc or api_root


# Cloud instance metadata services (AWS/GCP/Azure, AWS ECS, Alibaba, Oracle, AWS over IPv6): some are
# inside ranges refused anyway, others (Oracle's 192.0.0.192) count as global for `ipaddress`.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "192.0.0.192", "fd00:ec2::254")
)
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NUMERIC_HOST = re.compile(r"^[0-9a-fA-FxX.]+$")
_LOCAL_NAMES = ("localhost", "localhost.localdomain")
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]


class SitePolicy(BaseModel):
    """Where a ConnectWise key may be sent. `public_only` in production; `allowed_private_hosts` are the
    hosts (names or addresses, as typed in the site URL) of a self-hosted ConnectWise on a private network."""

    model_config = ConfigDict(frozen=True)

    public_only: bool = False
    allowed_private_hosts: frozenset[str] = frozenset()

    @classmethod
    def build(cls, *, production: bool, allowed_private_hosts: Iterable[str] = ()) -> SitePolicy:
        """The policy for an environment (hosts compared lower-case, IPv6 without brackets)."""
        hosts = frozenset(h.strip().lower().strip("[]") for h in allowed_private_hosts if h.strip())
        return cls(public_only=production, allowed_private_hosts=hosts)


async def loop_resolver(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to, from the running event loop's getaddrinfo."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def check_site(api_root: str, policy: SitePolicy, *, resolve: Resolver = loop_resolver) -> None:
    """Refuse (SiteUrlError, a message for the admin) an API root the policy does not allow a key to go to."""
    if not policy.public_only:
        return
    parts = urlsplit(api_root)
    if parts.scheme != "https":
        raise SiteUrlError("Use an https:// address: the keys must not travel unencrypted.")
    host = (parts.hostname or "").lower()
    if not host:
        raise SiteUrlError("That doesn't look like a site address, e.g. na.myconnectwise.net.")
    await allowed_addresses(host, parts.port or 443, policy, resolve=resolve)


class UnresolvedHost(SiteUrlError):
    """The host name did not resolve (a DNS failure, not a refusal)."""


async def allowed_addresses(
    host: str, port: int, policy: SitePolicy, *, resolve: Resolver = loop_resolver
) -> list[str] | None:
    """Where a ConnectWise key may be sent for `host`: the addresses it resolves to now, each checked —
    or None when the policy lets `host` be connected as it is (not production, an allowed private host).
    The one host rule: checked when the keys are saved (`check_site`) and on every new connection
    (`psa.connectwise.pinning`). Raises SiteUrlError (UnresolvedHost when the name does not resolve)."""
    host = host.lower().strip("[]")
    if not policy.public_only or host in policy.allowed_private_hosts:
        return None
    literal = _ip(host)
    if literal is None and _NUMERIC_HOST.match(host):
        legacy = _legacy_ipv4(host)
        if legacy is not None:
            raise SiteUrlError(
                f"{host} is the IP address {legacy} written in another form; ConnectWise is reached by its "
                "host name (e.g. na.myconnectwise.net)."
            )
    if literal is not None:
        _refuse_if_not_public(host, literal)
        return [host]
    if host in _LOCAL_NAMES or host.endswith(_LOCAL_SUFFIXES):
        raise SiteUrlError(f"{host} is a local name; ConnectWise must be reached on a public host.")
    try:
        addresses = await resolve(host, port)
    except OSError as exc:
        raise UnresolvedHost(f"Couldn't find {host}: check the address.") from exc
    if not addresses:
        raise UnresolvedHost(f"Couldn't find {host}: check the address.")
    checked: list[str] = []
    for address in addresses:
        resolved = _ip(address.split("%", 1)[0])
        if resolved is None:
            raise SiteUrlError(f"{host} resolves to an address this app can't check ({address}).")
        _refuse_if_not_public(host, resolved)
        checked.append(str(resolved))
    return checked


def address_problem(address: IPAddress) -> str | None:
    """Why a key must not be sent to `address` in production ("loopback", …), or None when it is public."""
    if address in METADATA_ADDRESSES:
        return "cloud metadata"
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        for inner in embedded:
            problem = address_problem(inner)
            if problem is not None:
                return f"{problem} (inside an IPv6 address)"
    checks = (
        (address.is_unspecified, "unspecified"),
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local"),
        (isinstance(address, ipaddress.IPv4Address) and address in _CGNAT, "carrier-grade NAT"),
        (address.is_multicast, "multicast"),
        (
            isinstance(address, ipaddress.IPv6Address) and address in ipaddress.ip_network("fc00::/7"),
            "unique-local",
        ),
        (address.is_reserved, "reserved"),
        (address.is_private, "private"),
        (not address.is_global, "non-public"),
    )
    return next((name for hit, name in checks if hit), None)


def _refuse_if_not_public(host: str, address: IPAddress) -> None:
    problem = address_problem(address)
    if problem is None:
        return
    where = host if str(address) == host else f"{host} ({address})"
    raise SiteUrlError(
        f"{where} is a {problem} address; ConnectWise keys are only sent to public hosts. "
        "For a self-hosted ConnectWise on a private network, ask the app's operator to allow this host."
    )


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    found: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    if address in _NAT64:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def _ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    # inet_aton reads what resolvers accept beyond dotted quads: one number, hex, octal, short forms.
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None

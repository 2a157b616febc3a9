"""What an admin types as "Site URL" → the ConnectWise API root the provider calls.

The rule (documented for admins in the README):
- No scheme → `https://`. An explicit `http://` is kept (on-premise test servers, the local sandbox).
- A path that already contains `/apis/3.0` is an API root: kept up to and including `apis/3.0`.
- Otherwise the API root is `{host}/{codebase}/apis/3.0`, with the codebase taken from the path when
  it names one (`v4_6_release`, `v2017_3`, …, e.g. a URL copied from the browser) and
  `v4_6_release` (what every site answers to) when it does not.
- ConnectWise cloud sites are called on their `api-` host: `na.myconnectwise.net` →
  `api-na.myconnectwise.net` (likewise eu, au, aus, za and `staging.connectwisedev.com`).
  Other hosts (on-premise servers) are kept as typed.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

DEFAULT_CODEBASE = "v4_6_release"
API_SUFFIX = "apis/3.0"
CLOUD_DOMAINS = ("myconnectwise.net", "connectwisedev.com")
_CODEBASE = re.compile(r"^v\d{4}_\d+(?:_release)?$|^v\d+_\d+_release$")
_HOST = re.compile(r"^[A-Za-z0-9.-]+(?::\d{1,5})?$")


class SiteUrlError(ValueError):
    """The text cannot be a ConnectWise site address; the message says what to type."""


def _cloud_api_host(host: str) -> str:
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
    parts = urlsplit(raw)
    if parts.scheme.lower() not in ("http", "https"):
        raise SiteUrlError("Use an https:// address, e.g. https://na.myconnectwise.net.")
    host = parts.netloc.rsplit("@", 1)[-1].lower()
    if not host or not _HOST.match(host) or ("." not in host and not host.startswith("localhost")):
        raise SiteUrlError("That doesn't look like a site address, e.g. na.myconnectwise.net.")
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

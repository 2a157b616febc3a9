"""Proving a ConnectWise callback delivery is genuine: `x-content-signature` and the key at `key_url`.

How ConnectWise signs (Developer Guide, "Callbacks → Verifying the Callback Source", C# sample; the
same algorithm in NangoHQ/nango `packages/server/lib/webhook/connectwise-psa-webhook-routing.ts` and
amp-labs/connectors `providers/connectwise/internal/webhook/verifier.go`):
    signature = base64( HMAC-SHA256( key = SHA-256(signing_key as UTF-8), message = raw body ) )
The body's `Metadata.key_url` answers `{"signing_key": "..."}` without authentication; key URLs look
like `https://{site}/v2025_1//system/callbackkey/index.rails?companyName=..&id=<guid>` and change
over time (nango PR #4950), so keys are cached per URL.

`key_url` comes from the unverified body, so it is checked *before* any request: only the
connection's own ConnectWise host (or that host without its `api-` prefix, which is where the site
itself lives) is fetched; nango rejects other hosts for the same reason. Sites whose callbacks name
another host list it in `extra_hosts`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from psa.changes import ChangeKeyUnavailableError, ForgedChangeError

SIGNATURE_HEADER = "x-content-signature"
KEY_TTL = 3600.0
MAX_KEYS = 64
# ConnectWise gives up on a delivery after 5 s; the key fetch must leave time to answer.
KEY_TIMEOUT = httpx.Timeout(3.0, connect=2.0)


def signature(body: bytes, signing_key: str) -> str:
    """The `x-content-signature` ConnectWise sends with `body`."""
    secret = hashlib.sha256(signing_key.encode("utf-8")).digest()
    return base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode("ascii")


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return scheme, (parts.hostname or "").lower(), port


class CallbackVerifier:
    """Verifies deliveries for one ConnectWise connection; fetched keys are cached per `key_url`."""

    def __init__(
        self,
        base_url: str,
        http: httpx.AsyncClient,
        *,
        client_id: str,
        extra_hosts: Iterable[str] = (),
        ttl: float = KEY_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        scheme, host, port = _origin(base_url)
        self._scheme, self._port = scheme, port
        self._hosts = {host, host.removeprefix("api-"), *(h.lower() for h in extra_hosts)}
        self._http = http
        self._headers = {"clientId": client_id, "Accept": "application/json"}
        self._ttl = ttl
        self._clock = clock
        self._keys: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._inflight: dict[str, asyncio.Task[str]] = {}

    def trusted(self, key_url: str) -> bool:
        """Whether `key_url` points at this connection's ConnectWise site (checked before any fetch)."""
        try:
            parts = urlsplit(key_url)
            scheme, host, port = _origin(key_url)
        except ValueError:
            return False
        secure = scheme == "https" or scheme == self._scheme  # plain http only for an http connection
        return (
            secure
            and not parts.username
            and not parts.password
            and host in self._hosts
            and port == self._port
        )

    async def verify(self, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
        """The delivery's payload when its signature checks out; `ForgedChangeError` otherwise."""
        sent = next((v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER), "").strip()
        if not sent:
            raise ForgedChangeError("The delivery has no x-content-signature header.", code="unsigned")
        try:
            payload = json.loads(body)
        except ValueError:
            raise ForgedChangeError("The delivery body is not JSON.", code="not_json") from None
        metadata = payload.get("Metadata") if isinstance(payload, dict) else None
        key_url = metadata.get("key_url") if isinstance(metadata, dict) else None
        if not isinstance(key_url, str) or not self.trusted(key_url):
            raise ForgedChangeError("The delivery's key_url is not this ConnectWise site.", code="key_url")
        expected = signature(body, await self.signing_key(key_url))
        if not hmac.compare_digest(expected.encode(), sent.encode()):
            raise ForgedChangeError("The delivery's signature does not match its body.", code="signature")
        return payload

    async def signing_key(self, key_url: str) -> str:
        """The key at `key_url` (trusted URLs only), cached; concurrent misses share one fetch."""
        hit = self._keys.get(key_url)
        if hit is not None and hit[0] > self._clock():
            self._keys.move_to_end(key_url)
            return hit[1]
        task = self._inflight.get(key_url)
        if task is None:
            task = asyncio.ensure_future(self._fetch(key_url))
            task.add_done_callback(lambda t: t.cancelled() or t.exception())
            self._inflight[key_url] = task
        return await asyncio.shield(task)

    async def _fetch(self, key_url: str) -> str:
        try:
            if not self.trusted(key_url):
                raise ForgedChangeError("Refusing to fetch a key from another host.", code="key_url")
            try:
                resp = await self._http.get(
                    key_url, headers=self._headers, timeout=KEY_TIMEOUT, follow_redirects=False
                )
            except httpx.HTTPError as exc:
                raise ChangeKeyUnavailableError(
                    f"The signing key could not be fetched ({type(exc).__name__})."
                ) from exc
            if resp.status_code != 200:
                raise ChangeKeyUnavailableError(
                    f"The signing key URL answered HTTP {resp.status_code}.", status=resp.status_code
                )
            try:
                key = resp.json().get("signing_key")
            except (ValueError, AttributeError):
                key = None
            if not isinstance(key, str) or not key:
                raise ChangeKeyUnavailableError("The signing key URL did not answer a signing_key.")
            self._keys[key_url] = (self._clock() + self._ttl, key)
            self._keys.move_to_end(key_url)
            while len(self._keys) > MAX_KEYS:
                self._keys.popitem(last=False)
            return key
        finally:
            self._inflight.pop(key_url, None)

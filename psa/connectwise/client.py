"""HTTP access to the ConnectWise REST API: auth headers, retries, and error translation."""

from __future__ import annotations

import asyncio
import base64
import email.utils
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from psa.connectwise.pinning import forbidden_address
from psa.errors import (
    PSAAuthenticationError,
    PSAError,
    PSANotFoundError,
    PSAPermissionError,
    PSARateLimitedError,
    PSASiteRefusedError,
    PSAUnavailableError,
    PSAValidationError,
)
from psa.retries import failing_fast

log = logging.getLogger(__name__)

API_VERSION = "2025.1"
ACCEPT = f"application/vnd.connectwise.com+json; version={API_VERSION}"
DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
# Request URLs kept parsed per client: the same list asks for the same long `conditions` query on every
# command, and httpx's parsing and quoting of it cost more than the rest of the request building.
MAX_KEPT_URLS = 512

Sleep = Callable[[float], Awaitable[None]]


class ConnectWiseCredentials(BaseModel):
    """Where and how to reach one ConnectWise site. The private key never appears in a repr."""

    model_config = ConfigDict(frozen=True)

    base_url: str = Field(description="API root, e.g. https://api-na.myconnectwise.net/v4_6_release/apis/3.0")
    company_id: str
    public_key: str
    private_key: SecretStr
    client_id: str

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        return value


class RetryPolicy(BaseModel):
    """Bounds for retrying reads: count, backoff, and a total time budget (all injectable for tests)."""

    max_retries: int = 3
    base_delay: float = 0.5
    max_delay: float = 4.0
    max_total: float = 10.0
    retry_after_cap: float = 8.0

    def backoff(self, attempt: int, rand: float) -> float:
        """Exponential backoff with jitter: between half and all of base * 2**attempt, capped."""
        ceiling = min(self.max_delay, self.base_delay * (2**attempt))
        return ceiling * (0.5 + rand / 2)


# Under `fail_fast_reads` (the caller retries later itself): one immediate retry (a dropped kept-alive
# connection, a one-off 502), no backoff, and a 429 whose Retry-After is not zero is raised at once.
QUICK_RETRY = RetryPolicy(max_retries=1, base_delay=0.0, max_delay=0.0, retry_after_cap=0.0)

# Reads only. ConnectWise's Developer Guide ("Error Handling", "500 Server Errors") asks clients to retry
# server errors with backoff, a plain 500 included; a write is never resent on any of these.
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
# Raised while opening a connection (TCP/TLS) or waiting for a pooled one: no byte of the request
# has been written, so even a write can be resent safely. Everything else (write/read errors, read
# timeouts, a kept-alive connection the server closed mid-request, 5xx, 429) may come after the
# server received the request, so writes are never resent for those.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port


def _auth_header(creds: ConnectWiseCredentials) -> str:
    raw = f"{creds.company_id}+{creds.public_key}:{creds.private_key.get_secret_value()}"
    return "Basic " + base64.b64encode(raw.encode()).decode()


def _retry_after(resp: httpx.Response) -> float | None:
    value = resp.headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class ConnectWiseClient:
    """One choke point for every request: headers, bounded retries of reads, typed errors."""

    def __init__(
        self,
        credentials: ConnectWiseCredentials,
        http: httpx.AsyncClient,
        *,
        retry: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        rand: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.monotonic,
        auth_error: type[PSAAuthenticationError] = PSAAuthenticationError,
    ) -> None:
        self._base = credentials.base_url
        self._auth_error = auth_error
        self._http = http
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._rand = rand
        self._clock = clock
        self._origin = _origin(credentials.base_url)
        self._urls: dict[tuple[str, tuple[tuple[str, Any], ...]], httpx.URL] = {}
        self._secrets = [credentials.private_key.get_secret_value(), _auth_header(credentials)]
        self._headers = {
            "Authorization": _auth_header(credentials),
            "clientId": credentials.client_id,
            "Accept": ACCEPT,
            "Content-Type": "application/json",
        }

    def url(self, path: str) -> str:
        """The absolute URL of an API path such as `/service/tickets`."""
        return self._base + path

    async def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET a resource (retried)."""
        return await self._send("GET", path, params=params, read=True)

    async def search(self, path: str, conditions: str, params: dict[str, Any] | None = None) -> Any:
        """POST `{path}/search` with the conditions in the body: a read, so retried like a GET."""
        return await self._send(
            "POST", path + "/search", params=params, json={"conditions": conditions}, read=True
        )

    async def post(self, path: str, body: Any) -> Any:
        """POST a write (never retried once it may have reached the server)."""
        return await self._send("POST", path, json=body, read=False)

    async def patch(self, path: str, ops: list[dict[str, Any]]) -> Any:
        """PATCH a write (never retried once it may have reached the server)."""
        return await self._send("PATCH", path, json=ops, read=False)

    async def delete(self, path: str) -> None:
        """DELETE a record (never retried once it may have reached the server)."""
        await self._send("DELETE", path, read=False)

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        read: bool,
    ) -> Any:
        url = self._target(path, params)
        started = self._clock()
        attempt = 0
        policy = QUICK_RETRY if read and failing_fast() else self._retry
        while True:
            delay: float
            try:
                # Never follow a redirect: it would carry the Authorization header to wherever it points.
                resp = await self._http.request(
                    method, url, json=json, headers=self._headers, follow_redirects=False
                )
            except _NOT_SENT as exc:
                refused = forbidden_address(exc)
                if refused is not None:  # the site's name now points somewhere keys never go
                    raise PSASiteRefusedError(
                        f"The ConnectWise site was not called: {refused}", code="ForbiddenAddress"
                    ) from exc
                error: PSAError = self._transport_error(exc, applied_maybe=False)
                delay = policy.backoff(attempt, self._rand())
            except httpx.RequestError as exc:
                error = self._transport_error(exc, applied_maybe=not read)
                if not read:
                    raise error from exc
                delay = policy.backoff(attempt, self._rand())
            else:
                if resp.is_redirect:
                    raise self._redirect_error(resp)
                if resp.status_code < 400:
                    return self._body(resp)
                error = self._http_error(resp)
                if not read or resp.status_code not in RETRYABLE_STATUS:
                    raise error
                asked = _retry_after(resp) if resp.status_code == 429 else None
                if asked is not None and asked > policy.retry_after_cap:
                    raise error  # waiting that long inside a user's request is worse than failing now
                delay = asked if asked is not None else policy.backoff(attempt, self._rand())

            elapsed = self._clock() - started
            if attempt >= policy.max_retries or elapsed + delay > policy.max_total:
                raise error
            attempt += 1
            log.info(
                "connectwise %s %s failed (%s); retry %d in %.2fs",
                method,
                path,
                error.status or type(error).__name__,
                attempt,
                delay,
            )
            await self._sleep(delay)

    def _target(self, path: str, params: dict[str, Any] | None) -> httpx.URL:
        """The parsed URL of `path` with `params` (kept: httpx.URL is immutable), on the key's own site."""
        key: tuple[str, tuple[tuple[str, Any], ...]] | None = (path, tuple(params.items()) if params else ())
        try:
            kept = self._urls.get(key) if key is not None else None
        except TypeError:  # a parameter that is a list: built each time
            kept, key = None, None
        if kept is not None:
            return kept
        url = self.url(path)
        if _origin(url) != self._origin:
            # The Authorization header goes to the host the key was validated with, never elsewhere.
            raise PSAError("Refused to send the ConnectWise credentials to another host.")
        target = httpx.URL(url, params=params)
        if key is not None:
            if len(self._urls) >= MAX_KEPT_URLS:
                del self._urls[next(iter(self._urls))]
            self._urls[key] = target
        return target

    @staticmethod
    def _body(resp: httpx.Response) -> Any:
        if resp.status_code == 204 or not resp.content:
            return None
        try:
            return resp.json()
        except ValueError as exc:
            raise PSAUnavailableError(
                "ConnectWise returned a response that is not JSON.", status=resp.status_code
            ) from exc

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            if secret:
                text = text.replace(secret, "***")
        return text

    def _transport_error(self, exc: Exception, *, applied_maybe: bool) -> PSAError:
        timeout = isinstance(exc, httpx.TimeoutException)
        what = "did not answer in time" if timeout else "could not be reached"
        # The exception's class name goes to the logs (`code`), never into the sentence users read.
        err = PSAUnavailableError(f"ConnectWise {what}.", code=type(exc).__name__)
        err.maybe_applied = applied_maybe
        if applied_maybe:
            # The write may have been applied; the default hint ("nothing was changed") would be a lie.
            err.user_hint = "The PSA did not confirm the change; check the ticket before trying again."
        return err

    def _http_error(self, resp: httpx.Response) -> PSAError:
        status = resp.status_code
        try:
            body = resp.json()
        except ValueError:
            body = None
        body = body if isinstance(body, dict) else {}
        code = body.get("code") or body.get("error")
        code = str(code) if code else None
        message = self._scrub(str(body.get("message") or f"ConnectWise answered HTTP {status}."))
        if status == 401:
            return self._auth_error(message, status=status, code=code)
        if status == 403:
            return PSAPermissionError(message, status=status, code=code)
        if status == 404:
            return PSANotFoundError(message, status=status, code=code)
        if status in (400, 409, 422):
            return PSAValidationError(message, fields=self._field_errors(body), status=status, code=code)
        if status == 429:
            return PSARateLimitedError(message, retry_after=_retry_after(resp), status=status)
        if status >= 500:
            return PSAUnavailableError(message, status=status, code=code)
        return PSAError(message, status=status, code=code)

    @staticmethod
    def _redirect_error(resp: httpx.Response) -> PSAError:
        target = urlsplit(resp.headers.get("location", "")).hostname or "another address"
        return PSAError(
            f"the site answered with a redirect to {target} (HTTP {resp.status_code}), which is not "
            "followed (the credentials stay with the site they were checked with). Check the site address.",
            status=resp.status_code,
        )

    def _field_errors(self, body: dict[str, Any]) -> dict[str, str]:
        fields: dict[str, str] = {}
        for item in body.get("errors") or []:
            if not isinstance(item, dict):
                continue
            field = item.get("field")
            if field:
                text = item.get("message") or item.get("code") or "invalid"
                fields.setdefault(str(field), self._scrub(str(text)))
        return fields

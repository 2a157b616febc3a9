"""Sign and send requests exactly as Slack does (v0 HMAC-SHA256 over `v0:{timestamp}:{body}`)."""

from __future__ import annotations

import hashlib
import hmac
import time

import httpx
from pydantic import SecretStr

SLACK_USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"


def _secret(signing_secret: str | SecretStr) -> str:
    value = signing_secret.get_secret_value() if isinstance(signing_secret, SecretStr) else signing_secret
    if not value.strip():
        raise ValueError("signing_secret must not be blank")
    return value


def sign(
    body: bytes | str, *, signing_secret: str | SecretStr, timestamp: int | None = None
) -> dict[str, str]:
    """Return the `X-Slack-Request-Timestamp` and `X-Slack-Signature` headers for a raw body."""
    ts = int(time.time()) if timestamp is None else int(timestamp)
    raw = body.encode() if isinstance(body, str) else body
    base = b"v0:" + str(ts).encode() + b":" + raw
    digest = hmac.new(_secret(signing_secret).encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}


class SlackRequestSender:
    """Posts signed Slack requests (commands, interactivity, options, events) to an app's request URL."""

    def __init__(self, events_url: str, signing_secret: str | SecretStr, http: httpx.AsyncClient) -> None:
        self.events_url = events_url
        self._signing_secret = SecretStr(_secret(signing_secret))
        self.http = http

    def __repr__(self) -> str:
        return f"SlackRequestSender(events_url={self.events_url!r})"

    async def send(
        self,
        body: str,
        content_type: str,
        *,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        timestamp: int | None = None,
    ) -> httpx.Response:
        """Sign `body` and POST it like Slack (with `X-Slack-Retry-*` headers when `retry_num` is set)."""
        headers = {
            "Content-Type": content_type,
            "User-Agent": SLACK_USER_AGENT,
            **sign(body, signing_secret=self._signing_secret, timestamp=timestamp),
        }
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason
        return await self.http.post(self.events_url, content=body.encode(), headers=headers)

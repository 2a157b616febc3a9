"""`sign` agrees with slack_sdk's SignatureVerifier, and Bolt over HTTP accepts or refuses what we send."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.signature import SignatureVerifier

from bot.local import SlackRequestSender, sign
from bot.local.payloads import event_callback, message_event, slash_command

ServeBolt = Callable[[AsyncApp], AbstractAsyncContextManager[SlackRequestSender]]


@given(
    body=st.text(),
    secret=st.text(min_size=1).filter(lambda s: s.strip() != ""),  # the SDK refuses blank secrets
    skew=st.integers(min_value=-299, max_value=299),
)
def test_signature_verifies_with_the_sdk(body: str, secret: str, skew: int) -> None:
    ts = int(time.time()) + skew
    headers = sign(body, signing_secret=secret, timestamp=ts)
    verifier = SignatureVerifier(secret)
    assert headers["X-Slack-Request-Timestamp"] == str(ts)
    assert verifier.is_valid(body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])
    assert headers == sign(body.encode(), signing_secret=SecretStr(secret), timestamp=ts)


def test_signature_depends_on_body_secret_and_time() -> None:
    base = sign("a=1", signing_secret="s", timestamp=1_700_000_000)
    assert base["X-Slack-Signature"].startswith("v0=") and len(base["X-Slack-Signature"]) == 67
    assert sign("a=2", signing_secret="s", timestamp=1_700_000_000) != base
    assert sign("a=1", signing_secret="t", timestamp=1_700_000_000) != base
    assert sign("a=1", signing_secret="s", timestamp=1_700_000_001) != base
    with pytest.raises(ValueError):
        sign("a=1", signing_secret="")


def test_the_sender_never_shows_its_secret() -> None:
    import httpx

    sender = SlackRequestSender("http://127.0.0.1:1/slack/events", "super-secret", httpx.AsyncClient())
    assert "super-secret" not in repr(sender)
    assert "super-secret" not in str(vars(sender))


async def test_bolt_accepts_our_signature_and_refuses_bad_ones(
    make_app: Callable[..., AsyncApp], serve_bolt: ServeBolt
) -> None:
    app = make_app()

    @app.command("/tickets")
    async def tickets(ack: AsyncAck) -> None:
        await ack("ok")

    body, content_type = slash_command("/tickets", "mine", user="U0ADMIN", channel="C0GENERAL")
    async with serve_bolt(app) as sender:
        good = await sender.send(body, content_type)
        assert (good.status_code, good.text) == (200, "ok")
        four_minutes_ago = await sender.send(body, content_type, timestamp=int(time.time()) - 240)
        assert four_minutes_ago.status_code == 200
        stale = await sender.send(body, content_type, timestamp=int(time.time()) - 301)
        assert stale.status_code == 401
        forged = SlackRequestSender(sender.events_url, "not-the-secret", sender.http)
        assert (await forged.send(body, content_type)).status_code == 401
        tampered = dict(sign(body, signing_secret="local-signing-secret"), **{"Content-Type": content_type})
        resp = await sender.http.post(sender.events_url, content=body + "&text=all", headers=tampered)
        assert resp.status_code == 401


async def test_retry_headers_reach_the_listener(
    make_app: Callable[..., AsyncApp], serve_bolt: ServeBolt
) -> None:
    app = make_app()
    seen: list[tuple[str | None, str | None]] = []

    @app.event("message")
    async def on_message(request: object) -> None:
        headers = request.headers  # type: ignore[attr-defined]
        seen.append(
            (headers.get("x-slack-retry-num", [None])[0], headers.get("x-slack-retry-reason", [None])[0])
        )

    body, content_type = event_callback(message_event("C0GENERAL", user="U0ADMIN", text="hi"))
    async with serve_bolt(app) as sender:
        assert (await sender.send(body, content_type)).status_code == 200
        assert (
            await sender.send(body, content_type, retry_num=2, retry_reason="http_error")
        ).status_code == 200
    assert seen == [(None, None), ("2", "http_error")]

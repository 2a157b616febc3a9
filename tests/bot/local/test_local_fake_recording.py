"""Recording, waiting, error injection and the two ways of running the fake."""

from __future__ import annotations

import asyncio
import socket

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.local import FakeSlack


async def test_calls_are_recorded_with_decoded_arguments(client: AsyncWebClient, fake: FakeSlack) -> None:
    blocks = [{"type": "divider"}]
    await client.chat_postMessage(channel="C0GENERAL", text="hi", blocks=blocks)
    await client.users_info(user="U0ADMIN")
    assert [c.method for c in fake.calls] == ["chat.postMessage", "users.info"]
    [post] = fake.calls_to("chat.postMessage")
    assert post.args == {"channel": "C0GENERAL", "text": "hi", "blocks": blocks}
    assert isinstance(post.response, dict) and post.response["ts"] == fake.messages("C0GENERAL")[0]["ts"]
    assert [c.seq for c in fake.calls] == [1, 2]
    fake.clear()
    assert fake.calls == []
    assert len(fake.messages("C0GENERAL")) == 1
    await client.auth_test()
    assert fake.calls[0].seq == 3


async def test_wait_for_sees_calls_made_after_the_ack(client: AsyncWebClient, fake: FakeSlack) -> None:
    waiting = asyncio.create_task(
        fake.wait_for("chat.postMessage", predicate=lambda c: "created" in c.args["text"])
    )
    await client.chat_postMessage(channel="C0GENERAL", text="first")
    assert not waiting.done()  # "first" does not match; the wait goes on
    await client.chat_postMessage(channel="C0GENERAL", text="Ticket #1 created")
    calls = await waiting
    assert [c.args["text"] for c in calls] == ["Ticket #1 created"]
    assert len(await fake.wait_for("chat.postMessage", count=2)) == 2


async def test_wait_for_gives_up_with_what_it_saw(client: AsyncWebClient, fake: FakeSlack) -> None:
    await client.auth_test()
    with pytest.raises(TimeoutError, match=r"views.open.*seen: \['auth.test'\]"):
        await fake.wait_for("views.open", timeout=0.1)


async def test_injected_rate_limit_is_a_429_with_retry_after(client: AsyncWebClient, fake: FakeSlack) -> None:
    fake.inject_error("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as info:
        await client.chat_postMessage(channel="C0GENERAL", text="x")
    assert info.value.response.status_code == 429
    assert info.value.response.headers["Retry-After"] == "7"
    assert info.value.response["error"] == "ratelimited"
    assert (await client.chat_postMessage(channel="C0GENERAL", text="x"))["ok"]


async def test_the_sdk_rate_limit_handler_retries_through(fake: FakeSlack) -> None:
    retrying = AsyncWebClient(
        token="xoxb-local",
        base_url=fake.api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
    )
    fake.inject_error("views.publish", retry_after=0)
    view = {"type": "home", "blocks": [{"type": "divider"}]}
    assert (await retrying.views_publish(user_id="U0ADMIN", view=view))["ok"]
    assert [c.status for c in fake.calls_to("views.publish")] == [429, 200]


async def test_injected_errors_fail_count_calls_then_stop(client: AsyncWebClient, fake: FakeSlack) -> None:
    fake.inject_error("users.info", "internal_error", count=2, status=500)
    for _ in range(2):
        with pytest.raises(SlackApiError) as info:
            await client.users_info(user="U0ADMIN")
        assert (info.value.response.status_code, info.value.response["error"]) == (500, "internal_error")
    assert (await client.users_info(user="U0ADMIN"))["ok"]
    fake.inject_error("*", "channel_not_found")
    with pytest.raises(SlackApiError, match="channel_not_found"):
        await client.auth_test()


async def test_injected_response_url_failure(fake: FakeSlack) -> None:
    fake.inject_error("response_url", "internal_error", status=503)
    url = fake.new_response_url("C0GENERAL", "U0ADMIN")
    failed = await AsyncWebhookClient(url).send(text="x")
    assert (failed.status_code, failed.body) == (503, "internal_error")
    assert (await AsyncWebhookClient(url).send(text="x")).status_code == 200


def test_thread_mode_serves_synchronous_callers() -> None:
    with FakeSlack() as fake:
        sync_client = WebClient(token="xoxb-local", base_url=fake.api_url)
        resp = sync_client.chat_postMessage(channel="C0GENERAL", text="from a thread")
        assert resp["ok"]
        assert fake.messages("C0GENERAL")[0]["text"] == "from a thread"
        port = fake.port
    with pytest.raises(RuntimeError):
        _ = fake.url
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1)


async def test_thread_mode_with_an_async_client_and_wait_for() -> None:
    fake = FakeSlack()
    fake.start_in_thread()
    try:
        client = AsyncWebClient(token="xoxb-local", base_url=fake.api_url)
        await client.chat_postMessage(channel="C0GENERAL", text="hi")
        [call] = await fake.wait_for("chat.postMessage")
        assert call.args["text"] == "hi"
    finally:
        fake.stop_thread()


async def test_in_loop_mode_can_restart_on_a_new_port() -> None:
    fake = FakeSlack()
    await fake.start()
    with pytest.raises(RuntimeError):
        await fake.start()
    assert fake.api_url.endswith("/api/") and fake.url.startswith("http://127.0.0.1:")
    await fake.stop()
    await fake.stop()

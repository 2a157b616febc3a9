"""The fake applies Slack's history limits for apps outside the Marketplace: conversations.replies and
conversations.history once a minute each, at most 15 messages a call; a Marketplace app is not limited."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.local import FakeSlack


class Clock:
    """The fake's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def limited(clock: Clock) -> AsyncIterator[FakeSlack]:
    async with FakeSlack(clock=clock) as server:
        yield server


def long_thread(fake: FakeSlack, replies: int) -> str:
    parent = fake.add_message("C0SUPPORT", user="U0ENGINEER", text="parent")
    for i in range(replies):
        fake.add_message("C0SUPPORT", user="U0ENGINEER", text=f"reply {i}", thread_ts=parent["ts"])
    return str(parent["ts"])


async def test_a_second_replies_call_within_a_minute_is_rate_limited_with_retry_after(
    limited: FakeSlack, clock: Clock
) -> None:
    client = AsyncWebClient(token="xoxb-local", base_url=limited.api_url)
    ts = long_thread(limited, 3)
    first = await client.conversations_replies(channel="C0SUPPORT", ts=ts)
    assert len(first["messages"]) == 4

    clock.now += 45
    with pytest.raises(SlackApiError) as refused:
        await client.conversations_replies(channel="C0SUPPORT", ts=ts)
    assert refused.value.response.status_code == 429
    assert refused.value.response["error"] == "ratelimited"
    assert refused.value.response.headers["Retry-After"] == "15"
    # History has its own minute.
    assert (await client.conversations_history(channel="C0SUPPORT"))["ok"] is True

    clock.now += 15
    assert (await client.conversations_replies(channel="C0SUPPORT", ts=ts))["ok"] is True
    assert [c.status for c in limited.calls_to("conversations.replies")] == [200, 429, 200]


async def test_replies_return_at_most_15_messages_oldest_first(limited: FakeSlack) -> None:
    client = AsyncWebClient(token="xoxb-local", base_url=limited.api_url)
    ts = long_thread(limited, 40)

    page = await client.conversations_replies(channel="C0SUPPORT", ts=ts, limit=200)

    texts = [m["text"] for m in page["messages"]]
    assert texts == ["parent", *(f"reply {i}" for i in range(14))]
    assert page["has_more"] is True


async def test_a_marketplace_app_reads_threads_without_the_limits(limited: FakeSlack) -> None:
    limited.marketplace_app = True
    client = AsyncWebClient(token="xoxb-local", base_url=limited.api_url)
    ts = long_thread(limited, 40)

    pages = [await client.conversations_replies(channel="C0SUPPORT", ts=ts, limit=200) for _ in range(3)]

    assert [len(p["messages"]) for p in pages] == [41, 41, 41]

"""response_url posts, sent with slack_sdk's AsyncWebhookClient exactly as Bolt's respond() sends them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.local import FakeSlack


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def fake(clock: Clock) -> AsyncIterator[FakeSlack]:
    async with FakeSlack(clock=clock) as server:
        yield server


def hook(url: str) -> AsyncWebhookClient:
    return AsyncWebhookClient(url)


async def test_a_command_reply_is_ephemeral_and_can_replace_itself(fake: FakeSlack) -> None:
    url = fake.new_response_url("C0GENERAL", "U0ADMIN")
    first = await hook(url).send(text="Loading your tickets…")
    assert (first.status_code, first.body) == (200, "ok")
    [loading] = fake.ephemeral("C0GENERAL", "U0ADMIN")
    await hook(url).send(text="3 tickets", replace_original=True)
    [shown] = fake.ephemeral("C0GENERAL", "U0ADMIN")
    assert (shown["ts"], shown["text"]) == (loading["ts"], "3 tickets")
    assert fake.messages("C0GENERAL") == []
    assert [r.outcome for r in fake.responses] == ["ephemeral", "replaced"]


async def test_in_channel_responses_post_to_the_channel_or_thread(fake: FakeSlack) -> None:
    parent = fake.add_message("C0SUPPORT", user="U0ADMIN", text="help")
    url = fake.new_response_url("C0SUPPORT", "U0ADMIN")
    await hook(url).send(text="Ticket #7 shared", response_type="in_channel")
    await hook(url).send_dict({"text": "in thread", "response_type": "in_channel", "thread_ts": parent["ts"]})
    texts = [(m["text"], m.get("thread_ts")) for m in fake.messages("C0SUPPORT")]
    assert texts == [("help", parent["ts"]), ("Ticket #7 shared", None), ("in thread", parent["ts"])]


async def test_buttons_on_an_ephemeral_message_replace_or_delete_it(
    client: AsyncWebClient, fake: FakeSlack
) -> None:
    posted = await client.chat_postEphemeral(channel="C0GENERAL", user="U0ADMIN", text="Page 1")
    url = fake.new_response_url("C0GENERAL", "U0ADMIN", message_ts=posted["message_ts"])
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "Page 2"}}]
    await hook(url).send(text="Page 2", blocks=blocks, replace_original=True)
    [page] = fake.ephemeral("C0GENERAL", "U0ADMIN")
    assert (page["ts"], page["text"], page["blocks"]) == (posted["message_ts"], "Page 2", blocks)
    await hook(url).send_dict({"delete_original": True})
    assert fake.ephemeral("C0GENERAL", "U0ADMIN") == []


async def test_replace_original_on_a_channel_message_edits_it(
    client: AsyncWebClient, fake: FakeSlack
) -> None:
    posted = await client.chat_postMessage(channel="C0GENERAL", text="Create ticket?")
    url = fake.new_response_url("C0GENERAL", "U0ADMIN", message_ts=posted["ts"])
    await hook(url).send(text="Ticket #1042 created", replace_original=True)
    assert [m["text"] for m in fake.messages("C0GENERAL")] == ["Ticket #1042 created"]


async def test_a_response_url_works_five_times(fake: FakeSlack) -> None:
    url = fake.new_response_url("C0GENERAL", "U0ADMIN")
    statuses = [(await hook(url).send(text=str(i))).status_code for i in range(6)]
    assert statuses == [200, 200, 200, 200, 200, 404]
    sixth = await hook(url).send(text="again")
    assert sixth.body == "used_url"
    assert len(fake.ephemeral("C0GENERAL", "U0ADMIN")) == 5
    assert [r.outcome for r in fake.responses][-2:] == ["rejected", "rejected"]


async def test_a_response_url_expires_after_thirty_minutes(fake: FakeSlack, clock: Clock) -> None:
    url = fake.new_response_url("C0GENERAL", "U0ADMIN")
    clock.now += 29 * 60
    assert (await hook(url).send(text="still fine")).status_code == 200
    clock.now += 2 * 60
    late = await hook(url).send(text="too late")
    assert (late.status_code, late.body) == (404, "expired_url")


async def test_invalid_bodies_are_refused_like_slack(fake: FakeSlack) -> None:
    url = fake.new_response_url("C0GENERAL", "U0ADMIN")
    blocks = [{"type": "divider"}] * 51
    too_many = await hook(url).send(text="x", blocks=blocks)
    assert (too_many.status_code, too_many.body) == (400, "invalid_blocks")
    assert (await hook(url).send_dict({"response_type": "ephemeral"})).body == "no_text"
    assert (await hook(url).send(text="  ")).body == "no_text"
    unknown = await hook(fake.url + "response/nope").send(text="x")
    assert unknown.status_code == 404
    assert fake.ephemeral("C0GENERAL", "U0ADMIN") == []


async def test_response_url_posts_are_recorded_as_calls(fake: FakeSlack) -> None:
    url = fake.new_response_url("C0GENERAL", "U0ADMIN")
    await hook(url).send(text="hello")
    [call] = await fake.wait_for("response_url")
    assert (call.args["text"], call.status, call.response) == ("hello", 200, "ok")

"""`/tickets` from a workspace Bolt authorized lately is acked without Bolt's dispatch, same answer."""

from __future__ import annotations

import time

import pytest
from scenario_harness import CHANNEL, DEMO, Slack, blocks_text
from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.local import payloads as p


@pytest.fixture
def dispatched(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What reached Bolt's dispatch: each request's command, or its type."""
    seen: list[str] = []
    original = AsyncApp.async_dispatch

    async def spy(self: AsyncApp, req: AsyncBoltRequest) -> BoltResponse:
        seen.append(str(req.body.get("command") or req.body.get("type")))
        return await original(self, req)

    monkeypatch.setattr(AsyncApp, "async_dispatch", spy)
    return seen


async def test_a_command_after_the_first_skips_bolts_dispatch_and_answers_the_same(
    slack: Slack, dispatched: list[str]
) -> None:
    first = await slack.command("help")
    first_answer = blocks_text(slack.last_ephemeral(DEMO))
    second = await slack.command("help")
    second_answer = blocks_text(slack.last_ephemeral(DEMO))

    assert dispatched == ["/tickets"]  # only the first: Bolt authorized the workspace then
    assert (first.status, first.body) == (second.status, second.body) == (200, "")
    assert first_answer == second_answer and "/tickets mine" in second_answer


async def test_a_replayed_command_on_the_short_path_runs_nothing(slack: Slack, dispatched: list[str]) -> None:
    await slack.command("help")
    body = p.slash_command(
        "/tickets",
        "help",
        user=DEMO,
        channel=CHANNEL,
        trigger_id=slack.fake.new_trigger_id(DEMO),
        response_url=slack.fake.new_response_url(CHANNEL, DEMO),
    )
    before = len(slack.fake.calls_to("response_url"))
    at = int(time.time())
    answers = [await slack.sender.send(*body, timestamp=at) for _ in range(2)]
    await slack.settle()

    assert [a.status_code for a in answers] == [200, 200]
    assert len(slack.fake.calls_to("response_url")) == before + 1
    assert dispatched == ["/tickets"]

"""`/tickets` that is not answered within the deadline says "Loading your tickets…" at once and then
replaces it with the answer (or the failure): ConnectWise is held unanswered until the placeholder is
seen, so nothing depends on how long anything took."""

from __future__ import annotations

import pytest
from scenario_harness import CHANNEL, DEMO, Slack, blocks_text
from waiting import wait_until

from bot.flows import commands as commands_flow
from bot.local import payloads as p

LOADING = "Loading your tickets…"


def command(slack: Slack, text: str) -> tuple[str, str]:
    return p.slash_command(
        "/tickets",
        text,
        user=DEMO,
        channel=CHANNEL,
        trigger_id=slack.fake.new_trigger_id(DEMO),
        response_url=slack.fake.new_response_url(CHANNEL, DEMO),
    )


def shown(slack: Slack) -> list[str]:
    return [blocks_text(m) for m in slack.ephemerals(DEMO)]


@pytest.fixture
def loading_soon(monkeypatch: pytest.MonkeyPatch) -> None:
    """The placeholder's wait short (the harness makes it unhurried): the held sandbox decides the rest."""
    monkeypatch.setattr(commands_flow, "LOADING_AFTER", 0.05)


@pytest.mark.usefixtures("loading_soon")
async def test_a_slow_list_shows_loading_at_once_then_replaces_it(slack: Slack) -> None:
    with slack.sandbox.holding():
        sent = await slack.sender.send(*command(slack, "mine"))
        assert sent.status_code == 200
        await wait_until(lambda: any(LOADING in t for t in shown(slack)), within=30, what="the Loading reply")
        assert len(shown(slack)) == 1

    await slack.settle()

    [answer] = shown(slack)
    assert LOADING not in answer and "Showing 1–" in answer


@pytest.mark.usefixtures("loading_soon")
async def test_a_slow_search_that_fails_replaces_loading_with_the_reason(slack: Slack) -> None:
    slack.sandbox.inject_fault(method="*", path_pattern=r"/service/tickets", status=403, count=None)
    with slack.sandbox.holding():
        await slack.sender.send(*command(slack, "search printer"))
        await wait_until(lambda: any(LOADING in t for t in shown(slack)), within=30, what="the Loading reply")

    await slack.settle()

    [answer] = shown(slack)
    assert LOADING not in answer and "Couldn't" in answer


async def test_a_quick_list_is_one_reply(slack: Slack) -> None:
    await slack.command("mine")

    [answer] = shown(slack)
    assert "Showing 1–" in answer

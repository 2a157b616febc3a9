"""SLA due times on the detail and the Home queue, and a warning DM before a breach, once."""

from __future__ import annotations

from datetime import datetime, timedelta

from live_kit import dms
from scenario_harness import DEMO_MEMBER, Slack, blocks_text, expected_open_tickets, find_block
from test_scenario_home import open_home

from bot.flows.live.model import TicketState
from bot.flows.live.poller import poll_once
from bot.flows.live.sla import warn_due
from bot.ids import DetailBlock


async def _due(slack: Slack) -> tuple[int, datetime, str]:
    """A demo ticket whose SLA clock runs, with its due time (as kept by the baseline)."""
    await poll_once(slack.deps, slack.team)  # the first poll keeps every mapped engineer's tickets
    for ticket_id, data in await slack.deps.storage.live().states(slack.team):
        state = TicketState.model_validate(data)
        if state.sla_due_at is not None and state.sla_stage in ("respond", "resolve") and not state.closed:
            if ticket_id in expected_open_tickets(slack.sandbox, DEMO_MEMBER):
                return ticket_id, state.sla_due_at, state.sla_stage
    raise AssertionError("no demo ticket with a running SLA in the sandbox")


async def test_the_detail_and_the_home_queue_show_the_due_time_and_mark_it_overdue(slack: Slack) -> None:
    ticket, due, stage = await _due(slack)
    word = "Response" if stage == "respond" else "Resolution"

    slack.deps.now = lambda: due - timedelta(hours=1)
    await slack.command(str(ticket))
    meta = blocks_text({"blocks": [find_block(slack.modal(), DetailBlock.META)]})
    assert f"{word} due <!date^{int(due.timestamp())}^" in meta and "overdue" not in meta
    home = await open_home(slack)
    assert home is not None
    row = find_block(home, f"home.row.{ticket}")
    if row is not None:  # the Home shows the five most urgent
        assert f"{word} due" in blocks_text({"blocks": [row]})

    slack.deps.now = lambda: due + timedelta(minutes=5)
    await slack.command(str(ticket))
    assert "overdue" in blocks_text({"blocks": [find_block(slack.modal(), DetailBlock.META)]})


async def test_an_assignee_is_warned_once_before_the_sla_is_missed(slack: Slack) -> None:
    ticket, due, _ = await _due(slack)

    slack.deps.now = lambda: due - timedelta(hours=2)
    assert await warn_due(slack.deps, slack.team) == 0  # not yet
    slack.deps.now = lambda: due - timedelta(minutes=20)
    warned = await warn_due(slack.deps, slack.team)
    slack.deps.now = lambda: due - timedelta(minutes=10)
    assert await warn_due(slack.deps, slack.team) == 0  # once per ticket and threshold
    slack.deps.now = lambda: due + timedelta(minutes=1)
    assert await warn_due(slack.deps, slack.team) == 0  # missed already: nothing to warn of

    assert warned >= 1
    told = [dm for dm in dms(slack) if f"#{ticket}" in blocks_text(dm)]
    assert len(told) == 1 and "about to miss its SLA" in blocks_text(told[0])

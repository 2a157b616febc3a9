"""A list follows the changes made in a detail opened from it while Slack lets the app edit it (5 posts to
one response_url in 30 minutes); past that, the list and the detail say it is out of date, and a list
Slack refuses to update anyway is told beside it with a Refresh button. Never a silent stale list."""

from __future__ import annotations

from typing import Any

from scenario_harness import CHANNEL, DEMO, Slack, blocks_text, find_block, row_block

from bot.ids import DetailAction, DetailBlock, ListAction, ListBlock

TICKET = 1649  # Escalations board, assigned to the demo engineer
STATUSES = {"129": "In Progress", "130": "Waiting on Client", "131": "Scheduled", "128": "New"}


async def open_from_list(slack: Slack) -> dict[str, Any]:
    """`/tickets mine`, then Open on #1649's row: the detail modal."""
    await slack.command("mine")
    listed = slack.last_ephemeral(DEMO)
    await slack.click(ListAction.OPEN, message=listed, block_id=row_block(listed, TICKET))
    return slack.modal(DEMO)


def list_row_text(slack: Slack) -> str:
    listed = slack.last_ephemeral(DEMO)
    row = find_block(listed, row_block(listed, TICKET))
    assert row is not None
    return blocks_text({"blocks": [row]})


def notice(slack: Slack) -> str:
    shown = find_block(slack.modal(DEMO), DetailBlock.NOTICE)
    return blocks_text({"blocks": [shown]}) if shown else ""


async def test_six_changes_from_one_detail_update_the_list_then_say_it_is_out_of_date(slack: Slack) -> None:
    await open_from_list(slack)
    posts_before = len(slack.fake.responses)
    picks = ["129", "130", "131", "128", "129", "130"]

    notices = []
    for status_id in picks:
        await slack.click(DetailAction.STATUS, status_id, view=slack.modal(DEMO))
        notices.append(notice(slack))

    posts = slack.fake.responses[posts_before:]
    assert [p.outcome for p in posts] == ["replaced"] * 4  # never the 5th use, never a refused one
    assert len(slack.ephemerals(DEMO, CHANNEL)) == 1  # the same list message, edited in place
    assert "New" in list_row_text(slack)  # as of the 4th change…
    listed = slack.last_ephemeral(DEMO)
    stale = find_block(listed, ListBlock.STALE)
    assert stale is not None and "Press *Refresh*" in blocks_text({"blocks": [stale]})  # …and it says so
    assert ["can't be updated any more" in n for n in notices] == [False] * 4 + [True] * 2
    assert all(n.startswith("✅ Status:") for n in notices)

    await slack.click(ListAction.REFRESH, message=listed)

    assert "Waiting on Client" in list_row_text(slack)
    assert find_block(slack.last_ephemeral(DEMO), ListBlock.STALE) is None


async def test_a_list_slack_refuses_to_update_is_told_beside_it_with_a_refresh_button(slack: Slack) -> None:
    await open_from_list(slack)
    slack.fake.inject_error("response_url", "used_url", status=404)

    await slack.click(DetailAction.STATUS, "129", view=slack.modal(DEMO))

    listed, told = slack.ephemerals(DEMO, CHANNEL)
    assert "Escalated" in blocks_text({"blocks": [find_block(listed, row_block(listed, TICKET))]})
    assert "couldn't be updated after the change" in blocks_text(told)
    assert notice(slack).startswith("✅ Status: Escalated → In Progress")

    await slack.click(ListAction.REFRESH, message=told)

    refreshed = slack.ephemerals(DEMO, CHANNEL)[-1]
    assert refreshed["ts"] == told["ts"]  # the notice became the list
    assert "In Progress" in blocks_text({"blocks": [find_block(refreshed, row_block(refreshed, TICKET))]})

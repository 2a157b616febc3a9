"""The app end to end: a signed `/tickets mine` answers with the demo user's open tickets."""

from __future__ import annotations

from scenario_harness import DEMO, DEMO_MEMBER, Slack, blocks_text, expected_open_tickets, row_ids


async def test_tickets_mine_lists_the_demo_users_open_tickets(slack: Slack) -> None:
    expected = expected_open_tickets(slack.sandbox, DEMO_MEMBER)

    sent = await slack.command("mine")

    assert sent.status == 200
    message = slack.last_ephemeral(DEMO)
    assert row_ids(message) == expected[:25]
    assert f"Showing 1–{min(25, len(expected))} of {len(expected)} tickets" in blocks_text(message)

"""Without a public URL the app polls ConnectWise for changed tickets and feeds the same handler."""

from __future__ import annotations

from live_kit import change_status, demo_ticket, dms, other_status
from round_trips import Since
from scenario_harness import Slack, blocks_text

from bot.flows.live.poller import poll_once


async def test_without_a_public_url_a_change_is_found_by_the_next_poll(slack: Slack) -> None:
    ticket = demo_ticket(slack.sandbox)
    before, after = other_status(slack.sandbox, ticket)
    await poll_once(slack.deps, slack.team)  # the first poll starts at the newest change

    await change_status(slack.sandbox, ticket, after)
    assert await poll_once(slack.deps, slack.team) == 1
    await slack.settle()

    [dm] = dms(slack)
    assert f"#{ticket}" in blocks_text(dm) and before in blocks_text(dm) and after in blocks_text(dm)
    assert await poll_once(slack.deps, slack.team) == 0  # told once
    assert len(dms(slack)) == 1


async def test_a_poll_that_finds_nothing_costs_one_connectwise_request(slack: Slack) -> None:
    await poll_once(slack.deps, slack.team)
    since = Since(slack.sandbox)

    assert await poll_once(slack.deps, slack.team) == 0

    assert since.trips().paths == ["GET /service/tickets"]


async def test_a_changed_ticket_nobody_cares_about_costs_no_more_requests(slack: Slack) -> None:
    from live_kit import not_demo_ticket

    await poll_once(slack.deps, slack.team)
    ticket = not_demo_ticket(slack.sandbox)
    await change_status(slack.sandbox, ticket, other_status(slack.sandbox, ticket)[1])
    since = Since(slack.sandbox)

    assert await poll_once(slack.deps, slack.team) == 1

    assert since.trips().paths == ["GET /service/tickets"]  # the row read by the poll is the re-read
    assert dms(slack) == []

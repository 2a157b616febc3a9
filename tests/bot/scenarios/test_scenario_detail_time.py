"""The ticket detail shows the ticket's time: the total and the latest entries, read with the rest."""

from __future__ import annotations

from round_trips import sent_together
from scenario_harness import DEMO, Slack, blocks_text, find_block

from bot.ids import Callback, TimeAction, TimeBlock

TICKET = 1604  # 1.0 hours logged in the seed, by jdoe


async def open_detail(slack: Slack, ticket_id: int = TICKET) -> dict:  # type: ignore[type-arg]
    await slack.command(str(ticket_id))
    view = slack.modal(DEMO)
    assert view["callback_id"] == Callback.DETAIL
    return view


def time_text(view: dict) -> str:  # type: ignore[type-arg]
    block = find_block(view, TimeBlock.DETAIL)
    assert block is not None, blocks_text(view)
    return blocks_text({"blocks": [block]})


async def test_detail_shows_the_total_and_who_logged_how_long(slack: Slack) -> None:
    await slack.command(f"time {TICKET} 45m replaced toner")

    text = time_text(await open_detail(slack))

    assert "1.75 h in all" in text  # the seed's hour and the 45 minutes just logged
    first_entry = text.split("\n")[1]
    assert first_entry.startswith("• *45m* · Jordan Doe") and "Remote Support" in first_entry


async def test_time_entries_are_read_in_the_same_round_as_the_rest_of_the_detail(slack: Slack) -> None:
    await slack.command("mine")  # the list remembers the rows: the detail needs no look-up first
    with sent_together(slack.sandbox, 10) as since:
        await open_detail(slack)

    trips = since.trips()
    assert any(r.path == "/time/entries" for r in trips.records)
    assert trips.rounds == 1, trips


async def test_a_failure_to_read_time_says_so_with_retry_never_no_time(slack: Slack) -> None:
    slack.sandbox.inject_fault(method="GET", path_pattern=r"/time/entries$", status=500, count=None)

    view = await open_detail(slack)

    text = time_text(view)
    assert "Couldn't load time entries" in text and "No time logged" not in text
    assert "1 h in all" in text  # the PSA's own total still shows
    assert "Acme" in blocks_text(view) or "Notes" in blocks_text(view)  # the rest of the detail is there

    slack.sandbox.clear_faults()
    await slack.click(TimeAction.RETRY, str(TICKET), view=view)

    retried = time_text(slack.modal(DEMO))
    assert "Couldn't load" not in retried and "Jordan Doe" in retried

"""Fast feedback: a status change, a note and a new assignee show in the modal after ONE ConnectWise
round trip — the write itself — rendered from its own answer; the full re-read follows in the background.

The re-read is held back (not handed to the work queue) until the test has counted the rounds, so what
the user saw after the write is known without any clock; then it is let through and its result checked.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from round_trips import Since, sent_together
from scenario_harness import DEMO, Slack, blocks_text, find_block
from test_scenario_detail import TICKET, open_ticket

from bot.deps import AppDeps
from bot.flows.work import WorkItem
from bot.ids import DetailAction, DetailBlock, assignee_block_id, note_block_id
from bot.local import payloads as p

REREAD = "detail.refresh_after_write"


class Held:
    """The background re-reads, kept until `release`."""

    def __init__(self) -> None:
        self.items: list[WorkItem] = []
        self.deps: AppDeps | None = None

    def install(self, deps: AppDeps) -> None:
        self.deps = deps
        submit = deps.work.submit

        async def holding(item: WorkItem) -> None:
            if item.flow == REREAD:
                self.items.append(item)
            else:
                await submit(item)

        self.submit = submit
        deps.work.submit = holding  # type: ignore[method-assign]

    async def release(self, slack: Slack) -> None:
        items, self.items = self.items, []
        for item in items:
            await self.submit(item)
        await slack.settle()


@asynccontextmanager
async def holding_rereads(
    make_slack: Callable[..., AbstractAsyncContextManager[Slack]],
) -> AsyncIterator[tuple[Slack, Held]]:
    held = Held()
    async with make_slack(configure=held.install) as slack:
        yield slack, held


def notice(view: dict[str, Any]) -> str:
    return blocks_text({"blocks": [find_block(view, DetailBlock.NOTICE) or {}]})


async def test_a_status_change_shows_after_one_round_trip(make_slack: Any) -> None:
    async with holding_rereads(make_slack) as (slack, held):
        view = await open_ticket(slack)
        since = Since(slack.sandbox)

        await slack.click(DetailAction.STATUS, "129", view=view)

        trips = since.trips()
        assert (trips.rounds, trips.paths) == (1, [f"PATCH /service/tickets/{TICKET}"]), trips
        shown = slack.modal(DEMO)
        assert "Status: Escalated → In Progress" in notice(shown)
        assert "*Status*\nIn Progress" in blocks_text({"blocks": [find_block(shown, DetailBlock.META)]})
        assert len(held.items) == 1

        await held.release(slack)

        again = slack.modal(DEMO)
        assert "Status: Escalated → In Progress" in notice(again)
        assert "In Progress" in blocks_text({"blocks": [find_block(again, DetailBlock.META)]})


async def test_a_note_shows_after_one_round_trip_with_an_empty_composer(make_slack: Any) -> None:
    async with holding_rereads(make_slack) as (slack, held):
        view = await open_ticket(slack)
        slack.type_into(view, {note_block_id(0): {DetailAction.NOTE_TEXT: "Rebuilt the RAID <b>array</b>"}})
        since = Since(slack.sandbox)

        await slack.click(DetailAction.ADD_NOTE, view=view)

        trips = since.trips()
        assert (trips.rounds, trips.paths) == (1, [f"POST /service/tickets/{TICKET}/notes"]), trips
        shown = slack.modal(DEMO)
        assert "Internal note added" in notice(shown)
        assert "Rebuilt the RAID &lt;b&gt;array&lt;/b&gt;" in blocks_text(shown)
        assert find_block(shown, note_block_id(1)) is not None and find_block(shown, note_block_id(0)) is None

        await held.release(slack)

        assert "Rebuilt the RAID &lt;b&gt;array&lt;/b&gt;" in blocks_text(slack.modal(DEMO))


async def test_a_new_assignee_shows_after_one_round_trip(make_slack: Any) -> None:
    async with holding_rereads(make_slack) as (slack, held):
        view = await open_ticket(slack)
        since = Since(slack.sandbox)

        await slack.click(DetailAction.ADD_ASSIGNEE, ("Ming Chen", "2"), view=view)

        trips = since.trips()
        assert (trips.rounds, trips.paths) == (1, ["POST /schedule/entries"]), trips
        shown = slack.modal(DEMO)
        assert "Assigned Michael Chen" in notice(shown)
        assert find_block(shown, assignee_block_id(2)) is not None

        await held.release(slack)

        assert find_block(slack.modal(DEMO), assignee_block_id(2)) is not None


async def test_a_removed_assignee_shows_once_the_removal_is_answered(make_slack: Any) -> None:
    async with holding_rereads(make_slack) as (slack, held):
        view = await open_ticket(slack)
        await slack.click(DetailAction.ADD_ASSIGNEE, ("Michael Chen", "2"), view=view)
        await held.release(slack)

        # What to delete is read first (the ticket, the member's entries and the member's name, sent
        # together), then the DELETE: two rounds, and nothing read after it before the modal shows it.
        with sent_together(slack.sandbox, 3, 1) as since:
            await slack.click(DetailAction.REMOVE_ASSIGNEE, view=view, block_id=assignee_block_id(2))

        trips = since.trips()
        assert trips.rounds == 2 and trips.paths[0].startswith("DELETE /schedule/entries/"), trips
        shown = slack.modal(DEMO)
        assert "Removed Michael Chen" in notice(shown)
        assert find_block(shown, assignee_block_id(2)) is None

        await held.release(slack)

        assert find_block(slack.modal(DEMO), assignee_block_id(2)) is None


async def test_a_change_clicked_while_the_last_re_read_lands_still_shows_its_outcome(make_slack: Any) -> None:
    """The re-read after one change may update the modal between the click on the next change and that
    change's outcome (the click's view is then one version behind): the outcome must still show."""
    async with holding_rereads(make_slack) as (slack, held):
        view = await open_ticket(slack)
        await slack.click(DetailAction.ADD_ASSIGNEE, ("Michael Chen", "2"), view=view)
        clicked = slack.modal(DEMO)  # the modal as the user sees it when they click Remove
        await held.release(slack)  # …and the add's re-read lands just after the click

        trigger = slack.fake.new_trigger_id(DEMO, view_id=clicked["id"])
        await slack.send(
            p.block_actions(
                DetailAction.REMOVE_ASSIGNEE,
                None,
                user=DEMO,
                view=clicked,
                block_id=assignee_block_id(2),
                trigger_id=trigger,
            )
        )

        shown = slack.modal(DEMO)
        assert "Removed Michael Chen" in notice(shown)
        assert find_block(shown, assignee_block_id(2)) is None
        await held.release(slack)
        again = slack.modal(DEMO)
        assert "Removed Michael Chen" in notice(again)
        assert find_block(again, assignee_block_id(2)) is None

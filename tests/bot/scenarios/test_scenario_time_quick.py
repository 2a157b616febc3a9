"""`/tickets time 1042 45m replaced toner, tested`: logged as the engineer, answered with Undo."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from round_trips import Since
from scenario_harness import DEMO, DEMO_MEMBER_ID, NEWBIE, Slack, action_ids, blocks_text

from bot import inputs
from bot.deps import AppDeps
from bot.ids import MessageAction, TimeAction
from storage import AuditAction
from storage.repositories import audit as audit_repo
from storage.repositories import mappings as mapping_repo

TICKET = 1604  # "Printer offline on 4th floor", Help Desk, In Progress, owner jdoe
CANCELLED = 1042  # a Cancelled ticket: ConnectWise refuses time on it


class Clock:
    """deps.now for a test: the real time, moved on only when the test says so."""

    def __init__(self, start: datetime | None = None) -> None:
        self.offset = timedelta()
        self.start = start

    def __call__(self) -> datetime:
        return (self.start or datetime.now(UTC)) + self.offset


def entries(slack: Slack, ticket_id: int = TICKET) -> list[dict[str, Any]]:
    rows = slack.sandbox.state.store.tables["time_entries"].values()
    return sorted((dict(e) for e in rows if e["chargeToId"] == ticket_id), key=lambda e: e["id"])


def new_entries(slack: Slack, before: list[dict[str, Any]], ticket_id: int = TICKET) -> list[dict[str, Any]]:
    known = {e["id"] for e in before}
    return [e for e in entries(slack, ticket_id) if e["id"] not in known]


async def test_quick_time_logs_45_minutes_with_the_note_as_the_engineer(slack: Slack) -> None:
    before = entries(slack)
    since = Since(slack.sandbox)

    await slack.command(f"time {TICKET} 45m replaced toner, tested")

    trips = since.trips()
    [entry] = new_entries(slack, before)
    assert entry["member"]["identifier"] == "jdoe"
    assert entry["actualHours"] == 0.75
    assert entry["notes"] == "replaced toner, tested"
    assert entry["addToInternalAnalysisFlag"] is True
    assert entry["workType"]["name"] == "Remote Support"  # the member's default
    assert trips.paths == ["POST /time/entries"], trips
    answer = slack.last_ephemeral()
    text = blocks_text(answer)
    assert "Logged *45m* on *#1604*" in text and "Remote Support" in text
    assert "replaced toner, tested" in text
    assert TimeAction.UNDO in action_ids(answer)
    [event] = [
        e
        for e in await slack.store.read(partial(audit_repo.list_events, ticket_id=TICKET))
        if e.action == AuditAction.TIME_ENTRY
    ]
    assert event.psa_member_id == DEMO_MEMBER_ID and event.attribution == "named"


async def test_undo_deletes_the_entry_within_ten_minutes(slack: Slack) -> None:
    before = entries(slack)
    await slack.command(f"time {TICKET} 1h15 swapped the fuser")
    answer = slack.last_ephemeral()
    [logged] = new_entries(slack, before)
    since = Since(slack.sandbox)

    await slack.click(TimeAction.UNDO, _undo_value(answer), message=answer)

    assert logged["id"] not in {e["id"] for e in entries(slack)}
    assert since.trips().paths == [f"DELETE /time/entries/{logged['id']}"]
    assert "Undone: the 1h 15m on #1604 was deleted" in blocks_text(slack.last_ephemeral())
    assert TimeAction.UNDO not in action_ids(slack.last_ephemeral())


async def test_undo_after_ten_minutes_says_it_is_too_late(
    make_slack: Callable[..., AbstractAsyncContextManager[Slack]],
) -> None:
    clock = Clock()

    def configure(deps: AppDeps) -> None:
        deps.now = clock

    async with make_slack(configure=configure) as slack:
        before = entries(slack)
        await slack.command(f"time {TICKET} 30m reseated the tray")
        answer = slack.last_ephemeral()
        clock.offset = timedelta(minutes=11)
        since = Since(slack.sandbox)

        await slack.click(TimeAction.UNDO, _undo_value(answer), message=answer)

        assert len(new_entries(slack, before)) == 1  # still there
        assert since.trips().requests == 0
        text = blocks_text(slack.last_ephemeral())
        assert "Too late to undo" in text and "Logged *30m* on *#1604*" in text
        assert TimeAction.UNDO not in action_ids(slack.last_ephemeral())


async def test_quick_time_refuses_what_breaks_the_rules_and_names_the_field(
    make_slack: Callable[..., AbstractAsyncContextManager[Slack]],
) -> None:
    # 08:00 UTC is 03:00 in New York (the demo user's Slack time zone): 9:00-10:00 there is still ahead.
    clock = Clock(datetime(2026, 3, 10, 8, 0, tzinfo=UTC))

    def configure(deps: AppDeps) -> None:
        deps.now = clock

    async with make_slack(configure=configure) as slack:
        before = entries(slack)
        since = Since(slack.sandbox)
        for typed, expected in (
            ("25h", "“25h”: a time entry can cover at most 24 hours."),
            ("0m", "“0m”: log at least one minute."),
            ("9:00-10:00 printer", "Time worked: The end time is in the future."),
            ("45 printers", "“45” needs a unit: 45m for minutes or 45h for hours."),
        ):
            await slack.command(f"time {TICKET} {typed}")
            assert expected in blocks_text(slack.last_ephemeral()), typed

        assert new_entries(slack, before) == []
        assert since.trips().requests == 0


async def test_quick_time_on_a_ticket_whose_status_refuses_time_says_why(slack: Slack) -> None:
    before = entries(slack, CANCELLED)

    await slack.command(f"time {CANCELLED} 30m checked the printer")

    text = blocks_text(slack.last_ephemeral())
    assert "Couldn't log time on #1042" in text
    assert "the current status does not allow time entry" in text and "Nothing was logged" in text
    assert new_entries(slack, before, CANCELLED) == []


async def test_unmapped_user_gets_the_mapping_prompt_and_nothing_is_logged(slack: Slack) -> None:
    before = entries(slack)

    await slack.command(f"time {TICKET} 45m replaced toner", user=NEWBIE)

    assert MessageAction.MAP in action_ids(slack.last_ephemeral(NEWBIE))
    assert new_entries(slack, before) == []


async def test_time_with_own_keys_is_entered_by_the_engineer(slack: Slack) -> None:
    keys = slack.sandbox.mint_member_keys("jdoe")
    mapping = await slack.store.read(partial(mapping_repo.get_mapping, slack_user_id=DEMO))
    assert mapping is not None
    from pydantic import SecretStr

    from psa.models import Member

    await slack.deps.workspaces.save_member_keys(
        slack.team,
        DEMO,
        member=Member(id=mapping.psa_member_id, identifier="jdoe", name=mapping.member_name),
        public_key=keys.public_key,
        private_key=SecretStr(keys.private_key),
        saved_by=DEMO,
    )
    before = entries(slack)

    await slack.command(f"time {TICKET} 20m called the user back")

    [entry] = new_entries(slack, before)
    assert entry["enteredBy"] == "jdoe" and entry["member"]["identifier"] == "jdoe"
    [event] = [
        e
        for e in await slack.store.read(partial(audit_repo.list_events, ticket_id=TICKET))
        if e.action == AuditAction.TIME_ENTRY
    ]
    assert event.attribution == "own_keys"


def _undo_value(message: dict[str, Any]) -> str:
    for block in message.get("blocks") or []:
        accessory = block.get("accessory") or {}
        if accessory.get("action_id") == TimeAction.UNDO:
            return str(accessory["value"])
    raise AssertionError("no Undo button")


async def test_quick_time_with_a_note_over_its_limit_logs_nothing_and_says_by_how_much(slack: Slack) -> None:
    before = entries(slack)
    since = Since(slack.sandbox)

    await slack.command(f"time {TICKET} 45m " + "n" * (inputs.TIME_NOTE.max_chars + 5))

    said = blocks_text(slack.last_ephemeral())
    assert "time entry note is 3,005 characters" in said and "Nothing was logged" in said
    assert new_entries(slack, before) == [] and "POST /time/entries" not in since.trips().paths

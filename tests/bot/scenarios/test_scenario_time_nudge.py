"""The end-of-day reminder: opt-in on Home, a DM of today's tickets without time from the engineer,
once a day, each with Log time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scenario_harness import DEMO, NEWBIE, Slack, action_ids, blocks_text, find_block

from bot.ids import Callback, TimeAction, TimeBlock
from bot.local import payloads as p
from storage.repositories import time_nudges

WORKED = 1604  # status changed from Slack today, no time: listed
LOGGED = 1193  # time logged from Slack today: not listed


def midday_zone() -> str:
    """A zone where it is now between 12:00 and 13:00, so "today" never straddles midnight in a test."""
    offset = (12 - datetime.now(UTC).hour) % 24
    offset = offset - 24 if offset > 14 else offset
    return "UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"  # Etc/GMT-5 is five hours ahead of UTC


async def open_home(slack: Slack, user: str = DEMO) -> dict[str, Any]:
    event = p.app_home_opened_event(
        user, channel=slack.fake.dm_channel(user), view=slack.fake.home_view(user)
    )
    await slack.event(event)
    home = slack.fake.home_view(user)
    assert home is not None
    return home


async def remind(slack: Slack, user: str, *, at_minute: int, tz: str) -> None:
    async with slack.deps.storage.session() as s:
        await time_nudges.set_nudge(
            session=s, team_id=slack.team, slack_user_id=user, at_minute=at_minute, tz=tz
        )


async def tick(slack: Slack) -> None:
    """One run of the periodic job, as the job engine's worker would run it."""
    assert slack.deps.jobs is not None
    periodic = slack.deps.jobs.engine.periodic.get("time-nudges")
    assert periodic is not None
    await periodic.fn()
    await slack.settle()


def dms(slack: Slack, user: str = DEMO) -> list[dict[str, Any]]:
    return [m for m in slack.fake.messages(slack.fake.dm_channel(user)) if m.get("bot_id")]


async def work_today(slack: Slack) -> None:
    """The engineer changes #1604's status from Slack and logs time on #1193."""
    await slack.command(f"work {WORKED}")
    view = slack.modal(DEMO)
    await slack.submit(view, values={"work.status": {"work.status": "103"}})
    await slack.command(f"time {LOGGED} 30m reset the MFA")


async def test_the_home_tab_offers_the_reminder_and_keeps_the_time_picked(slack: Slack) -> None:
    home = await open_home(slack)
    assert find_block(home, TimeBlock.NUDGE) is not None

    await slack.click(TimeAction.NUDGE, "1050", view=home)  # 5:30 PM

    async with slack.deps.storage.read_session() as s:
        saved = await time_nudges.get_nudge(session=s, team_id=slack.team, slack_user_id=DEMO)
    assert saved is not None and saved.at_minute == 1050 and saved.tz == "America/New_York"
    republished = slack.fake.home_view(DEMO)
    assert republished is not None
    select = find_block(republished, TimeBlock.NUDGE)["accessory"]  # type: ignore[index]
    assert select["initial_option"]["text"]["text"] == "5:30 PM"
    assert "(America/New" in blocks_text(republished)  # the zone as Slack has it for the user

    await slack.click(TimeAction.NUDGE, "off", view=republished)

    async with slack.deps.storage.read_session() as s:
        assert await time_nudges.get_nudge(session=s, team_id=slack.team, slack_user_id=DEMO) is None


async def test_the_reminder_lists_todays_tickets_without_time_once_a_day(slack: Slack) -> None:
    await work_today(slack)
    await remind(slack, DEMO, at_minute=0, tz=midday_zone())

    await tick(slack)
    await tick(slack)  # a second run the same day (another worker, a retried tick) sends nothing

    [dm] = dms(slack)
    text = blocks_text(dm)
    assert "#1604" in text and "#1193" not in text
    assert "You worked on 1 ticket in Slack today without logging time on it" in text
    assert TimeAction.WORK in action_ids(dm)


async def test_log_time_in_the_reminder_opens_work_it_for_that_ticket(slack: Slack) -> None:
    await work_today(slack)
    await remind(slack, DEMO, at_minute=0, tz=midday_zone())
    await tick(slack)
    [dm] = dms(slack)

    await slack.click(TimeAction.WORK, str(WORKED), message=dm, channel=slack.fake.dm_channel(DEMO))

    view = slack.modal(DEMO)
    assert view["callback_id"] == Callback.WORK and "#1604" in blocks_text(view)


async def test_no_reminder_before_its_time_or_for_whoever_did_not_ask(slack: Slack) -> None:
    await work_today(slack)
    await remind(slack, DEMO, at_minute=23 * 60 + 59, tz=midday_zone())  # later today

    await tick(slack)

    assert dms(slack) == [] and dms(slack, NEWBIE) == []


async def test_no_reminder_when_everything_worked_today_has_time(slack: Slack) -> None:
    await slack.command(f"time {LOGGED} 30m reset the MFA")
    await remind(slack, DEMO, at_minute=0, tz=midday_zone())

    await tick(slack)

    assert dms(slack) == []

"""The end-of-day reminder: opt-in per engineer on the Home tab; at the time they picked (their Slack time
zone), a DM lists the tickets they changed from Slack today with no time entry from them today, each with
Log time. A periodic job looks every few minutes; each engineer's day is claimed once in the database, so
several workers (or a job run twice) send it once."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.actor import Actor
from bot.flows.context import FlowContext
from bot.flows.errors import NotConnected
from bot.flows.time.quick import user_zone
from bot.flows.work import WorkItem, flow
from bot.views.time_nudge import NudgeTicket, nudge_message
from psa.errors import PSAError
from psa.service import TicketService
from storage.repositories import time_nudges
from storage.repositories.time_nudges import TimeNudge

if TYPE_CHECKING:
    from bot.deps import AppDeps

log = logging.getLogger(__name__)

CHECK_EVERY = timedelta(minutes=5)  # the reminder comes within this long after the time picked
TICKETS_CHECKED = 20
ENTRIES_READ = 50  # the latest entries of a ticket: today's are among them


def zone_of(name: str) -> ZoneInfo:
    """The IANA zone, or UTC for a name this machine does not know."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def register_nudges(deps: AppDeps) -> None:
    """Register the reminder's periodic job with the job engine (when this process has one)."""
    if deps.jobs is None:
        return

    async def tick() -> None:
        await send_due_nudges(deps)

    deps.jobs.engine.periodic.register_periodic("time-nudges", tick, every=CHECK_EVERY, at_start=False)


async def send_due_nudges(deps: AppDeps) -> int:
    """Send every reminder whose time has come today and that was not sent today; how many were sent."""
    now = deps.now()
    async with deps.storage.read_session() as s:
        wanted = await time_nudges.all_nudges(session=s)
    sent = 0
    for nudge in wanted:
        local = now.astimezone(zone_of(nudge.tz))
        day = local.date().isoformat()
        if local.hour * 60 + local.minute < nudge.at_minute or nudge.last_sent_on == day:
            continue
        try:
            sent += await _nudge_once(deps, nudge, day, local)
        except Exception:
            log.exception("time reminder for %s in %s failed", nudge.slack_user_id, nudge.team_id)
    return sent


async def _nudge_once(deps: AppDeps, nudge: TimeNudge, day: str, local: datetime) -> int:
    async with deps.storage.session() as s:
        won = await time_nudges.claim_day(
            session=s, team_id=nudge.team_id, slack_user_id=nudge.slack_user_id, day=day
        )
    if not won:
        return 0  # another worker (or an earlier run of this tick) has it
    try:
        return await _send(deps, nudge, local)
    except Exception:
        async with deps.storage.session() as s:
            await time_nudges.release_day(
                session=s,
                team_id=nudge.team_id,
                slack_user_id=nudge.slack_user_id,
                day=day,
                previous=nudge.last_sent_on,
            )
        raise


async def _send(deps: AppDeps, nudge: TimeNudge, local: datetime) -> int:
    midnight = datetime.combine(local.date(), time(0), tzinfo=local.tzinfo)
    async with deps.storage.read_session() as s:
        touched = await time_nudges.tickets_touched(
            session=s, team_id=nudge.team_id, slack_user_id=nudge.slack_user_id, since=midnight
        )
    if not touched:
        return 0
    client = await deps.slack_client_for(nudge.team_id)
    ctx = FlowContext.for_actor(
        deps, client, Actor(team_id=nudge.team_id, user_id=nudge.slack_user_id), name="time.nudge"
    )
    mapped = await ctx.member()
    try:
        service = await ctx.service()
    except NotConnected:
        return 0
    if mapped is None:
        return 0
    missing = await tickets_without_time(service, touched[:TICKETS_CHECKED], mapped.psa_member_id, midnight)
    if not missing:
        return 0
    return 1 if await ctx.dm(nudge_message(missing, more=max(0, len(touched) - TICKETS_CHECKED))) else 0


async def tickets_without_time(
    service: TicketService, ticket_ids: list[int], member_id: int, since: datetime
) -> list[NudgeTicket]:
    """Of `ticket_ids`, those with no time entry by `member_id` starting since `since` (all read at once;
    a ticket that cannot be read is left out rather than guessed about)."""

    async def check(ticket_id: int) -> NudgeTicket | None:
        try:
            entries, row = await asyncio.gather(
                service.list_time_entries(ticket_id, limit=ENTRIES_READ), service.get_ticket(ticket_id)
            )
        except PSAError as exc:
            log.info("time reminder: #%s not checked: %s", ticket_id, exc.message)
            return None
        if any(e.member_id == member_id and e.start is not None and e.start >= since for e in entries):
            return None
        status = row.status.name if row.status else None
        return NudgeTicket(ticket_id=ticket_id, summary=row.summary, status=status)

    found = await asyncio.gather(*(check(t) for t in ticket_ids))
    return [t for t in found if t is not None]


@flow("time.nudge_set")
async def set_nudge(ctx: FlowContext, item: WorkItem) -> None:
    """The Home's reminder select: off, or a time of day (in the engineer's Slack time zone)."""
    from bot.flows.home import publish_home

    choice = str(item.args.get("choice") or "off")
    async with ctx.deps.storage.session() as s:
        if choice == "off":
            await time_nudges.clear_nudge(session=s, team_id=ctx.team_id, slack_user_id=ctx.user_id)
        else:
            zone = await user_zone(ctx)
            await time_nudges.set_nudge(
                session=s,
                team_id=ctx.team_id,
                slack_user_id=ctx.user_id,
                at_minute=int(choice),
                tz=getattr(zone, "key", "UTC"),
                now=ctx.deps.now(),
            )
    await publish_home(ctx)


async def nudge_of(ctx: FlowContext, user_id: str) -> TimeNudge | None:
    """The user's reminder, if on (for the Home)."""
    async with ctx.deps.storage.read_session() as s:
        return await time_nudges.get_nudge(session=s, team_id=ctx.team_id, slack_user_id=user_id)

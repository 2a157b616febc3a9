"""`/tickets time 1042 45m replaced toner, tested`: log it as the engineer, answer with Undo (10 minutes)."""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot import grammar, inputs
from bot.flows.context import FlowContext
from bot.flows.once import Ended, Made, Write, write_once, writer_for
from bot.flows.time.parts import TimePart, WorkPlan, run_plan
from bot.flows.work import WorkItem, flow
from bot.views.time_messages import LoggedTime, quick_logged_message, time_problem_message
from bot.worked_time import Duration, span_of
from bot.workspaces import Writer
from psa.errors import PSANotFoundError
from psa.time import TimeSpanError
from storage import AuditAction, LedgerState, WriteKind

log = logging.getLogger(__name__)

UNDO_WINDOW = timedelta(minutes=10)
NOT_YOURS = "This time entry can't be undone from here: only who logged it can, within 10 minutes."


async def user_zone(ctx: FlowContext, user_id: str | None = None) -> tzinfo:
    """The user's Slack time zone (users.info `tz`, cached); UTC when Slack does not say."""
    user = await ctx.deps.directory.user(ctx.client, ctx.team_id, user_id or ctx.user_id)
    try:
        return ZoneInfo(user.tz) if user is not None and user.tz else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def quick_key(team_id: str, trigger_id: str) -> str:
    """One quick entry per command: a second delivery of the same command finds the first's write."""
    return "time:" + hashlib.sha256(f"{team_id}/{trigger_id}".encode()).hexdigest()[:40]


async def log_quick_time(ctx: FlowContext, command: grammar.Time) -> None:
    """Log the time (today, ending now for a duration), then answer with what was logged and Undo."""
    too_long = inputs.TIME_NOTE.problem(command.note)
    if too_long is not None:
        await ctx.respond(time_problem_message(f"{too_long} Nothing was logged."))
        return
    writer = await writer_for(ctx)
    zone = UTC if isinstance(command.worked, Duration) else await user_zone(ctx)
    try:
        span = span_of(command.worked, now=ctx.deps.now(), tz=zone)
    except TimeSpanError as exc:
        await ctx.respond(time_problem_message(f"Time worked: {exc.message} Nothing was logged."))
        return
    # Every delivery of one command carries its trigger_id: the key (and so the entry) stays the same.
    trigger = ctx.actor.trigger_id or ctx.item.submitted_at.isoformat()
    plan = WorkPlan(
        ticket_id=command.ticket_id,
        key=quick_key(ctx.team_id, trigger),
        time=TimePart(span=span, note=command.note, note_target="internal" if command.note else None),
    )
    (outcome,) = await run_plan(ctx, writer, plan)
    if not outcome.done:
        reason = f"{outcome.reason}. Nothing was logged." if not outcome.uncertain else outcome.reason + "."
        await ctx.respond(time_problem_message(f"Couldn't log time on #{command.ticket_id}: {reason}"))
        return
    logged = LoggedTime(
        ticket_id=command.ticket_id,
        start=datetime.fromisoformat(outcome.result["start"]),
        end=datetime.fromisoformat(outcome.result["end"]),
        work_type=outcome.result.get("work_type"),
        note=command.note,
        key=plan.sub_key("time"),
    )
    await ctx.respond(quick_logged_message(logged, minutes=int(UNDO_WINDOW.total_seconds() // 60)))


@flow("time.undo", doing="undo the time entry")
async def undo_time(ctx: FlowContext, item: WorkItem) -> None:
    """Undo: delete the quick entry within 10 minutes of logging it; after that, say it is too late."""
    key = str(item.args["key"])
    ledger = ctx.deps.storage.ledger(ctx.team_id)
    entry = await ledger.entry(key)
    if entry is None or entry.state != LedgerState.DONE or entry.actor_user_id != ctx.user_id:
        await ctx.respond(time_problem_message(NOT_YOURS))
        return
    result = entry.result or {}
    logged = LoggedTime(
        ticket_id=entry.ticket_id or 0,
        start=datetime.fromisoformat(str(result["start"])),
        end=datetime.fromisoformat(str(result["end"])),
        work_type=result.get("work_type"),
        note=str((entry.payload or {}).get("note") or ""),
        key=key,
    )
    minutes = int(UNDO_WINDOW.total_seconds() // 60)
    if ctx.deps.now() - entry.updated_at > UNDO_WINDOW:
        await ctx.respond(quick_logged_message(logged, undo="too_late", minutes=minutes), replace=True)
        return
    entry_id = int(result["entry_id"])

    async def perform(writer: Writer, reconcile: bool) -> Made:
        try:
            await writer.service.delete_time_entry(entry_id)
        except PSANotFoundError:
            # Already gone (an earlier attempt whose answer was lost, or deleted in ConnectWise): undone.
            log.info("time entry %s was already gone when undone", entry_id)
        done = {"deleted": entry_id, "minutes": result.get("minutes")}
        return Made("Undone.", result=done, detail=done)

    write = Write(
        key=f"undo:{key}",
        kind=WriteKind.TIME_ENTRY,
        audit=AuditAction.TIME_ENTRY,
        ticket_id=entry.ticket_id,
        what="the removal of the time entry",
        check="the ticket's time entries",
        payload={"delete": entry_id},
    )
    outcome = await write_once(ctx, write, perform)
    if outcome.ended is Ended.BUSY:
        return  # the same click, delivered twice: the first answers
    if not outcome.done:
        await ctx.respond(time_problem_message(outcome.text))
        return
    await ctx.respond(quick_logged_message(logged, undo="undone", minutes=minutes), replace=True)

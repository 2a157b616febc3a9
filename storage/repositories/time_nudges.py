"""End-of-day time reminders: who wants one and when, each sent at most once per local day, and the
tickets an engineer touched from Slack since a moment (their audit lines)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditAction, AuditEventRow, TimeNudgeRow
from storage.repositories._common import Record, dialect_insert, require_team, table_of, utcnow

T = table_of(TimeNudgeRow)
A = table_of(AuditEventRow)
MINUTES_A_DAY = 24 * 60
# Changes to a ticket made from Slack; connecting, mapping and keys are about no ticket's work.
TICKET_WORK = (
    AuditAction.CREATE,
    AuditAction.STATUS_CHANGE,
    AuditAction.ASSIGNEE_ADD,
    AuditAction.ASSIGNEE_REMOVE,
    AuditAction.NOTE,
    AuditAction.SHARE,
    AuditAction.LINK_THREAD,
    AuditAction.TIME_ENTRY,
)


class TimeNudge(Record):
    """One engineer's reminder."""

    team_id: str
    slack_user_id: str
    at_minute: int  # minutes after midnight in `tz`
    tz: str
    last_sent_on: str | None
    updated_at: datetime


async def set_nudge(
    *,
    session: AsyncSession,
    team_id: str,
    slack_user_id: str,
    at_minute: int,
    tz: str,
    now: datetime | None = None,
) -> TimeNudge:
    """Turn the reminder on, or move it (the day it was last sent is kept: still once a day)."""
    require_team(team_id)
    if not 0 <= at_minute < MINUTES_A_DAY or not tz:
        raise ValueError("a reminder needs a time of day and a time zone")
    values = {"at_minute": at_minute, "tz": tz[:64], "updated_at": utcnow(now)}
    stmt = (
        dialect_insert(session, T)
        .values(team_id=team_id, slack_user_id=slack_user_id, last_sent_on=None, **values)
        .on_conflict_do_update(index_elements=[T.c.team_id, T.c.slack_user_id], set_=values)
        .returning(*T.c)
    )
    return TimeNudge.model_validate((await session.execute(stmt)).one())


async def clear_nudge(*, session: AsyncSession, team_id: str, slack_user_id: str) -> bool:
    """Turn the reminder off; False when it was off."""
    require_team(team_id)
    stmt = delete(T).where(T.c.team_id == team_id, T.c.slack_user_id == slack_user_id).returning(T.c.team_id)
    return (await session.execute(stmt)).first() is not None


async def get_nudge(*, session: AsyncSession, team_id: str, slack_user_id: str) -> TimeNudge | None:
    """The user's reminder, if on."""
    require_team(team_id)
    stmt = select(T).where(T.c.team_id == team_id, T.c.slack_user_id == slack_user_id)
    row = (await session.execute(stmt)).first()
    return None if row is None else TimeNudge.model_validate(row)


async def all_nudges(*, session: AsyncSession) -> list[TimeNudge]:
    """Every reminder of every workspace (one row per engineer who turned it on)."""
    return [TimeNudge.model_validate(r) for r in await session.execute(select(T))]


async def claim_day(*, session: AsyncSession, team_id: str, slack_user_id: str, day: str) -> bool:
    """Mark the reminder sent for `day` (YYYY-MM-DD); True for exactly one caller per day."""
    require_team(team_id)
    stmt = (
        update(T)
        .where(
            T.c.team_id == team_id,
            T.c.slack_user_id == slack_user_id,
            or_(T.c.last_sent_on.is_(None), T.c.last_sent_on < day),
        )
        .values(last_sent_on=day)
        .returning(T.c.team_id)
    )
    return (await session.execute(stmt)).first() is not None


async def release_day(
    *, session: AsyncSession, team_id: str, slack_user_id: str, day: str, previous: str | None
) -> None:
    """Undo `claim_day` when the reminder could not be sent (a later tick tries again)."""
    require_team(team_id)
    await session.execute(
        update(T)
        .where(T.c.team_id == team_id, T.c.slack_user_id == slack_user_id, T.c.last_sent_on == day)
        .values(last_sent_on=previous)
    )


async def tickets_touched(
    *, session: AsyncSession, team_id: str, slack_user_id: str, since: datetime
) -> list[int]:
    """Tickets the user changed from Slack since `since`, most recently touched first."""
    require_team(team_id)
    stmt = (
        select(A.c.ticket_id, A.c.created_at)
        .where(
            A.c.team_id == team_id,
            A.c.slack_user_id == slack_user_id,
            A.c.ticket_id.is_not(None),
            A.c.created_at >= utcnow(since),
            A.c.action.in_([a.value for a in TICKET_WORK]),
        )
        .order_by(A.c.created_at.desc(), A.c.id.desc())
    )
    seen: dict[int, None] = {}
    for ticket_id, _ in await session.execute(stmt):
        seen.setdefault(int(ticket_id), None)
    return list(seen)

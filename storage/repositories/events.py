"""Slack Events API dedupe: remember each `event_id` so Slack's retries are handled once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedEventRow
from storage.repositories._common import dialect_insert, require_team, table_of, utcnow

T = table_of(ProcessedEventRow)


async def first_time(
    *, session: AsyncSession, team_id: str, event_id: str, now: datetime | None = None
) -> bool:
    """Record `event_id`; True the first time it is seen, False for a duplicate (a retry)."""
    require_team(team_id)
    if not event_id:
        raise ValueError("event_id is required")
    stmt = (
        dialect_insert(session, T)
        .values(team_id=team_id, event_id=event_id, received_at=utcnow(now))
        .on_conflict_do_nothing(index_elements=[T.c.team_id, T.c.event_id])
        .returning(T.c.event_id)
    )
    return (await session.execute(stmt)).first() is not None


# Rows per INSERT: 3 bound values each, under SQLite's oldest limit of 999 variables per statement.
RECORD_CHUNK = 300


async def first_times(
    *, session: AsyncSession, team_id: str, event_ids: list[str], now: datetime | None = None
) -> set[str]:
    """Record many ids at once (one multi-row INSERT per RECORD_CHUNK); the ids seen for the first time."""
    require_team(team_id)
    if not all(event_ids):
        raise ValueError("event_id is required")
    at = utcnow(now)
    new: set[str] = set()
    unique = list(dict.fromkeys(event_ids))
    for start in range(0, len(unique), RECORD_CHUNK):
        rows = [
            {"team_id": team_id, "event_id": event_id, "received_at": at}
            for event_id in unique[start : start + RECORD_CHUNK]
        ]
        stmt = (
            dialect_insert(session, T)
            .values(rows)
            .on_conflict_do_nothing(index_elements=[T.c.team_id, T.c.event_id])
            .returning(T.c.event_id)
        )
        new.update(row[0] for row in await session.execute(stmt))
    return new


async def received_since(
    *, session: AsyncSession, team_id: str, since: datetime
) -> list[tuple[str, datetime]]:
    """The ids recorded at or after `since`, oldest first, with when they were received."""
    require_team(team_id)
    stmt = (
        select(T.c.event_id, T.c.received_at)
        .where(T.c.team_id == team_id, T.c.received_at >= utcnow(since))
        .order_by(T.c.received_at)
    )
    return [(row[0], row[1]) for row in await session.execute(stmt)]

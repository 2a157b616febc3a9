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
    return event_id in await first_times(session=session, team_id=team_id, event_ids=[event_id], now=now)


async def first_times(
    *, session: AsyncSession, team_id: str, event_ids: list[str], now: datetime | None = None
) -> set[str]:
    """Record many ids at once; the ids seen for the first time.

    One statement executed for all rows: SQLAlchemy compiles it once (cached) and sends the rows in
    multi-row batches ("insertmanyvalues"); `.values(rows)` would compile a new one per call.
    """
    require_team(team_id)
    if not all(event_ids):
        raise ValueError("event_id is required")
    if not event_ids:
        return set()
    at = utcnow(now)
    rows = [
        {"team_id": team_id, "event_id": event_id, "received_at": at} for event_id in dict.fromkeys(event_ids)
    ]
    stmt = (
        dialect_insert(session, T)
        .on_conflict_do_nothing(index_elements=[T.c.team_id, T.c.event_id])
        .returning(T.c.event_id)
    )
    return {row[0] for row in await session.execute(stmt, rows)}


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

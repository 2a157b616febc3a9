"""Slack Events API dedupe: remember each `event_id` so Slack's retries are handled once."""

from __future__ import annotations

from datetime import datetime

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

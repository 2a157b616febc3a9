"""Housekeeping across workspaces. Delete-only and driven by age, never by a workspace's request."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedEventRow
from storage.repositories._common import table_of, utcnow

# Slack retries for about 5 minutes; a day is ample and keeps the table tiny.
DEFAULT_EVENT_RETENTION = timedelta(days=1)


async def prune_processed_events(
    *, session: AsyncSession, older_than: timedelta = DEFAULT_EVENT_RETENTION, now: datetime | None = None
) -> int:
    """Delete processed-event records older than `older_than`; returns how many were deleted."""
    table = table_of(ProcessedEventRow)
    result = await session.execute(
        delete(table).where(table.c.received_at < utcnow(now) - older_than).returning(table.c.event_id)
    )
    return len(result.all())

"""Messages of linked threads kept as spin-off context: a bounded number per thread, pruned by age.

Slack message timestamps ("1712345678.123456") have a fixed-width integer part until the year 2286,
so ordering them as strings orders them in time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ThreadMessageRow
from storage.repositories._common import Record, dialect_insert, require_team, table_of, utcnow

T = table_of(ThreadMessageRow)


class ThreadMessage(Record):
    """One kept message of a thread: its ts and plain text."""

    ts: str
    text: str


def _thread(team_id: str, channel_id: str, thread_ts: str) -> ColumnElement[bool]:
    return and_(T.c.team_id == team_id, T.c.channel_id == channel_id, T.c.thread_ts == thread_ts)


async def keep_messages(
    *,
    session: AsyncSession,
    team_id: str,
    channel_id: str,
    thread_ts: str,
    messages: Sequence[ThreadMessage],
    keep: int,
    now: datetime | None = None,
) -> int:
    """Store messages of a thread (one kept already stays as it is); all but the newest `keep` are dropped.
    How many were new."""
    require_team(team_id)
    if not messages:
        return 0
    rows = [
        {
            "team_id": team_id,
            "channel_id": channel_id,
            "thread_ts": thread_ts,
            "ts": m.ts,
            "text": m.text,
            "stored_at": utcnow(now),
        }
        for m in {m.ts: m for m in messages}.values()
    ]
    insert = dialect_insert(session, T).values(rows)
    keys = [T.c.team_id, T.c.channel_id, T.c.thread_ts, T.c.ts]
    added = (
        await session.execute(insert.on_conflict_do_nothing(index_elements=keys).returning(T.c.ts))
    ).all()
    thread = _thread(team_id, channel_id, thread_ts)
    newest = select(T.c.ts).where(thread).order_by(T.c.ts.desc()).limit(keep)
    await session.execute(delete(T).where(thread, T.c.ts.not_in(newest.scalar_subquery())))
    return len(added)


async def recent_messages(
    *, session: AsyncSession, team_id: str, channel_id: str, thread_ts: str, limit: int
) -> list[ThreadMessage]:
    """The newest `limit` kept messages of a thread, oldest first."""
    require_team(team_id)
    stmt = (
        select(T.c.ts, T.c.text)
        .where(_thread(team_id, channel_id, thread_ts))
        .order_by(T.c.ts.desc())
        .limit(limit)
    )
    rows = (await session.execute(stmt)).all()
    return [ThreadMessage(ts=row.ts, text=row.text) for row in reversed(rows)]


async def edit_message(
    *, session: AsyncSession, team_id: str, channel_id: str, thread_ts: str, ts: str, text: str
) -> bool:
    """Replace a kept message's text (the author edited it); True when it was kept."""
    require_team(team_id)
    result = await session.execute(
        update(T)
        .where(_thread(team_id, channel_id, thread_ts), T.c.ts == ts)
        .values(text=text)
        .returning(T.c.ts)
    )
    return result.first() is not None


async def forget_message(*, session: AsyncSession, team_id: str, channel_id: str, ts: str) -> str | None:
    """Forget a message (its author deleted it); the thread it was kept in, if it was."""
    require_team(team_id)
    where = (T.c.team_id == team_id, T.c.channel_id == channel_id, T.c.ts == ts)
    row = (await session.execute(delete(T).where(*where).returning(T.c.thread_ts))).first()
    return None if row is None else str(row.thread_ts)


async def prune_thread_messages(
    *, session: AsyncSession, older_than: timedelta, now: datetime | None = None
) -> int:
    """Delete kept messages stored longer ago than `older_than` (all workspaces); how many."""
    result = await session.execute(
        delete(T).where(T.c.stored_at < utcnow(now) - older_than).returning(T.c.ts)
    )
    return len(result.all())

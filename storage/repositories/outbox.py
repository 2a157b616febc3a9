"""The outbox of live updates: DMs and thread replies written with the change that caused them.

A row is claimed by one sender (a conditional UPDATE), sent, then marked sent; a claim older than
`stale_after` belonged to a process that died and may be taken over. `dedupe_key` is unique per
workspace, so a second copy of the same message is never even stored.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import LiveOutboxRow
from storage.repositories._common import Record, dialect_insert, require_team, table_of, utcnow

T = table_of(LiveOutboxRow)
ERROR_MAX = 200
STALE_CLAIM = timedelta(minutes=5)


class OutboxMessage(Record):
    """One message to send."""

    id: int
    team_id: str
    dedupe_key: str
    target: str
    thread_ts: str | None
    ticket_id: int | None
    kind: str
    payload: dict[str, Any]
    created_at: datetime
    due_at: datetime
    claimed_at: datetime | None
    attempts: int
    sent_at: datetime | None
    error: str | None


class NewMessage(Record):
    """A message to put in the outbox."""

    dedupe_key: str
    target: str
    thread_ts: str | None = None
    ticket_id: int | None = None
    kind: str
    payload: dict[str, Any]
    due_at: datetime


async def put(*, session: AsyncSession, team_id: str, messages: Sequence[NewMessage], now: datetime) -> int:
    """Store messages (one already stored under the same key is left as it is); how many were new."""
    require_team(team_id)
    added = 0
    for message in messages:
        stmt = dialect_insert(session, T).values(
            team_id=team_id,
            created_at=utcnow(now),
            attempts=0,
            **message.model_dump(),
        )
        result = await session.execute(
            stmt.on_conflict_do_nothing(index_elements=[T.c.team_id, T.c.dedupe_key])
        )
        added += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return added


def _claimable(now: datetime) -> Any:
    return and_(
        T.c.sent_at.is_(None),
        or_(T.c.claimed_at.is_(None), T.c.claimed_at < utcnow(now) - STALE_CLAIM),
    )


async def due_targets(
    *, session: AsyncSession, now: datetime, team_id: str | None = None, limit: int = 500
) -> list[tuple[str, str]]:
    """(team, target) pairs with a message due by `now`."""
    query = select(T.c.team_id, T.c.target).where(_claimable(now), T.c.due_at <= utcnow(now))
    if team_id is not None:
        query = query.where(T.c.team_id == require_team(team_id))
    rows = await session.execute(query.group_by(T.c.team_id, T.c.target).limit(limit))
    return [(str(r[0]), str(r[1])) for r in rows]


async def pending(
    *, session: AsyncSession, team_id: str, target: str, now: datetime, due_only: bool
) -> list[OutboxMessage]:
    """Unsent, unclaimed messages for a target, oldest first (only those due by `now` if `due_only`)."""
    require_team(team_id)
    query = select(T).where(T.c.team_id == team_id, T.c.target == target, _claimable(now))
    if due_only:
        query = query.where(T.c.due_at <= utcnow(now))
    rows = await session.execute(query.order_by(T.c.id))
    return [OutboxMessage.model_validate(r) for r in rows]


async def claim(*, session: AsyncSession, ids: Collection[int], now: datetime) -> list[int]:
    """Claim messages for sending; the ids this caller won."""
    won: list[int] = []
    for message_id in ids:
        result = await session.execute(
            update(T)
            .where(T.c.id == message_id, _claimable(now))
            .values(claimed_at=utcnow(now), attempts=T.c.attempts + 1)
        )
        if result.rowcount:  # type: ignore[attr-defined]
            won.append(message_id)
    return won


async def mark_sent(
    *, session: AsyncSession, ids: Collection[int], now: datetime, error: str | None = None
) -> None:
    """The messages were sent (or given up on, with `error`)."""
    if ids:
        await session.execute(
            update(T)
            .where(T.c.id.in_(list(ids)))
            .values(sent_at=utcnow(now), error=error[:ERROR_MAX] if error else None)
        )


async def release(*, session: AsyncSession, ids: Collection[int], error: str) -> None:
    """Sending failed: free the claim so a later run tries again."""
    if ids:
        await session.execute(
            update(T).where(T.c.id.in_(list(ids))).values(claimed_at=None, error=error[:ERROR_MAX])
        )


async def sent(*, session: AsyncSession, team_id: str, kind: str | None = None) -> list[OutboxMessage]:
    """Messages already sent in a workspace, oldest first."""
    require_team(team_id)
    query = select(T).where(T.c.team_id == team_id, T.c.sent_at.is_not(None))
    if kind is not None:
        query = query.where(T.c.kind == kind)
    return [OutboxMessage.model_validate(r) for r in await session.execute(query.order_by(T.c.id))]


async def prune(*, session: AsyncSession, before: datetime) -> int:
    """Forget messages sent before `before`."""
    result = await session.execute(delete(T).where(T.c.sent_at.is_not(None), T.c.sent_at < utcnow(before)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]

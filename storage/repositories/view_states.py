"""View states kept on the server: immutable snapshots a Slack view or message refers to by id."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ViewStateRow
from storage.repositories._common import dialect_insert, require_team, table_of, utcnow

T = table_of(ViewStateRow)


async def save_view_state(
    *,
    session: AsyncSession,
    team_id: str,
    state_id: str,
    kind: str,
    data: str,
    key: str | None = None,
    now: datetime | None = None,
) -> None:
    """Store one snapshot (`data` is the state's JSON) under `state_id`."""
    require_team(team_id)
    if not state_id or not kind:
        raise ValueError("state_id and kind are required")
    await session.execute(
        insert(T).values(team_id=team_id, id=state_id, kind=kind, key=key, data=data, created_at=utcnow(now))
    )


async def keep_view_state(
    *, session: AsyncSession, team_id: str, state_id: str, kind: str, data: str, now: datetime | None = None
) -> None:
    """Store a snapshot whose id is derived from its content, or, when it is there already, make it
    young again (pruning goes by age: a snapshot handed out again is kept as long as a new one)."""
    require_team(team_id)
    if not state_id or not kind:
        raise ValueError("state_id and kind are required")
    created = utcnow(now)
    stmt = dialect_insert(session, T).values(
        team_id=team_id, id=state_id, kind=kind, key=None, data=data, created_at=created
    )
    await session.execute(
        stmt.on_conflict_do_update(index_elements=[T.c.team_id, T.c.id], set_={"created_at": created})
    )


async def view_state(*, session: AsyncSession, team_id: str, state_id: str, kind: str) -> str | None:
    """The snapshot's JSON, or None when it never existed (or was pruned)."""
    require_team(team_id)
    stmt = select(T.c.data).where(T.c.team_id == team_id, T.c.id == state_id, T.c.kind == kind)
    return (await session.execute(stmt)).scalar_one_or_none()


async def prune_view_states(
    *, session: AsyncSession, kind: str, older_than: timedelta, now: datetime | None = None
) -> int:
    """Delete snapshots of `kind` older than `older_than` (all workspaces); how many."""
    result = await session.execute(
        delete(T).where(T.c.kind == kind, T.c.created_at < utcnow(now) - older_than).returning(T.c.id)
    )
    return len(result.all())

"""Recovery across workspaces: writes whose outcome nobody is working on. Read-only; recovery claims
each entry through the ledger (storage.repositories.ledger.claim) before acting on it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import IdempotencyRow, LedgerState, WriteKind
from storage.repositories._common import table_of, utcnow
from storage.repositories.ledger import DEFAULT_STALE_AFTER, LedgerEntry

T = table_of(IdempotencyRow)


async def unfinished(
    *,
    session: AsyncSession,
    stale_after: timedelta = DEFAULT_STALE_AFTER,
    kinds: tuple[WriteKind, ...] | None = None,
    limit: int = 100,
    now: datetime | None = None,
) -> list[LedgerEntry]:
    """Writes whose outcome nobody is working on, in every workspace, oldest first: `uncertain` ones and
    `claimed` ones untouched for `stale_after` (their process died). Recovery claims each before acting."""
    at = utcnow(now)
    stmt = select(T).where(
        or_(
            T.c.state == LedgerState.UNCERTAIN,
            and_(T.c.state == LedgerState.CLAIMED, T.c.updated_at < at - stale_after),
        )
    )
    if kinds:
        stmt = stmt.where(T.c.kind.in_([WriteKind(k) for k in kinds]))
    stmt = stmt.order_by(T.c.updated_at, T.c.team_id, T.c.key).limit(max(1, min(limit, 1000)))
    return [LedgerEntry.model_validate(row) for row in await session.execute(stmt)]

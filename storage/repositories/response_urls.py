"""Posts made to Slack response_urls, counted per URL so the app stops before Slack's limit."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ResponseUrlUseRow
from storage.repositories._common import dialect_insert, require_team, table_of, utcnow

T = table_of(ResponseUrlUseRow)


def url_hash(url: str) -> str:
    """The key a response_url is counted under (the URL itself is never stored)."""
    return hashlib.sha256(url.encode()).hexdigest()


async def register(*, session: AsyncSession, team_id: str, url: str, issued_at: datetime) -> None:
    """Note when Slack issued `url` (the click that carried it), before any post to it."""
    require_team(team_id)
    stmt = dialect_insert(session, T).values(
        team_id=team_id, url_hash=url_hash(url), uses=0, issued_at=utcnow(issued_at)
    )
    await session.execute(stmt.on_conflict_do_nothing(index_elements=[T.c.team_id, T.c.url_hash]))


async def claim_use(
    *,
    session: AsyncSession,
    team_id: str,
    url: str,
    limit: int,
    lifetime: timedelta,
    now: datetime | None = None,
) -> int | None:
    """Count one more post to `url`: its number (1…`limit`), or None once `limit` posts were counted or
    `lifetime` has passed since it was issued. Concurrent callers never get the same number."""
    require_team(team_id)
    at = utcnow(now)
    insert = dialect_insert(session, T).values(team_id=team_id, url_hash=url_hash(url), uses=1, issued_at=at)
    stmt = insert.on_conflict_do_update(
        index_elements=[T.c.team_id, T.c.url_hash],
        set_={"uses": T.c.uses + 1},
        where=(T.c.uses < limit) & (T.c.issued_at > at - lifetime),
    ).returning(T.c.uses)
    row = (await session.execute(stmt)).first()
    return None if row is None else int(row.uses)


async def prune_response_url_uses(
    *, session: AsyncSession, older_than: timedelta, now: datetime | None = None
) -> int:
    """Forget counts of URLs issued longer ago than `older_than` (Slack refuses them by then); how many."""
    result = await session.execute(
        delete(T).where(T.c.issued_at < utcnow(now) - older_than).returning(T.c.url_hash)
    )
    return len(result.all())

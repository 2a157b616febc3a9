"""Idempotency ledger: a user action that creates something in the PSA runs at most once at a time.

Protocol (each step in its own short, committed transaction):
1. `claim(key)` before calling the PSA. Exactly one concurrent caller wins (INSERT ... ON CONFLICT DO
   NOTHING on the (team_id, key) primary key). A loser learns the entry's state: `in_progress`
   (someone is creating it: tell the user to wait), `done` (show the ticket already created).
2. The winner calls the PSA, then `complete(key, ticket_id)` or `fail(key, error)`.
3. A later `claim` of a `failed` entry wins it again (a retry), and so does a `claim` of an
   `in_progress` entry untouched for `stale_after` (its process crashed). Both take-overs are a single
   conditional UPDATE, so again only one caller can win. `stale_after` must exceed the longest PSA call.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import IdempotencyRow, LedgerState
from storage.repositories._common import Record, dialect_insert, require_team, table_of, utcnow

T = table_of(IdempotencyRow)
DEFAULT_STALE_AFTER = timedelta(minutes=10)
ERROR_MAX = 2000
KEY_MAX = 128  # the column width


class LedgerEntry(Record):
    """The state of one idempotency key."""

    team_id: str
    key: str
    state: LedgerState
    ticket_id: int | None
    error: str | None
    attempts: int
    created_at: datetime
    updated_at: datetime


class ClaimResult(Record):
    """Outcome of `claim`: `won` means the caller must do the work; otherwise `entry` says what happened."""

    won: bool
    entry: LedgerEntry
    took_over: LedgerState | None = None  # the state a winning claim replaced (failed or stale in_progress)

    @property
    def state(self) -> LedgerState:
        return self.entry.state

    @property
    def ticket_id(self) -> int | None:
        return self.entry.ticket_id


async def claim(
    key: str,
    *,
    team_id: str,
    session: AsyncSession,
    stale_after: timedelta = DEFAULT_STALE_AFTER,
    retry_failed: bool = True,
    now: datetime | None = None,
) -> ClaimResult:
    """Atomically claim `key` as in_progress; see the module docstring for who wins."""
    require_team(team_id)
    if not key or len(key) > KEY_MAX:
        raise ValueError(f"idempotency key is required and at most {KEY_MAX} characters")
    at = utcnow(now)
    inserted = await session.execute(
        dialect_insert(session, T)
        .values(
            team_id=team_id, key=key, state=LedgerState.IN_PROGRESS, attempts=1, created_at=at, updated_at=at
        )
        .on_conflict_do_nothing(index_elements=[T.c.team_id, T.c.key])
        .returning(*T.c)
    )
    row = inserted.first()
    if row is not None:
        return ClaimResult(won=True, entry=LedgerEntry.model_validate(row))

    # Each take-over is one conditional UPDATE: of two racing callers only one can match the row.
    takeovers = [(LedgerState.FAILED, T.c.state == LedgerState.FAILED)] if retry_failed else []
    stale = and_(T.c.state == LedgerState.IN_PROGRESS, T.c.updated_at < at - stale_after)
    takeovers.append((LedgerState.IN_PROGRESS, stale))
    for previous, condition in takeovers:
        taken = await session.execute(
            update(T)
            .where(T.c.team_id == team_id, T.c.key == key, condition)
            .values(state=LedgerState.IN_PROGRESS, error=None, attempts=T.c.attempts + 1, updated_at=at)
            .returning(*T.c)
        )
        row = taken.first()
        if row is not None:
            return ClaimResult(won=True, entry=LedgerEntry.model_validate(row), took_over=previous)
    current = await get_entry(key, team_id=team_id, session=session)
    if current is None:  # deleted between our statements; cannot happen without a manual DELETE
        raise RuntimeError(f"idempotency key {key!r} vanished while claiming it")
    return ClaimResult(won=False, entry=current)


async def complete(
    key: str, ticket_id: int, *, team_id: str, session: AsyncSession, now: datetime | None = None
) -> bool:
    """Record success with the created ticket; False if the key is not in progress."""
    return await _finish(key, team_id, session, now, state=LedgerState.DONE, ticket_id=ticket_id, error=None)


async def fail(
    key: str, error: str, *, team_id: str, session: AsyncSession, now: datetime | None = None
) -> bool:
    """Record failure (a later claim may retry); False if the key is not in progress."""
    return await _finish(
        key, team_id, session, now, state=LedgerState.FAILED, ticket_id=None, error=error[:ERROR_MAX]
    )


async def _finish(
    key: str,
    team_id: str,
    session: AsyncSession,
    now: datetime | None,
    *,
    state: LedgerState,
    ticket_id: int | None,
    error: str | None,
) -> bool:
    require_team(team_id)
    result = await session.execute(
        update(T)
        .where(T.c.team_id == team_id, T.c.key == key, T.c.state == LedgerState.IN_PROGRESS)
        .values(state=state, ticket_id=ticket_id, error=error, updated_at=utcnow(now))
        .returning(T.c.key)
    )
    return result.first() is not None


async def get_entry(key: str, *, team_id: str, session: AsyncSession) -> LedgerEntry | None:
    """The current entry for `key`, or None if it was never claimed."""
    require_team(team_id)
    row = (await session.execute(select(T).where(T.c.team_id == team_id, T.c.key == key))).first()
    return None if row is None else LedgerEntry.model_validate(row)

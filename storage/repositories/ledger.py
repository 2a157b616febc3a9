"""Idempotency ledger: every write a user asks for runs at most once at a time, and its outcome is kept.

Protocol (each step in its own short, committed transaction):
1. `claim(key, kind=…, actor…, payload=…)` before calling the PSA. Exactly one concurrent caller wins
   (INSERT ... ON CONFLICT DO NOTHING on the (team_id, key) primary key). A loser learns the entry's
   state: `claimed` (someone is performing it: show its progress), `done` (show its result).
2. The winner calls the PSA, then `complete(key, ticket_id, result=…)` — with the audit row in the
   same transaction (storage.writes) — or `fail(key, error)` when the PSA refused it (nothing was
   written), or `uncertain(key, error)` when the PSA may have performed it (timeout, dropped
   connection, 5xx, crash).
3. A later `claim` wins a `failed` entry (a retry), an `uncertain` one, or a `claimed` one untouched
   for `stale_after` (its process died); `took_over` tells the winner which, and for the last two it
   must reconcile with the PSA before writing again. Each take-over is a single conditional UPDATE, so
   again only one caller wins. `stale_after` must exceed the longest PSA call.
storage.recovery lists what recovery must look at, across workspaces.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import IdempotencyRow, LedgerState, WriteKind
from storage.repositories._common import Record, dialect_insert, require_team, table_of, utcnow

T = table_of(IdempotencyRow)
DEFAULT_STALE_AFTER = timedelta(minutes=10)
ERROR_MAX = 2000
KEY_MAX = 128  # the column width
PAYLOAD_MAX = 32_000  # characters of JSON: a note or a ticket description and its context, not files


class LedgerEntry(Record):
    """The state of one idempotency key."""

    team_id: str
    key: str
    kind: WriteKind
    state: LedgerState
    actor_user_id: str | None
    actor_member_id: int | None
    ticket_id: int | None
    result: dict[str, Any] | None
    payload: dict[str, Any] | None
    error: str | None
    attempts: int
    created_at: datetime
    updated_at: datetime


class ClaimResult(Record):
    """Outcome of `claim`: `won` means the caller must do the work; otherwise `entry` says what happened."""

    won: bool
    entry: LedgerEntry
    took_over: LedgerState | None = None  # the state a winning claim replaced (failed, uncertain or stale)

    @property
    def state(self) -> LedgerState:
        return self.entry.state

    @property
    def ticket_id(self) -> int | None:
        return self.entry.ticket_id

    @property
    def must_reconcile(self) -> bool:
        """The winner replaced an attempt that may have reached the PSA: look there before writing."""
        return self.won and self.took_over in (LedgerState.CLAIMED, LedgerState.UNCERTAIN)


def _json(value: Mapping[str, Any] | None, what: str) -> dict[str, Any] | None:
    if value is None:
        return None
    data = dict(value)
    if len(json.dumps(data, default=str)) > PAYLOAD_MAX:
        raise ValueError(f"ledger {what} is larger than {PAYLOAD_MAX} characters of JSON")
    return data


async def claim(
    key: str,
    *,
    team_id: str,
    session: AsyncSession,
    kind: WriteKind = WriteKind.CREATE,
    actor_user_id: str | None = None,
    actor_member_id: int | None = None,
    ticket_id: int | None = None,
    payload: Mapping[str, Any] | None = None,
    stale_after: timedelta = DEFAULT_STALE_AFTER,
    retry_failed: bool = True,
    now: datetime | None = None,
) -> ClaimResult:
    """Atomically claim `key`; see the module docstring for who wins. A take-over keeps the first
    attempt's payload unless a new one is given."""
    require_team(team_id)
    if not key or len(key) > KEY_MAX:
        raise ValueError(f"idempotency key is required and at most {KEY_MAX} characters")
    at = utcnow(now)
    data = _json(payload, "payload")
    inserted = await session.execute(
        dialect_insert(session, T)
        .values(
            team_id=team_id,
            key=key,
            kind=WriteKind(kind),
            state=LedgerState.CLAIMED,
            actor_user_id=actor_user_id,
            actor_member_id=actor_member_id,
            ticket_id=ticket_id,
            payload=data,
            attempts=1,
            created_at=at,
            updated_at=at,
        )
        .on_conflict_do_nothing(index_elements=[T.c.team_id, T.c.key])
        .returning(*T.c)
    )
    row = inserted.first()
    if row is not None:
        return ClaimResult(won=True, entry=LedgerEntry.model_validate(row))

    # Each take-over is one conditional UPDATE: of two racing callers only one can match the row.
    takeovers = [(LedgerState.FAILED, T.c.state == LedgerState.FAILED)] if retry_failed else []
    takeovers.append((LedgerState.UNCERTAIN, T.c.state == LedgerState.UNCERTAIN))
    stale = and_(T.c.state == LedgerState.CLAIMED, T.c.updated_at < at - stale_after)
    takeovers.append((LedgerState.CLAIMED, stale))
    values: dict[str, Any] = {
        "state": LedgerState.CLAIMED,
        "error": None,
        "attempts": T.c.attempts + 1,
        "updated_at": at,
    }
    if data is not None:
        values["payload"] = data
    for previous, condition in takeovers:
        taken = await session.execute(
            update(T)
            .where(T.c.team_id == team_id, T.c.key == key, condition)
            .values(**values)
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
    key: str,
    ticket_id: int | None,
    *,
    team_id: str,
    session: AsyncSession,
    result: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> bool:
    """Record success (the ticket written and what was made); False if the key is not claimed."""
    return await _finish(
        key,
        team_id,
        session,
        now,
        state=LedgerState.DONE,
        values={"ticket_id": ticket_id, "result": _json(result, "result"), "error": None},
    )


async def fail(
    key: str, error: str, *, team_id: str, session: AsyncSession, now: datetime | None = None
) -> bool:
    """Record that the PSA refused the write (a later claim may retry); False if the key is not claimed."""
    return await _finish(
        key, team_id, session, now, state=LedgerState.FAILED, values={"error": error[:ERROR_MAX]}
    )


async def uncertain(
    key: str, error: str, *, team_id: str, session: AsyncSession, now: datetime | None = None
) -> bool:
    """Record that the PSA may have performed the write; False if the key is not claimed."""
    return await _finish(
        key, team_id, session, now, state=LedgerState.UNCERTAIN, values={"error": error[:ERROR_MAX]}
    )


async def set_payload(
    key: str,
    payload: Mapping[str, Any],
    *,
    team_id: str,
    session: AsyncSession,
    now: datetime | None = None,
) -> bool:
    """Merge `payload` into a claimed entry's payload (e.g. where the user waits); False if not claimed."""
    require_team(team_id)
    current = await get_entry(key, team_id=team_id, session=session)
    if current is None or current.state != LedgerState.CLAIMED:
        return False
    merged = _json({**(current.payload or {}), **payload}, "payload")
    result = await session.execute(
        update(T)
        .where(T.c.team_id == team_id, T.c.key == key, T.c.state == LedgerState.CLAIMED)
        .values(payload=merged, updated_at=utcnow(now))
        .returning(T.c.key)
    )
    return result.first() is not None


async def renew(
    key: str,
    *,
    attempt: int,
    team_id: str,
    session: AsyncSession,
    payload: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> LedgerEntry | None:
    """Keep the lease of a claim this caller holds (its `attempt`), merging `payload` in; the entry, or
    None when the claim is no longer this caller's (finished, or taken over after going stale)."""
    require_team(team_id)
    values: dict[str, Any] = {"updated_at": utcnow(now)}
    if payload:
        current = await get_entry(key, team_id=team_id, session=session)
        if current is None:
            return None
        values["payload"] = _json({**(current.payload or {}), **payload}, "payload")
    result = await session.execute(
        update(T)
        .where(
            T.c.team_id == team_id,
            T.c.key == key,
            T.c.state == LedgerState.CLAIMED,
            T.c.attempts == attempt,
        )
        .values(**values)
        .returning(*T.c)
    )
    row = result.first()
    return None if row is None else LedgerEntry.model_validate(row)


async def _finish(
    key: str,
    team_id: str,
    session: AsyncSession,
    now: datetime | None,
    *,
    state: LedgerState,
    values: dict[str, Any],
) -> bool:
    require_team(team_id)
    result = await session.execute(
        update(T)
        .where(T.c.team_id == team_id, T.c.key == key, T.c.state == LedgerState.CLAIMED)
        .values(state=state, updated_at=utcnow(now), **values)
        .returning(T.c.key)
    )
    return result.first() is not None


async def made_since(
    *,
    team_id: str,
    kind: WriteKind,
    actor_user_id: str,
    since: datetime,
    session: AsyncSession,
    limit: int = 50,
) -> list[int]:
    """Tickets `actor_user_id`'s writes of `kind` made (done) since `since`, newest first."""
    require_team(team_id)
    stmt = (
        select(T.c.ticket_id)
        .where(
            T.c.team_id == team_id,
            T.c.kind == WriteKind(kind),
            T.c.actor_user_id == actor_user_id,
            T.c.state == LedgerState.DONE,
            T.c.updated_at >= since,
            T.c.ticket_id.is_not(None),
        )
        .order_by(T.c.updated_at.desc())
        .limit(limit)
    )
    return [int(r[0]) for r in await session.execute(stmt)]


async def get_entry(key: str, *, team_id: str, session: AsyncSession) -> LedgerEntry | None:
    """The current entry for `key`, or None if it was never claimed."""
    require_team(team_id)
    row = (await session.execute(select(T).where(T.c.team_id == team_id, T.c.key == key))).first()
    return None if row is None else LedgerEntry.model_validate(row)

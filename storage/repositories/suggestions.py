"""AI spin-off suggestions in threads: the database allows at most one open suggestion per thread."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import SuggestionRow, SuggestionState
from storage.repositories._common import Record, dialect_insert, require_team, table_of, utcnow

T = table_of(SuggestionRow)


class Suggestion(Record):
    """A spin-off suggestion and where it was posted."""

    id: str
    team_id: str
    channel_id: str
    thread_ts: str
    message_ts: str | None
    description: str
    state: SuggestionState
    ticket_id: int | None
    created_at: datetime
    updated_at: datetime


async def open_if_none(
    *,
    session: AsyncSession,
    team_id: str,
    suggestion_id: str,
    channel_id: str,
    thread_ts: str,
    description: str,
    now: datetime | None = None,
) -> bool:
    """Open suggestion `suggestion_id` unless the thread already has an open one; True if it was opened.

    Atomic under concurrency: the partial unique index decides, ON CONFLICT DO NOTHING reports it.
    """
    require_team(team_id)
    at = utcnow(now)
    stmt = (
        dialect_insert(session, T)
        .values(
            id=suggestion_id,
            team_id=team_id,
            channel_id=channel_id,
            thread_ts=thread_ts,
            description=description,
            state=SuggestionState.OPEN,
            created_at=at,
            updated_at=at,
        )
        # No conflict target: any unique violation (the one-open-per-thread index, or a reused id)
        # means "not opened"; SQLite and Postgres both accept this form.
        .on_conflict_do_nothing()
        .returning(T.c.id)
    )
    return (await session.execute(stmt)).first() is not None


async def set_message_ts(*, session: AsyncSession, team_id: str, suggestion_id: str, message_ts: str) -> bool:
    """Remember the ts of the posted suggestion message (so it can be updated later)."""
    require_team(team_id)
    result = await session.execute(
        update(T)
        .where(T.c.team_id == team_id, T.c.id == suggestion_id)
        .values(message_ts=message_ts)
        .returning(T.c.id)
    )
    return result.first() is not None


async def get_suggestion(*, session: AsyncSession, team_id: str, suggestion_id: str) -> Suggestion | None:
    """A suggestion by id, or None."""
    require_team(team_id)
    row = (await session.execute(select(T).where(T.c.team_id == team_id, T.c.id == suggestion_id))).first()
    return None if row is None else Suggestion.model_validate(row)


async def open_suggestion(
    *, session: AsyncSession, team_id: str, channel_id: str, thread_ts: str
) -> Suggestion | None:
    """The thread's open suggestion, or None."""
    require_team(team_id)
    row = (
        await session.execute(
            select(T).where(
                T.c.team_id == team_id,
                T.c.channel_id == channel_id,
                T.c.thread_ts == thread_ts,
                T.c.state == SuggestionState.OPEN,
            )
        )
    ).first()
    return None if row is None else Suggestion.model_validate(row)


async def dismiss(
    *, session: AsyncSession, team_id: str, suggestion_id: str, now: datetime | None = None
) -> Suggestion | None:
    """Dismiss an open suggestion; the dismissed suggestion, or None if it was not open."""
    return await _transition(
        session,
        team_id,
        suggestion_id,
        now,
        allowed_from=(SuggestionState.OPEN,),
        state=SuggestionState.DISMISSED,
    )


async def mark_created(
    *, session: AsyncSession, team_id: str, suggestion_id: str, ticket_id: int, now: datetime | None = None
) -> Suggestion | None:
    """Record the ticket created from a suggestion (even if it was dismissed meanwhile); None if unknown or
    already created."""
    return await _transition(
        session,
        team_id,
        suggestion_id,
        now,
        allowed_from=(SuggestionState.OPEN, SuggestionState.DISMISSED),
        state=SuggestionState.CREATED,
        ticket_id=ticket_id,
    )


async def _transition(
    session: AsyncSession,
    team_id: str,
    suggestion_id: str,
    now: datetime | None,
    *,
    allowed_from: tuple[SuggestionState, ...],
    state: SuggestionState,
    ticket_id: int | None = None,
) -> Suggestion | None:
    require_team(team_id)
    result = await session.execute(
        update(T)
        .where(T.c.team_id == team_id, T.c.id == suggestion_id, T.c.state.in_(allowed_from))
        .values(state=state, ticket_id=ticket_id, updated_at=utcnow(now))
        .returning(*T.c)
    )
    row = result.first()
    return None if row is None else Suggestion.model_validate(row)

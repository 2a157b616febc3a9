"""Slack threads linked to PSA tickets (re-linking a thread replaces its link)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ThreadLinkRow
from storage.repositories._common import Record, dialect_insert, require_team, table_of, utcnow

T = table_of(ThreadLinkRow)


class ThreadLink(Record):
    """A thread (channel + parent ts) linked to a ticket."""

    team_id: str
    channel_id: str
    thread_ts: str
    ticket_id: int
    company_id: int | None
    board_id: int | None
    linked_by: str
    linked_at: datetime
    context_seeded_at: datetime | None = None  # when its earlier messages were read from Slack
    context_messages: int = 0  # how many of its messages the app has known of, kept or not


async def link_thread(
    *,
    session: AsyncSession,
    team_id: str,
    channel_id: str,
    thread_ts: str,
    ticket_id: int,
    linked_by: str,
    company_id: int | None = None,
    board_id: int | None = None,
    context_seeded: bool = False,
    now: datetime | None = None,
) -> ThreadLink:
    """Link a thread to a ticket, replacing any earlier link of that thread.

    `context_seeded`: the thread has no earlier messages worth reading (the app just started it).
    A re-link keeps what was seeded: the thread's messages are the same whatever ticket it follows.
    """
    require_team(team_id)
    values = {
        "ticket_id": ticket_id,
        "company_id": company_id,
        "board_id": board_id,
        "linked_by": linked_by,
        "linked_at": utcnow(now),
    }
    seeded = utcnow(now) if context_seeded else None
    stmt = dialect_insert(session, T).values(
        team_id=team_id, channel_id=channel_id, thread_ts=thread_ts, context_seeded_at=seeded, **values
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[T.c.team_id, T.c.channel_id, T.c.thread_ts], set_=values
    )
    row = (await session.execute(stmt.returning(*T.c))).one()
    return ThreadLink.model_validate(row)


async def get_thread_link(
    *, session: AsyncSession, team_id: str, channel_id: str, thread_ts: str
) -> ThreadLink | None:
    """The ticket a thread is linked to, or None."""
    require_team(team_id)
    result = await session.execute(
        select(T).where(T.c.team_id == team_id, T.c.channel_id == channel_id, T.c.thread_ts == thread_ts)
    )
    row = result.first()
    return None if row is None else ThreadLink.model_validate(row)


async def claim_context_seed(
    *, session: AsyncSession, team_id: str, channel_id: str, thread_ts: str, now: datetime | None = None
) -> bool:
    """Take the linked thread's one read of its earlier messages; True for exactly one caller, ever."""
    require_team(team_id)
    result = await session.execute(
        update(T)
        .where(
            T.c.team_id == team_id,
            T.c.channel_id == channel_id,
            T.c.thread_ts == thread_ts,
            T.c.context_seeded_at.is_(None),
        )
        .values(context_seeded_at=utcnow(now))
        .returning(T.c.ticket_id)
    )
    return result.first() is not None


async def count_context(
    *, session: AsyncSession, team_id: str, channel_id: str, thread_ts: str, messages: int
) -> None:
    """Add `messages` to what the app has known of a linked thread (negative: their authors deleted them)."""
    require_team(team_id)
    if messages:
        await session.execute(
            update(T)
            .where(T.c.team_id == team_id, T.c.channel_id == channel_id, T.c.thread_ts == thread_ts)
            .values(context_messages=T.c.context_messages + messages)
        )


async def links_for_ticket(*, session: AsyncSession, team_id: str, ticket_id: int) -> list[ThreadLink]:
    """Every thread linked to a ticket, oldest link first."""
    require_team(team_id)
    result = await session.execute(
        select(T).where(T.c.team_id == team_id, T.c.ticket_id == ticket_id).order_by(T.c.linked_at)
    )
    return [ThreadLink.model_validate(row) for row in result]


async def unlink_thread(*, session: AsyncSession, team_id: str, channel_id: str, thread_ts: str) -> bool:
    """Remove a thread's link; True if there was one."""
    require_team(team_id)
    result = await session.execute(
        delete(T)
        .where(T.c.team_id == team_id, T.c.channel_id == channel_id, T.c.thread_ts == thread_ts)
        .returning(T.c.ticket_id)
    )
    return result.first() is not None

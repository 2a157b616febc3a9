"""Slack user ↔ PSA member mappings: one member per Slack user and one Slack user per member."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.errors import MappingConflictError
from storage.models import MemberMappingRow
from storage.repositories._common import Record, dialect_insert, require_team, table_of, utcnow

T = table_of(MemberMappingRow)


class MemberMapping(Record):
    """A Slack user mapped to a PSA member in one workspace."""

    team_id: str
    slack_user_id: str
    psa_member_id: int
    member_identifier: str
    member_name: str
    mapped_by: str
    mapped_at: datetime


async def map_member(
    *,
    session: AsyncSession,
    team_id: str,
    slack_user_id: str,
    member_id: int,
    member_identifier: str,
    member_name: str,
    mapped_by: str,
    reassign: bool = False,
    now: datetime | None = None,
) -> MemberMapping:
    """Map (or re-map) a Slack user to a PSA member.

    Raises MappingConflictError when another Slack user holds the member, unless `reassign` (an admin
    moving the member) removes that other mapping first.
    """
    require_team(team_id)
    values = {
        "psa_member_id": member_id,
        "member_identifier": member_identifier,
        "member_name": member_name,
        "mapped_by": mapped_by,
        "mapped_at": utcnow(now),
    }
    if reassign:
        await session.execute(
            delete(T).where(
                T.c.team_id == team_id, T.c.psa_member_id == member_id, T.c.slack_user_id != slack_user_id
            )
        )
    stmt = dialect_insert(session, T).values(team_id=team_id, slack_user_id=slack_user_id, **values)
    stmt = stmt.on_conflict_do_update(index_elements=[T.c.team_id, T.c.slack_user_id], set_=values)
    try:
        # The savepoint keeps the caller's transaction usable after a unique violation (Postgres).
        async with session.begin_nested():
            row = (await session.execute(stmt.returning(*T.c))).one()
    except IntegrityError as exc:
        holder = await get_mapping_by_member(session=session, team_id=team_id, member_id=member_id)
        raise MappingConflictError(
            member_id=member_id, mapped_to=holder.slack_user_id if holder else None
        ) from exc
    return MemberMapping.model_validate(row)


async def unmap_member(*, session: AsyncSession, team_id: str, slack_user_id: str) -> MemberMapping | None:
    """Remove a Slack user's mapping; returns what was removed (None if there was none)."""
    require_team(team_id)
    result = await session.execute(
        delete(T).where(T.c.team_id == team_id, T.c.slack_user_id == slack_user_id).returning(*T.c)
    )
    row = result.first()
    return None if row is None else MemberMapping.model_validate(row)


async def get_mapping(*, session: AsyncSession, team_id: str, slack_user_id: str) -> MemberMapping | None:
    """The mapping of a Slack user, or None when unmapped."""
    require_team(team_id)
    result = await session.execute(
        select(T).where(T.c.team_id == team_id, T.c.slack_user_id == slack_user_id)
    )
    row = result.first()
    return None if row is None else MemberMapping.model_validate(row)


async def get_mapping_by_member(
    *, session: AsyncSession, team_id: str, member_id: int
) -> MemberMapping | None:
    """The mapping that holds a PSA member, or None when nobody is mapped to it."""
    require_team(team_id)
    result = await session.execute(select(T).where(T.c.team_id == team_id, T.c.psa_member_id == member_id))
    row = result.first()
    return None if row is None else MemberMapping.model_validate(row)


async def list_mappings(*, session: AsyncSession, team_id: str) -> list[MemberMapping]:
    """Every mapping of the workspace, by member name."""
    require_team(team_id)
    result = await session.execute(
        select(T).where(T.c.team_id == team_id).order_by(T.c.member_name, T.c.slack_user_id)
    )
    return [MemberMapping.model_validate(row) for row in result]

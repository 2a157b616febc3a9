"""Who may use the app in a workspace (its access settings) and users' pending mapping requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AccessSettingsRow, MappingRequestRow, MappingRequestState
from storage.repositories._common import Record, dialect_insert, require_team, table_of, utcnow

S = table_of(AccessSettingsRow)
R = table_of(MappingRequestRow)


class AccessSettings(Record):
    """A workspace's access rules; the defaults (no row) let anyone read and every mapped user write."""

    unmapped_can_read: bool = True
    usergroup_id: str | None = None
    usergroup_handle: str | None = None
    channel_ids: tuple[str, ...] = ()
    restrict_reads: bool = False
    updated_by: str | None = None
    updated_at: datetime | None = None

    @property
    def restricted(self) -> bool:
        """Whether writes are limited to a user group or to channels."""
        return self.usergroup_id is not None or bool(self.channel_ids)


class MappingRequest(Record):
    """A user's request to be mapped to a member without an e-mail match."""

    team_id: str
    slack_user_id: str
    psa_member_id: int
    member_identifier: str
    member_name: str
    state: MappingRequestState
    requested_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None


async def get_settings(*, session: AsyncSession, team_id: str) -> AccessSettings:
    """The workspace's access settings (the defaults when none were saved)."""
    require_team(team_id)
    row = (await session.execute(select(S).where(S.c.team_id == team_id))).one_or_none()
    if row is None:
        return AccessSettings()
    values = row._asdict()
    values["channel_ids"] = tuple(values.get("channel_ids") or ())
    return AccessSettings.model_validate(values)


async def save_settings(
    *,
    session: AsyncSession,
    team_id: str,
    settings: AccessSettings,
    updated_by: str,
    now: datetime | None = None,
) -> AccessSettings:
    """Replace the workspace's access settings."""
    require_team(team_id)
    values = {
        "unmapped_can_read": settings.unmapped_can_read,
        "usergroup_id": settings.usergroup_id,
        "usergroup_handle": settings.usergroup_handle if settings.usergroup_id else None,
        "channel_ids": list(dict.fromkeys(settings.channel_ids)),
        "restrict_reads": settings.restrict_reads,
        "updated_by": updated_by,
        "updated_at": utcnow(now),
    }
    stmt = dialect_insert(session, S).values(team_id=team_id, **values)
    await session.execute(stmt.on_conflict_do_update(index_elements=[S.c.team_id], set_=values))
    return await get_settings(session=session, team_id=team_id)


async def request_mapping(
    *,
    session: AsyncSession,
    team_id: str,
    slack_user_id: str,
    member_id: int,
    member_identifier: str,
    member_name: str,
    now: datetime | None = None,
) -> MappingRequest:
    """Record (or replace) a user's pending request for a member."""
    require_team(team_id)
    values = {
        "psa_member_id": member_id,
        "member_identifier": member_identifier,
        "member_name": member_name,
        "state": MappingRequestState.PENDING.value,
        "requested_at": utcnow(now),
        "decided_by": None,
        "decided_at": None,
    }
    stmt = dialect_insert(session, R).values(team_id=team_id, slack_user_id=slack_user_id, **values)
    stmt = stmt.on_conflict_do_update(index_elements=[R.c.team_id, R.c.slack_user_id], set_=values)
    row = (await session.execute(stmt.returning(*R.c))).one()
    return MappingRequest.model_validate(row)


async def get_request(*, session: AsyncSession, team_id: str, slack_user_id: str) -> MappingRequest | None:
    """A user's latest mapping request."""
    require_team(team_id)
    row = (
        await session.execute(select(R).where(R.c.team_id == team_id, R.c.slack_user_id == slack_user_id))
    ).one_or_none()
    return None if row is None else MappingRequest.model_validate(row)


async def decide_request(
    *,
    session: AsyncSession,
    team_id: str,
    slack_user_id: str,
    member_id: int,
    state: MappingRequestState,
    decided_by: str,
    now: datetime | None = None,
) -> MappingRequest | None:
    """Approve or deny a pending request for `member_id`; None when it was decided already (or replaced)."""
    require_team(team_id)
    stmt = (
        update(R)
        .where(
            R.c.team_id == team_id,
            R.c.slack_user_id == slack_user_id,
            R.c.psa_member_id == member_id,
            R.c.state == MappingRequestState.PENDING.value,
        )
        .values(state=state.value, decided_by=decided_by, decided_at=utcnow(now))
        .returning(*R.c)
    )
    row = (await session.execute(stmt)).one_or_none()
    return None if row is None else MappingRequest.model_validate(row)

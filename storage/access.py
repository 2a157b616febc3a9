"""One workspace's access settings and mapping requests, each call one transaction."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditAction, MappingRequestState
from storage.repositories import access, audit, engineer_keys, mappings
from storage.repositories._common import require_team
from storage.repositories.access import AccessSettings, MappingRequest
from storage.repositories.mappings import MemberMapping

SessionFactory = Callable[[], AbstractAsyncContextManager[AsyncSession]]


class AccessStore:
    """Who may use the app in one workspace, and the mapping requests admins decide on."""

    def __init__(self, team_id: str, *, write: SessionFactory, read: SessionFactory) -> None:
        self.team_id = require_team(team_id)
        self._write = write
        self._read = read

    async def settings(self) -> AccessSettings:
        """The access settings (defaults when none were saved)."""
        async with self._read() as s:
            return await access.get_settings(session=s, team_id=self.team_id)

    async def save_settings(self, settings: AccessSettings, *, updated_by: str) -> AccessSettings:
        """Replace the access settings: who changed them is kept with them, and the audit log gets the
        settings before and after (same transaction)."""
        async with self._write() as s:
            before = await access.get_settings(session=s, team_id=self.team_id)
            saved = await access.save_settings(
                session=s, team_id=self.team_id, settings=settings, updated_by=updated_by
            )
            await audit.record(
                session=s,
                team_id=self.team_id,
                slack_user_id=updated_by,
                action=AuditAction.ACCESS_CHANGE,
                detail={"before": _policy(before), "after": _policy(saved)},
            )
            return saved

    async def request_mapping(
        self, slack_user_id: str, *, member_id: int, member_identifier: str, member_name: str
    ) -> MappingRequest:
        """Record a user's pending request for a member (replacing an earlier one)."""
        async with self._write() as s:
            return await access.request_mapping(
                session=s,
                team_id=self.team_id,
                slack_user_id=slack_user_id,
                member_id=member_id,
                member_identifier=member_identifier,
                member_name=member_name,
            )

    async def request(self, slack_user_id: str) -> MappingRequest | None:
        """A user's latest mapping request."""
        async with self._read() as s:
            return await access.get_request(session=s, team_id=self.team_id, slack_user_id=slack_user_id)

    async def deny(self, slack_user_id: str, *, member_id: int, denied_by: str) -> MappingRequest | None:
        """Deny a pending request, audited (None when it was decided already or replaced by another)."""
        async with self._write() as s:
            denied = await access.decide_request(
                session=s,
                team_id=self.team_id,
                slack_user_id=slack_user_id,
                member_id=member_id,
                state=MappingRequestState.DENIED,
                decided_by=denied_by,
            )
            if denied is not None:
                await audit.record(
                    session=s,
                    team_id=self.team_id,
                    slack_user_id=denied_by,
                    action=AuditAction.MAPPING_DENIED,
                    detail={
                        "slack_user_id": slack_user_id,
                        "member_id": member_id,
                        "member": denied.member_identifier,
                    },
                )
            return denied

    async def approve(
        self, slack_user_id: str, *, member_id: int, approved_by: str
    ) -> tuple[MappingRequest, MemberMapping] | None:
        """Approve a pending request and map the user, in one transaction (audited as a mapping by the
        admin). None when it was decided already; MappingConflictError (nothing changed) when someone
        else holds the member by now."""
        async with self._write() as s:
            decided = await access.decide_request(
                session=s,
                team_id=self.team_id,
                slack_user_id=slack_user_id,
                member_id=member_id,
                state=MappingRequestState.APPROVED,
                decided_by=approved_by,
            )
            if decided is None:
                return None
            mapping = await mappings.map_member(
                session=s,
                team_id=self.team_id,
                slack_user_id=slack_user_id,
                member_id=member_id,
                member_identifier=decided.member_identifier,
                member_name=decided.member_name,
                mapped_by=approved_by,
            )
            keys = await engineer_keys.get_keys_info(
                session=s, team_id=self.team_id, slack_user_id=slack_user_id
            )
            if keys is not None and keys.psa_member_id != member_id:
                await engineer_keys.delete_keys(session=s, team_id=self.team_id, slack_user_id=slack_user_id)
            await audit.record(
                session=s,
                team_id=self.team_id,
                slack_user_id=approved_by,
                action=AuditAction.MAP,
                detail={
                    "slack_user_id": slack_user_id,
                    "member_id": member_id,
                    "member": decided.member_identifier,
                    "approved_request": True,
                },
            )
            return decided, mapping


def _policy(settings: AccessSettings) -> dict[str, object]:
    """The parts of the settings that decide who may do what (for the audit log)."""
    return settings.model_dump(
        mode="json",
        include={"unmapped_can_read", "usergroup_id", "usergroup_handle", "channel_ids", "restrict_reads"},
    )

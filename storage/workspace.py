"""One workspace's view of storage: its repositories bound to a team_id, each call one transaction.

`read(...)` / `write(...)` (storage/bound.py) run any repository function for the workspace, so a new
query is one function in `storage/repositories/` and no method here:

    link = await store.read(partial(thread_links.get_thread_link, channel_id=c, thread_ts=ts))

`ledger` and `engineer_keys` are the workspace's write ledger and keys. The methods below are units of
work of several repository calls (a change and its audit line, committed together), and `connection()`,
which decrypts with the secret box the workspace holds so that callers never handle it.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from storage.bound import SessionFactory, WorkspaceBound
from storage.crypto import SecretBox
from storage.models import AuditAction
from storage.repositories import audit, connections, engineer_keys, mappings
from storage.repositories.connections import ConnectionCredentials, ConnectionInfo, PSAConnection
from storage.repositories.mappings import MemberMapping
from storage.writes import EngineerKeyStore, WriteLedger


def _connection_detail(info: ConnectionInfo) -> dict[str, Any]:
    """What an audit line says of a connection (never its secret)."""
    return {"provider": info.provider_kind, "base_url": info.base_url, "company_id": info.company_id}


class WorkspaceStore(WorkspaceBound):
    """Storage for the bot, bound to one Slack workspace. Writes commit before returning."""

    def __init__(self, team_id: str, *, write: SessionFactory, read: SessionFactory, box: SecretBox) -> None:
        super().__init__(team_id, write=write, read=read)
        self._box = box
        self.ledger = WriteLedger(team_id, write=write, read=read)
        self.engineer_keys = EngineerKeyStore(team_id, write=write, read=read, box=box)

    # Connection
    async def connection(self) -> PSAConnection | None:
        """The PSA connection with the private key decrypted (as SecretStr)."""
        return await self.read(partial(connections.get_connection, box=self._box))

    async def save_connection(
        self, credentials: ConnectionCredentials, *, connected_by: str, enterprise_id: str | None = None
    ) -> ConnectionInfo:
        """Store (or replace) the connection and audit it (never with the secret)."""
        async with self._write() as s:
            info = await connections.save_connection(
                session=s,
                team_id=self.team_id,
                credentials=credentials,
                connected_by=connected_by,
                box=self._box,
                enterprise_id=enterprise_id,
            )
            await audit.record(
                session=s,
                team_id=self.team_id,
                slack_user_id=connected_by,
                action=AuditAction.CONNECT,
                detail=_connection_detail(info),
            )
            return info

    async def delete_connection(self, *, disconnected_by: str | None = None) -> bool:
        """Forget the connection (audited, with who did it, when there was one)."""
        async with self._write() as s:
            info = await connections.get_connection_info(session=s, team_id=self.team_id)
            removed = await connections.delete_connection(session=s, team_id=self.team_id)
            if removed and info is not None and disconnected_by is not None:
                await audit.record(
                    session=s,
                    team_id=self.team_id,
                    slack_user_id=disconnected_by,
                    action=AuditAction.DISCONNECT,
                    detail=_connection_detail(info),
                )
            return removed

    # Member mappings
    async def map_member(
        self,
        slack_user_id: str,
        *,
        member_id: int,
        member_identifier: str,
        member_name: str,
        mapped_by: str,
        reassign: bool = False,
    ) -> MemberMapping:
        """Map a Slack user to a PSA member (MappingConflictError if someone else holds it) and audit it."""
        async with self._write() as s:
            mapping = await mappings.map_member(
                session=s,
                team_id=self.team_id,
                slack_user_id=slack_user_id,
                member_id=member_id,
                member_identifier=member_identifier,
                member_name=member_name,
                mapped_by=mapped_by,
                reassign=reassign,
            )
            # Own keys belong to one member: a user mapped to another member must enter theirs again.
            keys = await engineer_keys.get_keys_info(
                session=s, team_id=self.team_id, slack_user_id=slack_user_id
            )
            if keys is not None and keys.psa_member_id != member_id:
                await engineer_keys.delete_keys(session=s, team_id=self.team_id, slack_user_id=slack_user_id)
            detail = {"slack_user_id": slack_user_id, "member_id": member_id, "member": member_identifier}
            await audit.record(
                session=s,
                team_id=self.team_id,
                slack_user_id=mapped_by,
                action=AuditAction.MAP,
                detail=detail,
            )
            return mapping

    async def unmap_member(self, slack_user_id: str, *, unmapped_by: str) -> MemberMapping | None:
        """Remove a Slack user's mapping (audited when there was one)."""
        async with self._write() as s:
            removed = await mappings.unmap_member(
                session=s, team_id=self.team_id, slack_user_id=slack_user_id
            )
            await engineer_keys.delete_keys(session=s, team_id=self.team_id, slack_user_id=slack_user_id)
            if removed is not None:
                detail = {"slack_user_id": slack_user_id, "member_id": removed.psa_member_id}
                await audit.record(
                    session=s,
                    team_id=self.team_id,
                    slack_user_id=unmapped_by,
                    action=AuditAction.UNMAP,
                    detail=detail,
                )
            return removed


class SlackMemberMappingLookup(WorkspaceBound):
    """psa.service.MemberMappingLookup over stored mappings of one workspace (user_ref = Slack user id)."""

    def __init__(self, team_id: str, *, read: SessionFactory) -> None:
        super().__init__(team_id, write=read, read=read)  # never writes

    async def member_id_for(self, user_ref: str) -> int | None:
        """The PSA member id mapped to a Slack user, or None."""
        mapping = await self.read(partial(mappings.get_mapping, slack_user_id=user_ref))
        return None if mapping is None else mapping.psa_member_id

    async def mapped_member_ids(self) -> dict[int, str]:
        """PSA member id → Slack user id for every mapping of the workspace."""
        rows = await self.read(mappings.list_mappings)
        return {m.psa_member_id: m.slack_user_id for m in rows}

"""One workspace's view of storage: every method is bound to a team_id and runs its own transaction."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import SecretBox
from storage.models import AuditAction
from storage.repositories import (
    audit,
    connections,
    engineer_keys,
    events,
    ledger,
    mappings,
    suggestions,
    thread_links,
)
from storage.repositories._common import require_team
from storage.repositories.audit import AuditEvent
from storage.repositories.connections import ConnectionCredentials, ConnectionInfo, PSAConnection
from storage.repositories.ledger import ClaimResult, LedgerEntry
from storage.repositories.mappings import MemberMapping
from storage.repositories.suggestions import Suggestion
from storage.repositories.thread_links import ThreadLink

SessionFactory = Callable[[], AbstractAsyncContextManager[AsyncSession]]


class WorkspaceStore:
    """Convenience API for the bot, bound to one Slack workspace. Writes commit before returning."""

    def __init__(self, team_id: str, *, write: SessionFactory, read: SessionFactory, box: SecretBox) -> None:
        self.team_id = require_team(team_id)
        self._write = write
        self._read = read
        self._box = box

    # Connection
    async def connection_info(self) -> ConnectionInfo | None:
        """The PSA connection without its secret."""
        async with self._read() as s:
            return await connections.get_connection_info(session=s, team_id=self.team_id)

    async def connection(self) -> PSAConnection | None:
        """The PSA connection with the private key decrypted (as SecretStr)."""
        async with self._read() as s:
            return await connections.get_connection(session=s, team_id=self.team_id, box=self._box)

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
            detail = {
                "provider": info.provider_kind,
                "base_url": info.base_url,
                "company_id": info.company_id,
            }
            await audit.record(
                session=s,
                team_id=self.team_id,
                slack_user_id=connected_by,
                action=AuditAction.CONNECT,
                detail=detail,
            )
            return info

    async def delete_connection(self, *, disconnected_by: str | None = None) -> bool:
        """Forget the connection (audited, with who did it, when there was one)."""
        async with self._write() as s:
            info = await connections.get_connection_info(session=s, team_id=self.team_id)
            removed = await connections.delete_connection(session=s, team_id=self.team_id)
            if removed and info is not None and disconnected_by is not None:
                detail = {
                    "provider": info.provider_kind,
                    "base_url": info.base_url,
                    "company_id": info.company_id,
                }
                await audit.record(
                    session=s,
                    team_id=self.team_id,
                    slack_user_id=disconnected_by,
                    action=AuditAction.DISCONNECT,
                    detail=detail,
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

    async def mapping(self, slack_user_id: str) -> MemberMapping | None:
        """A Slack user's mapping."""
        async with self._read() as s:
            return await mappings.get_mapping(session=s, team_id=self.team_id, slack_user_id=slack_user_id)

    async def mapping_by_member(self, member_id: int) -> MemberMapping | None:
        """The mapping holding a PSA member."""
        async with self._read() as s:
            return await mappings.get_mapping_by_member(session=s, team_id=self.team_id, member_id=member_id)

    async def mappings(self) -> list[MemberMapping]:
        """All mappings of the workspace."""
        async with self._read() as s:
            return await mappings.list_mappings(session=s, team_id=self.team_id)

    # Thread links
    async def link_thread(
        self,
        channel_id: str,
        thread_ts: str,
        *,
        ticket_id: int,
        linked_by: str,
        company_id: int | None = None,
        board_id: int | None = None,
        context_seeded: bool = False,
    ) -> ThreadLink:
        """Link a thread to a ticket (replacing an earlier link); `context_seeded` when the app just
        started the thread, so it has no earlier messages to read."""
        async with self._write() as s:
            return await thread_links.link_thread(
                session=s,
                team_id=self.team_id,
                channel_id=channel_id,
                thread_ts=thread_ts,
                ticket_id=ticket_id,
                linked_by=linked_by,
                company_id=company_id,
                board_id=board_id,
                context_seeded=context_seeded,
            )

    async def thread_link(self, channel_id: str, thread_ts: str) -> ThreadLink | None:
        """The ticket linked to a thread."""
        async with self._read() as s:
            return await thread_links.get_thread_link(
                session=s, team_id=self.team_id, channel_id=channel_id, thread_ts=thread_ts
            )

    # Idempotency ledger
    async def claim(self, key: str, *, stale_after: timedelta = ledger.DEFAULT_STALE_AFTER) -> ClaimResult:
        """Claim an idempotency key (committed before returning, so the PSA call runs outside any lock)."""
        async with self._write() as s:
            return await ledger.claim(key, team_id=self.team_id, session=s, stale_after=stale_after)

    async def complete(self, key: str, ticket_id: int) -> bool:
        """Mark a claimed key done with its ticket."""
        async with self._write() as s:
            return await ledger.complete(key, ticket_id, team_id=self.team_id, session=s)

    async def fail(self, key: str, error: str) -> bool:
        """Mark a claimed key failed (a later claim retries it)."""
        async with self._write() as s:
            return await ledger.fail(key, error, team_id=self.team_id, session=s)

    async def uncertain(self, key: str, error: str) -> bool:
        """Mark a claimed key uncertain (the PSA may have done it; the next claim reconciles first)."""
        async with self._write() as s:
            return await ledger.uncertain(key, error, team_id=self.team_id, session=s)

    async def ledger_entry(self, key: str) -> LedgerEntry | None:
        """The state of an idempotency key."""
        async with self._read() as s:
            return await ledger.get_entry(key, team_id=self.team_id, session=s)

    # Spin-off suggestions
    async def open_suggestion_if_none(
        self, suggestion_id: str, *, channel_id: str, thread_ts: str, description: str
    ) -> bool:
        """Open a suggestion unless the thread has one open; True if opened."""
        async with self._write() as s:
            return await suggestions.open_if_none(
                session=s,
                team_id=self.team_id,
                suggestion_id=suggestion_id,
                channel_id=channel_id,
                thread_ts=thread_ts,
                description=description,
            )

    async def set_suggestion_message(self, suggestion_id: str, message_ts: str) -> bool:
        """Remember where the suggestion was posted."""
        async with self._write() as s:
            return await suggestions.set_message_ts(
                session=s, team_id=self.team_id, suggestion_id=suggestion_id, message_ts=message_ts
            )

    async def suggestion(self, suggestion_id: str) -> Suggestion | None:
        """A suggestion by id."""
        async with self._read() as s:
            return await suggestions.get_suggestion(
                session=s, team_id=self.team_id, suggestion_id=suggestion_id
            )

    async def dismiss_suggestion(self, suggestion_id: str) -> Suggestion | None:
        """Dismiss an open suggestion."""
        async with self._write() as s:
            return await suggestions.dismiss(session=s, team_id=self.team_id, suggestion_id=suggestion_id)

    async def suggestion_created(self, suggestion_id: str, ticket_id: int) -> Suggestion | None:
        """Record the ticket created from a suggestion."""
        async with self._write() as s:
            return await suggestions.mark_created(
                session=s, team_id=self.team_id, suggestion_id=suggestion_id, ticket_id=ticket_id
            )

    # Events and audit
    async def first_time_event(self, event_id: str) -> bool:
        """True the first time a Slack event_id is seen."""
        async with self._write() as s:
            return await events.first_time(session=s, team_id=self.team_id, event_id=event_id)

    async def audit(
        self,
        slack_user_id: str,
        action: AuditAction,
        *,
        ticket_id: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> AuditEvent:
        """Record an audit event."""
        async with self._write() as s:
            return await audit.record(
                session=s,
                team_id=self.team_id,
                slack_user_id=slack_user_id,
                action=action,
                ticket_id=ticket_id,
                detail=detail,
            )

    async def audit_log(self, *, ticket_id: int | None = None, limit: int = 50) -> list[AuditEvent]:
        """Recent audit events, newest first."""
        async with self._read() as s:
            return await audit.list_events(session=s, team_id=self.team_id, ticket_id=ticket_id, limit=limit)


class SlackMemberMappingLookup:
    """psa.service.MemberMappingLookup over stored mappings of one workspace (user_ref = Slack user id)."""

    def __init__(self, team_id: str, *, read: SessionFactory) -> None:
        self.team_id = require_team(team_id)
        self._read = read

    async def member_id_for(self, user_ref: str) -> int | None:
        """The PSA member id mapped to a Slack user, or None."""
        async with self._read() as s:
            mapping = await mappings.get_mapping(session=s, team_id=self.team_id, slack_user_id=user_ref)
        return None if mapping is None else mapping.psa_member_id

    async def mapped_member_ids(self) -> dict[int, str]:
        """PSA member id → Slack user id for every mapping of the workspace."""
        async with self._read() as s:
            rows = await mappings.list_mappings(session=s, team_id=self.team_id)
        return {m.psa_member_id: m.slack_user_id for m in rows}

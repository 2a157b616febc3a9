"""One workspace's writes and engineers' keys, each call one transaction.

`WriteLedger.complete` marks the write done and appends its audit row in the same transaction: a write
is either recorded as done with its audit line, or not recorded at all (and then recovery looks at it).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from storage.bound import SessionFactory, WorkspaceBound
from storage.crypto import SecretBox
from storage.models import AuditAction, WriteKind
from storage.repositories import audit, engineer_keys, ledger
from storage.repositories.engineer_keys import EngineerKeys, EngineerKeysInfo
from storage.repositories.ledger import ClaimResult, LedgerEntry


class AuditEntry(BaseModel):
    """The audit line a finished write leaves: what, and on whose behalf the PSA was written."""

    model_config = ConfigDict(frozen=True)

    action: AuditAction
    detail: dict[str, Any] = Field(default_factory=dict)
    psa_member_id: int | None = None
    attribution: str | None = None  # psa.models.Attribution value


class WriteLedger(WorkspaceBound):
    """The idempotency ledger of one workspace (see storage.repositories.ledger for the protocol)."""

    async def claim(
        self,
        key: str,
        *,
        kind: WriteKind,
        actor_user_id: str,
        actor_member_id: int | None = None,
        ticket_id: int | None = None,
        payload: Mapping[str, Any] | None = None,
        stale_after: timedelta = ledger.DEFAULT_STALE_AFTER,
    ) -> ClaimResult:
        """Claim a write before calling the PSA (committed before returning)."""
        claiming = partial(
            ledger.claim,
            key,
            kind=kind,
            actor_user_id=actor_user_id,
            actor_member_id=actor_member_id,
            ticket_id=ticket_id,
            payload=payload,
            stale_after=stale_after,
        )
        return await self.write(claiming)

    async def complete(
        self,
        key: str,
        *,
        ticket_id: int | None,
        result: Mapping[str, Any] | None = None,
        audit_entry: AuditEntry | None = None,
    ) -> bool:
        """Mark the write done and append its audit row, in one transaction; False (and no audit row)
        when the key was not claimed."""
        async with self._write() as s:
            done = await ledger.complete(key, ticket_id, team_id=self.team_id, session=s, result=result)
            if done and audit_entry is not None:
                entry = await ledger.get_entry(key, team_id=self.team_id, session=s)
                await audit.record(
                    session=s,
                    team_id=self.team_id,
                    slack_user_id=(entry.actor_user_id if entry else None) or "",
                    action=audit_entry.action,
                    ticket_id=ticket_id,
                    detail=audit_entry.detail,
                    psa_member_id=audit_entry.psa_member_id,
                    attribution=audit_entry.attribution,
                    ledger_key=key,
                )
            return done

    async def fail(self, key: str, error: str) -> bool:
        """The PSA refused the write: nothing was written (a later claim retries)."""
        return await self.write(partial(ledger.fail, key, error))

    async def uncertain(self, key: str, error: str) -> bool:
        """The PSA may have performed the write: whoever claims it next reconciles first."""
        return await self.write(partial(ledger.uncertain, key, error))

    async def set_payload(self, key: str, payload: Mapping[str, Any]) -> bool:
        """Add to a claimed write's payload (e.g. the marker put on a ticket, where the user waits)."""
        return await self.write(partial(ledger.set_payload, key, payload))

    async def renew(
        self, key: str, *, attempt: int, payload: Mapping[str, Any] | None = None
    ) -> LedgerEntry | None:
        """Keep holding a claim (attempt `attempt`), merging `payload`; None when it is no longer ours."""
        return await self.write(partial(ledger.renew, key, attempt=attempt, payload=payload))

    async def made_since(self, kind: WriteKind, actor_user_id: str, since: datetime) -> list[int]:
        """Tickets a user's writes of `kind` made since `since` (e.g. the tickets they created)."""
        return await self.read(
            partial(ledger.made_since, kind=kind, actor_user_id=actor_user_id, since=since)
        )

    async def entry(self, key: str) -> LedgerEntry | None:
        """The state of a write."""
        return await self.read(partial(ledger.get_entry, key))


class EngineerKeyStore(WorkspaceBound):
    """Engineers' own PSA keys in one workspace; saving and removing them is audited in one transaction."""

    def __init__(self, team_id: str, *, write: SessionFactory, read: SessionFactory, box: SecretBox) -> None:
        super().__init__(team_id, write=write, read=read)
        self._box = box

    async def info(self, slack_user_id: str) -> EngineerKeysInfo | None:
        """A user's stored keys without the secret."""
        return await self.read(partial(engineer_keys.get_keys_info, slack_user_id=slack_user_id))

    async def keys(self, slack_user_id: str) -> EngineerKeys | None:
        """A user's stored keys with the private key decrypted (only to build their provider)."""
        return await self.read(partial(engineer_keys.get_keys, slack_user_id=slack_user_id, box=self._box))

    async def save(
        self,
        slack_user_id: str,
        *,
        psa_member_id: int,
        public_key: str,
        private_key: SecretStr,
        base_url: str,
        company_id: str,
        saved_by: str,
    ) -> EngineerKeysInfo:
        """Store validated keys (encrypted) and audit it (never with the secret)."""
        async with self._write() as s:
            info = await engineer_keys.save_keys(
                session=s,
                team_id=self.team_id,
                slack_user_id=slack_user_id,
                psa_member_id=psa_member_id,
                public_key=public_key,
                private_key=private_key,
                base_url=base_url,
                company_id=company_id,
                box=self._box,
            )
            await audit.record(
                session=s,
                team_id=self.team_id,
                slack_user_id=saved_by,
                action=AuditAction.MEMBER_KEYS_SAVED,
                detail={"slack_user_id": slack_user_id, "public_key": public_key, "site": base_url},
                psa_member_id=psa_member_id,
            )
            return info

    async def delete(self, slack_user_id: str, *, removed_by: str) -> bool:
        """Forget a user's keys (audited when there were some)."""
        async with self._write() as s:
            removed = await engineer_keys.delete_keys(
                session=s, team_id=self.team_id, slack_user_id=slack_user_id
            )
            if removed is not None:
                await audit.record(
                    session=s,
                    team_id=self.team_id,
                    slack_user_id=removed_by,
                    action=AuditAction.MEMBER_KEYS_REMOVED,
                    detail={"slack_user_id": slack_user_id, "public_key": removed.public_key},
                    psa_member_id=removed.psa_member_id,
                )
            return removed is not None

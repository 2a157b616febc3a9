"""One create under its idempotency key, as the engineer: the claim, the lease, the marker, the write.

The claim (made before Slack's ack) keeps what recovery needs in the ledger entry: the draft snapshot,
the modal, the marker. Whoever holds the claim keeps its lease alive while it works (`held`): a claim
whose lease lapsed belongs to a process that died, and recovery (`bot.flows.create.recover`) takes it
over. Before the POST the entry is marked `sent`; whoever finds `sent` (a take-over, a retried job, a
resubmitted form) looks for the ticket by its marker first, so a ticket is never made twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.flows.context import FlowContext
from bot.state import TicketDraft
from bot.workspaces import Writer
from psa.errors import PSAError
from psa.models import PSATicketCreated
from psa.service import creation_marker
from storage import AuditAction, AuditEntry, LedgerEntry, WriteLedger

log = logging.getLogger(__name__)

SENT = "sent"  # payload flag: the POST may have reached the PSA
RETRIED = "retried"  # payload flag: recovery already created it again once
CONFIRMED = "confirmed"  # payload: the ticket whose confirmation was posted (never posted twice)


def lease_of(ctx: FlowContext) -> timedelta:
    """How long a claim nobody renews stays its holder's: the job engine's own notion of a dead worker."""
    return timedelta(seconds=ctx.deps.settings.jobs_stalled_after)


def marker_for(team_id: str, key: str) -> str:
    """The marker a create's ticket carries in the PSA: the same for every attempt of one create."""
    return creation_marker(f"{team_id}:{key}")


def claim_payload(ctx: FlowContext, draft: TicketDraft, view_id: str | None) -> dict[str, Any]:
    """What a claim keeps for recovery: where the draft is, where the user waits, the marker."""
    return {
        "snapshot": draft.snapshot,
        "view_id": view_id,
        "marker": marker_for(ctx.team_id, draft.idempotency_key),
        "summary": (draft.summary or "")[:200],
        "enterprise_id": ctx.item.enterprise_id,
    }


@dataclass
class Held:
    """A claim this run holds: attempt `attempt` of `key`."""

    ledger: WriteLedger
    key: str
    attempt: int

    async def confirmed(self, ticket_id: int) -> None:
        """Record that the confirmation of `ticket_id` was posted (before the create is completed)."""
        await self.renew(**{CONFIRMED: ticket_id})

    async def renew(self, **payload: Any) -> LedgerEntry | None:
        """Renew the lease (merging `payload`); None when the claim is no longer this run's."""
        return await self.ledger.renew(self.key, attempt=self.attempt, payload=payload or None)

    @asynccontextmanager
    async def kept(self, lease: timedelta) -> AsyncIterator[None]:
        """Renew the lease in the background while the block runs (several times per lease)."""

        async def beat() -> None:
            every = max(0.05, lease.total_seconds() / 6)
            while True:
                await asyncio.sleep(every)
                try:
                    if await self.renew() is None:
                        log.warning("create %s: the claim was taken over while running", self.key)
                        return
                except Exception:
                    log.exception("create %s: renewing the claim failed", self.key)

        task = asyncio.create_task(beat(), name=f"lease-{self.key}")
        try:
            yield
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task


def ledger_of(ctx: FlowContext) -> WriteLedger:
    """The workspace's write ledger."""
    return ctx.deps.storage.ledger(ctx.team_id)


async def create_once(
    ctx: FlowContext,
    writer: Writer,
    draft: TicketDraft,
    held: Held,
    entry: LedgerEntry,
    *,
    may_create: bool = True,
    retry: bool = False,
) -> PSATicketCreated:
    """The ticket of this create: found by its marker when an earlier attempt may have sent it, else
    created now (as the engineer, carrying the marker). Raises PSAError, CouldNotLook, NotFound (an earlier
    attempt sent nothing and `may_create` is False) or LostClaim."""
    marker = marker_for(ctx.team_id, held.key)
    payload = draft.to_payload().model_copy(update={"marker": marker})
    if (entry.payload or {}).get(SENT):
        try:
            found = await writer.service.find_created(marker)
        except PSAError as exc:
            raise CouldNotLook(exc) from exc
        if found is not None:
            return found
        if not may_create:
            raise NotFound(held.key)
    flags: dict[str, Any] = {SENT: True, **({RETRIED: True} if retry else {})}
    if await held.renew(**flags) is None:
        raise LostClaim(held.key)
    return await writer.service.create_ticket(payload, acting=writer.acting)


class LostClaim(Exception):
    """Another run took the create over (this one was too slow to start): it only watches now."""

    def __init__(self, key: str) -> None:
        super().__init__(f"create {key} was taken over")
        self.key = key


class NotFound(Exception):
    """An attempt that may have been sent made no ticket, and this run may not create it again."""

    def __init__(self, key: str) -> None:
        super().__init__(f"create {key}: no ticket carries its marker")
        self.key = key


class CouldNotLook(Exception):
    """The PSA could not be asked whether an earlier attempt made the ticket: its fate stays unknown."""

    def __init__(self, error: PSAError) -> None:
        super().__init__(error.message)
        self.error = error


async def record_created(
    ctx: FlowContext, writer: Writer, draft: TicketDraft, held: Held, created: PSATicketCreated
) -> bool:
    """Mark the create done with its audit row (one transaction); False when it was not ours to finish."""
    detail: dict[str, Any] = {"summary": created.summary[:200], "tab": draft.tab}
    if draft.suggestion_id:
        detail["suggestion_id"] = draft.suggestion_id
    if draft.parent_ticket_id is not None:
        detail["parent_ticket_id"] = draft.parent_ticket_id
    audit = AuditEntry(
        action=AuditAction.CREATE,
        detail=detail,
        psa_member_id=writer.acting.member_id,
        attribution=writer.acting.attribution.value,
    )
    return await held.ledger.complete(
        held.key, ticket_id=created.id, result={"ticket_id": created.id}, audit_entry=audit
    )

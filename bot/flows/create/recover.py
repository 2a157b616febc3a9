"""Recovery of creates nobody is finishing: a process died holding one (its lease lapsed), or ConnectWise
never confirmed one. Run at start and periodically by the job engine (once per tick across processes);
each create is claimed through the ledger first, so one run takes it, whichever process it is in.

The run looks for the ticket by its marker: found → confirmed where the user started (the modal if still
open, else the thread or DM); not found → created once more (at most once), or, after that retry, told
plainly that no ticket was made. When the draft has expired (nothing to create again from), the marker is
still looked up first: "created as #N", or "not created" only when ConnectWise has no ticket with it, or
"may have been created" with what to check when ConnectWise cannot be asked.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot.flows.context import FlowContext, Surface
from bot.flows.create.attempt import CONFIRMED, Held, ledger_of, marker_for
from bot.flows.create.reconcile import UNCERTAIN
from bot.flows.create.run import run_held
from bot.flows.stored import kept_draft
from bot.flows.work import WorkItem, flow, work_item
from bot.state import StateError
from bot.views.create_status import TITLE, created_view
from bot.views.messages import error_message, ticket_created_message
from psa.errors import PSAError
from storage import AuditAction, AuditEntry, LedgerEntry, LedgerState, WriteKind

if TYPE_CHECKING:
    from bot.deps import AppDeps
    from bot.jobs import PeriodicRegistry

log = logging.getLogger(__name__)

NAME = "creates.recover"
RECOVER = "create.recover"
LOST_DRAFT = (
    "A ticket you started creating{what} could not be finished: the app restarted and the form has "
    "expired. ConnectWise has no ticket from it, so nothing was created; please start a new ticket."
)
UNSURE_DRAFT = (
    "A ticket you started creating{what} may have been created: the app restarted, the form has expired "
    "and ConnectWise could not be asked. Before creating it again, look in ConnectWise for a ticket whose "
    "External Reference is {marker} (or the board's newest tickets). The app keeps looking and will tell "
    "you here."
)
TOLD_UNSURE = "told_unsure"  # payload flag: the user was told once that the expired create is unknown


def register_create_recovery(deps: AppDeps, periodic: PeriodicRegistry) -> None:
    """Recover creates at start and every few seconds (as often as dead workers are looked for)."""

    async def tick() -> None:
        await recover_creates(deps)

    every = deps.jobs.config.recover_every if deps.jobs is not None else 10
    periodic.register_periodic(NAME, tick, every=every, at_start=True)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def recover_creates(deps: AppDeps, *, settle: timedelta | None = None) -> int:
    """Claim every create nobody is finishing and hand each to a `create.recover` run; how many.

    An uncertain create is left alone for `settle` (default: the lease) after its last attempt, so an
    answer ConnectWise is late with can land before the marker is looked up.
    """
    lease = timedelta(seconds=deps.settings.jobs_stalled_after)
    settle = lease if settle is None else settle
    now = deps.now()
    taken = 0
    for entry in await deps.storage.unfinished_writes(stale_after=lease, kinds=(WriteKind.CREATE,)):
        if entry.state == LedgerState.UNCERTAIN and _aware(entry.updated_at) > now - settle:
            continue
        ledger = deps.storage.ledger(entry.team_id)
        if not entry.actor_user_id:
            continue  # every create claims with its user; nobody could be told about this one
        claim = await ledger.claim(
            entry.key, kind=WriteKind.CREATE, actor_user_id=entry.actor_user_id, stale_after=lease
        )
        if not claim.won:
            continue  # another process took it first
        attempt = claim.entry.attempts
        payload = entry.payload or {}
        enterprise = payload.get("enterprise_id")
        item = work_item(
            RECOVER,
            {},
            team_id=entry.team_id,
            enterprise_id=str(enterprise) if enterprise else None,
            user_id=entry.actor_user_id,
            # No queueing key: a dead worker's own job for this create may be queued again meanwhile,
            # and must not make this one "already queued". The ledger claim keeps them apart.
            args={"key": entry.key, "attempt": attempt},
        )
        log.info("recovering create %s of team %s (attempt %d)", entry.key, entry.team_id, attempt)
        await deps.work.submit(item)
        taken += 1
    return taken


@flow(RECOVER, doing="finish creating the ticket")
async def resume_create(ctx: FlowContext, item: WorkItem) -> None:
    """Finish a create recovery claimed: look for its ticket by marker, then confirm or create it once."""
    key = str(item.args["key"])
    ledger = ledger_of(ctx)
    entry = await ledger.entry(key)
    if entry is None:
        return
    payload = entry.payload or {}
    view_id = str(payload.get("view_id") or "") or None
    ctx.surface = Surface(view_id=view_id, replace=True, title=TITLE, user_id=ctx.user_id)
    held = Held(ledger, key, int(item.args["attempt"]))
    try:
        draft = await kept_draft(ctx, str(payload.get("snapshot") or ""))
    except StateError:
        await _settle_expired(ctx, held, entry, view_id)
        return
    await run_held(ctx, draft, held, view_id=view_id, reconcile=True, recovering=True)


async def _settle_expired(ctx: FlowContext, held: Held, entry: LedgerEntry, view_id: str | None) -> None:
    """A create whose draft expired: never says "not created" before its marker was looked up."""
    payload = entry.payload or {}
    marker = str(payload.get("marker") or marker_for(ctx.team_id, held.key))
    summary = str(payload.get("summary") or "").strip()
    what = f" (“{summary[:150]}”)" if summary else ""
    try:
        found = await (await ctx.service()).find_created(marker)
    except PSAError as exc:
        if not payload.get(TOLD_UNSURE):  # told once; later runs look again, quietly until they know
            await ctx.dm(error_message(UNSURE_DRAFT.format(what=what, marker=marker)))
            await held.ledger.set_payload(held.key, {TOLD_UNSURE: True})
        await held.ledger.uncertain(held.key, f"{UNCERTAIN}{exc.message}")
        return
    if found is None:
        await held.ledger.fail(held.key, "the form's draft has expired; ConnectWise has no ticket from it")
        await ctx.dm(error_message(LOST_DRAFT.format(what=what)))
        return
    if payload.get(CONFIRMED) != found.id:
        if view_id is None or await ctx.update(created_view(found, found.url), view_id=view_id) is None:
            await ctx.dm(ticket_created_message(found, found.url))
        await held.confirmed(found.id)
    audit = AuditEntry(
        action=AuditAction.CREATE,
        detail={"summary": found.summary[:200], "recovered": "the draft had expired"},
        psa_member_id=entry.actor_member_id,
    )
    await held.ledger.complete(
        held.key, ticket_id=found.id, result={"ticket_id": found.id}, audit_entry=audit
    )

"""Running a held create to its one outcome — the ticket, a refusal, or "may have been created" — and
telling the user where they started; following another run's create when this one does not hold it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from bot.flows.context import FlowContext
from bot.flows.create.announce import announce_created
from bot.flows.create.attempt import (
    CONFIRMED,
    RETRIED,
    SENT,
    CouldNotLook,
    Held,
    LostClaim,
    NotFound,
    create_once,
    lease_of,
    ledger_of,
    record_created,
)
from bot.flows.create.duplicates import likely_duplicates, unseen
from bot.flows.create.form import form_view
from bot.flows.create.reconcile import (
    NOT_CREATED_TEXT,
    UNCERTAIN,
    UNCERTAIN_TEXT,
    created_from_row,
    failure_banner,
    is_uncertain,
)
from bot.flows.once import writer_for
from bot.state import StateError, TicketDraft
from bot.views.create_status import created_view
from bot.views.messages import error_message
from bot.workspaces import Writer
from psa.errors import PSAError
from psa.models import PSATicketCreated
from psa.service import TicketService
from storage import LedgerState

log = logging.getLogger(__name__)

DONE_LOOKUP_SECONDS = 1.0
# A repeated submission watches the first one's ledger entry and shows its outcome.
WAIT_POLL_SECONDS = 0.2
WAIT_MAX_SECONDS = 90.0
INVALID = "Some fields are missing; check the form."
DUPLICATES_SHOWN = "likely duplicates shown; nothing created"  # ledger error: the user decides
DUPLICATES_DM = (
    "Not created: it looks like a ticket created in the last 30 minutes. Start a new ticket to create it "
    "anyway."
)


async def run_held(
    ctx: FlowContext,
    draft: TicketDraft,
    held: Held,
    *,
    view_id: str | None,
    reconcile: bool,
    recovering: bool = False,
) -> None:
    """Create the held create's ticket once (looking first when an earlier attempt may have sent it),
    record the outcome, and tell the user. `recovering`: recovery's run (creates again at most once)."""
    entry = await held.renew()
    if entry is None:
        # Finished or taken over meanwhile (this job waited longer than the lease, or is a dead worker's
        # job run again): the run that holds it tells the same modal. Not watching frees this job's slot.
        log.info("create %s: no longer this run's (attempt %d)", held.key, held.attempt)
        return
    payload = dict(entry.payload or {})
    if reconcile:
        payload[SENT] = True
    key = held.key
    try:
        ctx.channel = draft.origin.channel_id if draft.origin else None  # the policy's place
        writer = await writer_for(ctx)  # the one authorization point, at the time of the write
    except Exception:
        await held.ledger.fail(key, "you may not create tickets from Slack (see the message from the app)")
        raise  # told on the user's surface by run_work
    if not recovering and not payload.get(SENT):
        found = await likely_duplicates(ctx, writer.service, draft)
        if unseen(found, draft):
            # Nothing is written: the claim is released, and pressing Create anyway claims it again.
            await held.ledger.fail(key, DUPLICATES_SHOWN)
            warned = draft.model_copy(update={"duplicates": found})
            await tell_outcome(ctx, warned, view_id, None, dm=DUPLICATES_DM)
            return
    try:
        async with held.kept(lease_of(ctx)):
            created = await create_once(
                ctx,
                writer,
                draft,
                held,
                entry.model_copy(update={"payload": payload}),
                may_create=not (recovering and payload.get(RETRIED)),
                retry=recovering,
            )
            await announce_created(
                ctx,
                draft,
                created,
                view_id=view_id,
                confirmed=payload.get(CONFIRMED) == created.id,
                on_posted=lambda: held.confirmed(created.id),
            )
            await _recorded(ctx, writer, draft, held, created)
    except LostClaim:
        log.info("create %s: taken over before it was sent (attempt %d)", key, held.attempt)
        return
    except NotFound:
        await held.ledger.fail(key, NOT_CREATED_TEXT)
        await tell_outcome(ctx, draft, view_id, f"{NOT_CREATED_TEXT} Press Create ticket to create it.")
        return
    except CouldNotLook as exc:
        await held.ledger.uncertain(key, f"{UNCERTAIN}{exc.error.message}")
        await tell_outcome(ctx, draft, view_id, UNCERTAIN_TEXT)
        return
    except PSAError as exc:
        uncertain = is_uncertain(exc)
        if uncertain:
            await held.ledger.uncertain(key, f"{UNCERTAIN}{exc.message}")
        else:
            await held.ledger.fail(key, exc.message)
        await tell_outcome(ctx, draft, view_id, failure_banner(exc, uncertain=uncertain))
        return
    except (StateError, ValueError) as exc:
        log.info("create %s: the draft is incomplete: %s", key, exc)
        await held.ledger.fail(key, INVALID)
        await tell_outcome(ctx, draft, view_id, INVALID)
        return
    except Exception:
        # A bug of ours: not known whether the PSA has it. Told as uncertain; recovery looks.
        log.exception("create %s stopped", key)
        await _quietly(held.ledger.uncertain(key, f"{UNCERTAIN}stopped before ConnectWise answered"))
        await tell_outcome(ctx, draft, view_id, UNCERTAIN_TEXT)
    except BaseException:
        # Cancelled (shutdown): recovery, in this process after a restart or in another, looks.
        await _quietly(held.ledger.uncertain(key, f"{UNCERTAIN}stopped before ConnectWise answered"))
        raise


async def _recorded(
    ctx: FlowContext, writer: Writer, draft: TicketDraft, held: Held, created: PSATicketCreated
) -> None:
    # Announced already: a ledger failure here must not tell the user anything else. The row stays
    # claimed, and recovery finds the ticket by its marker; the confirmation it recorded is not repeated.
    try:
        if not await record_created(ctx, writer, draft, held, created):
            log.error("create %s (#%s) was no longer this run's when completed", held.key, created.id)
    except Exception:
        log.exception("create %s (#%s): recording it failed", held.key, created.id)


async def tell_outcome(
    ctx: FlowContext, draft: TicketDraft, view_id: str | None, banner: str | None, *, dm: str | None = None
) -> None:
    """The form again with everything typed and `banner` on top; in a DM when the modal is closed."""
    if view_id:
        _, view = await form_view(ctx, await ctx.service(), draft, banner=banner)
        if await ctx.update(view, view_id=view_id) is not None:
            return
    said = dm or banner or ""
    summary = (draft.summary or "").strip()
    await ctx.dm(error_message(f"New ticket “{summary[:150]}”: {said}" if summary else said))


async def watch(ctx: FlowContext, draft: TicketDraft, view_id: str | None) -> None:
    """Follow another run's create of this draft and show its outcome (never create)."""
    ledger = ledger_of(ctx)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_MAX_SECONDS
    while loop.time() < deadline:
        await asyncio.sleep(WAIT_POLL_SECONDS)
        entry = await ledger.entry(draft.idempotency_key)
        if entry is None or entry.state == LedgerState.CLAIMED:
            continue
        if view_id is None or entry.error == DUPLICATES_SHOWN:
            return  # the run that held it has told the user
        if entry.state == LedgerState.DONE and entry.ticket_id is not None:
            created = await created_for(await ctx.service(), draft, entry.ticket_id)
            await ctx.update(created_view(created, created.url), view_id=view_id)
        elif entry.state == LedgerState.UNCERTAIN or is_uncertain(entry.error):
            await tell_outcome(ctx, draft, view_id, UNCERTAIN_TEXT)
        else:
            reason = (entry.error or "").strip() or "ConnectWise gave no reason."
            await tell_outcome(ctx, draft, view_id, f"Couldn't create the ticket: {reason}")
        return
    log.info("gave up waiting for another submission of the same ticket to finish")


async def _within(seconds: float, work: Coroutine[Any, Any, Any]) -> Any:
    try:
        return await asyncio.wait_for(work, seconds)
    except (TimeoutError, PSAError) as exc:
        log.info("skipped a quick look-up: %s", getattr(exc, "message", "timed out"))
        return None


async def created_for(service: TicketService, draft: TicketDraft, ticket_id: int) -> PSATicketCreated:
    """The created ticket as the success view shows it: read back quickly, else from the draft."""
    row = await _within(DONE_LOOKUP_SECONDS, service.get_ticket(ticket_id))
    if row is not None:
        return created_from_row(row, service.ticket_url(ticket_id))
    return PSATicketCreated(
        id=ticket_id,
        summary=draft.summary or f"Ticket #{ticket_id}",
        board_name="",
        status_name="",
        priority_name="",
        company_name=draft.company_name or "",
        url=service.ticket_url(ticket_id),
    )


async def _quietly(work: Coroutine[Any, Any, Any]) -> None:
    try:
        await work
    except Exception:
        log.exception("recording a create's outcome failed")

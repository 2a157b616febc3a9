"""Submitting the new-ticket modal: validate, claim the idempotency key, create exactly once.

The key is minted when the modal opens and travels in its private_metadata, so every copy of one
submission (double click, resubmit after a timeout, Slack delivering it to two app processes) claims
the same ledger entry: only the winner calls the PSA; the others show its progress or its result.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from bot.flows.context import FlowContext, Surface
from bot.flows.create.attempt import Held, claim_payload, lease_of, ledger_of
from bot.flows.create.edit import PROMPT_NEEDED, STALE_FORM, parse_submitted
from bot.flows.create.run import created_for, run_held, watch
from bot.flows.stored import keep_draft, load_draft
from bot.flows.submission import Submission
from bot.flows.work import WorkItem, flow
from bot.inputs import CREATE_FIELDS, too_long
from bot.state import StateError, TicketDraft
from bot.views.create_modal import FIELD_LABELS, field_block_id, form_errors
from bot.views.create_status import (
    TITLE,
    already_creating_view,
    created_view,
    creating_view,
    parsing_view,
    unavailable_view,
)
from psa.errors import PSAError
from psa.service import TicketService
from storage import LedgerState, WriteKind

log = logging.getLogger(__name__)

# The ack must reach Slack within 3 s: PSA look-ups made before it get these budgets, then are skipped.
STATUS_CHECK_SECONDS = 1.0

CLAIM_FAILED = "Couldn't start creating the ticket just now; nothing was created. Press Create ticket again."


async def _within(seconds: float, work: Coroutine[Any, Any, Any]) -> Any:
    """`work`'s result, or None when it fails with a PSA error or takes longer than `seconds`."""
    try:
        return await asyncio.wait_for(work, seconds)
    except (TimeoutError, PSAError) as exc:
        log.info("skipped a check before the ack: %s", getattr(exc, "message", type(exc).__name__))
        return None


def _input_blocks(view: dict[str, Any]) -> set[str]:
    return {str(b.get("block_id")) for b in view.get("blocks") or [] if b.get("type") == "input"}


def errors_decision(draft: TicketDraft, view: dict[str, Any], problems: dict[str, str]) -> Submission:
    """`response_action: errors` next to the fields; problems whose input is not shown go on the summary."""
    shown = _input_blocks(view)
    errors: dict[str, str] = {}
    orphans: list[str] = []
    for field, message in problems.items():
        block_id = next(iter(form_errors(draft, {field: message})))
        if block_id in shown:
            errors.setdefault(block_id, message)
        else:
            orphans.append(f"{FIELD_LABELS.get(field, field)}: {message}")
    if orphans:
        anchor = field_block_id(draft, "summary")
        errors[anchor] = " ".join([errors.get(anchor, ""), *orphans]).strip()
    return Submission.field_errors(errors)


def typed_too_long(draft: TicketDraft) -> dict[str, str]:
    """{field: message} for the draft's typed texts that are over their limits."""
    typed = {"prompt": draft.prompt, "summary": draft.summary, "description": draft.description}
    return too_long(CREATE_FIELDS, typed)


async def _problems(service: TicketService, draft: TicketDraft) -> dict[str, str]:
    problems = draft.missing()
    if draft.board_id is not None and draft.status_id is not None and "status_id" not in problems:
        statuses = await _within(STATUS_CHECK_SECONDS, service.statuses(draft.board_id))
        if statuses is not None and draft.status_id not in {s.id for s in statuses}:
            problems["status_id"] = "This status doesn't belong to the board; pick one of its statuses."
    return problems


async def decide_submission(ctx: FlowContext, view: dict[str, Any]) -> Submission:
    """Validate and claim before the ack (fast: local reads, a cached PSA look-up at most)."""
    try:
        draft = await load_draft(ctx, view)
    except StateError:
        return Submission.update(unavailable_view(STALE_FORM))
    too_long = typed_too_long(draft)
    if too_long:
        return errors_decision(draft, view, too_long)
    if not draft.form_visible:
        # "Create ticket" on a prompt alone: parse it and show the review form; nothing is created yet.
        if not (draft.prompt or "").strip():
            return Submission.field_errors(form_errors(draft, {"prompt": PROMPT_NEEDED}))
        return Submission.update(parsing_view(await keep_draft(ctx, draft))).and_then(parse_submitted)
    service = await ctx.service()
    problems = await _problems(service, draft)
    if problems:
        return errors_decision(draft, view, problems)
    if not draft.idempotency_key:
        return Submission.update(unavailable_view(STALE_FORM))
    ctx.channel = draft.origin.channel_id if draft.origin else None  # where it was opened: the policy's place
    mapping = await ctx.require_writer()  # refused before anything is claimed: the typing stays
    kept = await keep_draft(ctx, draft)
    view_id = str(view.get("id") or "") or None
    try:
        claim = await ledger_of(ctx).claim(
            draft.idempotency_key,
            kind=WriteKind.CREATE,
            actor_user_id=ctx.user_id,
            actor_member_id=mapping.psa_member_id,
            payload=claim_payload(ctx, kept, view_id),
            stale_after=lease_of(ctx),
        )
    except Exception:
        # Nothing was created; an error next to the summary keeps the modal (and the typing) open.
        log.exception("idempotency claim failed; the user is asked to submit again")
        return errors_decision(draft, view, {"summary": CLAIM_FAILED})
    if claim.won:
        # Taking over an attempt whose fate is unknown: the run looks in the PSA before creating again.
        return Submission.update(creating_view(kept)).and_then(
            create_ticket,
            key=draft.idempotency_key,
            attempt=claim.entry.attempts,
            reconcile=claim.must_reconcile,
        )
    if claim.state == LedgerState.DONE and claim.ticket_id is not None:
        created = await created_for(service, draft, claim.ticket_id)
        return Submission.update(created_view(created, created.url))
    return Submission.update(already_creating_view(kept)).and_then(wait_for_outcome)


async def _submitted(ctx: FlowContext, item: WorkItem) -> tuple[TicketDraft, str]:
    """The submitted draft and its modal (which now shows Creating…/Parsing…: failures replace it)."""
    view = item.body.get("view") or {}
    view_id = str(view.get("id") or "")
    ctx.surface = Surface(view_id=view_id, replace=True, title=TITLE, user_id=ctx.user_id)
    return await load_draft(ctx, view), view_id


@flow("create.ticket")
async def create_ticket(ctx: FlowContext, item: WorkItem) -> None:
    """The winner of the claim: create the ticket once, as the engineer, record the outcome, tell the user."""
    draft, view_id = await _submitted(ctx, item)
    held = Held(ledger_of(ctx), draft.idempotency_key, int(item.args.get("attempt") or 1))
    await run_held(ctx, draft, held, view_id=view_id or None, reconcile=bool(item.args.get("reconcile")))


@flow("create.wait")
async def wait_for_outcome(ctx: FlowContext, item: WorkItem) -> None:
    """A repeated submission: follow the first one's ledger entry and show its outcome (never create)."""
    draft, view_id = await _submitted(ctx, item)
    await watch(ctx, draft, view_id or None)

"""Submitting the new-ticket modal: validate, claim the idempotency key, create exactly once.

The key is minted when the modal opens and travels in its private_metadata, so every copy of one
submission (double click, resubmit after a timeout, Slack delivering it to two app processes) claims
the same ledger entry: only the winner calls the PSA; the others show its progress or its result.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.actor import Actor
from bot.deps import AppDeps
from bot.flows.create.announce import announce_created
from bot.flows.create.edit import PROMPT_NEEDED, STALE_FORM, parse_into
from bot.flows.create.form import form_view
from bot.flows.create.open import NOT_CONNECTED
from bot.flows.create.reconcile import (
    UNCERTAIN,
    created_from_row,
    failure_banner,
    find_existing,
    is_uncertain,
)
from bot.flows.views_io import update_view
from bot.state import StateError, TicketDraft, draft_from_view
from bot.views.create_modal import FIELD_LABELS, field_block_id, form_errors
from bot.views.create_status import (
    already_creating_view,
    created_view,
    creating_view,
    parsing_view,
    unavailable_view,
)
from psa.errors import PSAError
from psa.models import PSATicketCreated
from psa.service import TicketService
from storage import LedgerState

log = logging.getLogger(__name__)

# The ack must reach Slack within 3 s: PSA look-ups made before it get these budgets, then are skipped.
STATUS_CHECK_SECONDS = 1.0
DONE_LOOKUP_SECONDS = 1.0
# A repeated submission watches the first one's ledger entry and shows its outcome.
WAIT_POLL_SECONDS = 0.2
WAIT_MAX_SECONDS = 90.0

CLAIM_FAILED = "Couldn't start creating the ticket just now; nothing was created. Press Create ticket again."

FollowUp = Callable[[AsyncWebClient], Coroutine[Any, Any, None]]


@dataclass
class Decision:
    """How to acknowledge a submission (`ack(**ack)`) and what to do after the ack, if anything."""

    ack: dict[str, Any]
    follow_up: FollowUp | None = None
    name: str = "create"


def _update(view: dict[str, Any], follow_up: FollowUp | None = None, name: str = "create") -> Decision:
    return Decision({"response_action": "update", "view": view}, follow_up, name)


async def _within(seconds: float, work: Coroutine[Any, Any, Any]) -> Any:
    """`work`'s result, or None when it fails with a PSA error or takes longer than `seconds`."""
    try:
        return await asyncio.wait_for(work, seconds)
    except (TimeoutError, PSAError) as exc:
        log.info("skipped a check before the ack: %s", getattr(exc, "message", type(exc).__name__))
        return None


def _input_blocks(view: dict[str, Any]) -> set[str]:
    return {str(b.get("block_id")) for b in view.get("blocks") or [] if b.get("type") == "input"}


def errors_decision(draft: TicketDraft, view: dict[str, Any], problems: dict[str, str]) -> Decision:
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
    return Decision({"response_action": "errors", "errors": errors})


async def _problems(service: TicketService, draft: TicketDraft) -> dict[str, str]:
    problems = draft.missing()
    if draft.board_id is not None and draft.status_id is not None and "status_id" not in problems:
        statuses = await _within(STATUS_CHECK_SECONDS, service.statuses(draft.board_id))
        if statuses is not None and draft.status_id not in {s.id for s in statuses}:
            problems["status_id"] = "This status doesn't belong to the board; pick one of its statuses."
    return problems


async def decide_submission(deps: AppDeps, actor: Actor, view: dict[str, Any]) -> Decision:
    """Validate and claim before the ack (fast: local reads, a cached PSA look-up at most)."""
    try:
        draft = draft_from_view(view)
    except StateError:
        return _update(unavailable_view(STALE_FORM))
    view_id = str(view.get("id") or "")
    if not draft.form_visible:
        # "Create ticket" on a prompt alone: parse it and show the review form; nothing is created yet.
        if not (draft.prompt or "").strip():
            return Decision(
                {"response_action": "errors", "errors": form_errors(draft, {"prompt": PROMPT_NEEDED})}
            )

        async def parse(client: AsyncWebClient) -> None:
            await parse_into(deps, client, actor, draft, view_id=view_id, view_hash=None)

        return _update(parsing_view(draft), parse, "create-parse")
    service = await deps.workspaces.service(actor.team_id)
    if service is None:
        return _update(unavailable_view(NOT_CONNECTED))
    problems = await _problems(service, draft)
    if problems:
        return errors_decision(draft, view, problems)
    if not draft.idempotency_key:
        return _update(unavailable_view(STALE_FORM))
    store = deps.storage.workspace(actor.team_id)
    try:
        before = await store.ledger_entry(draft.idempotency_key)
        claim = await store.claim(draft.idempotency_key)
    except Exception:
        # Nothing was created; an error next to the summary keeps the modal (and the typing) open.
        log.exception("idempotency claim failed; the user is asked to submit again")
        return errors_decision(draft, view, {"summary": CLAIM_FAILED})
    if claim.won:
        # Taking over an attempt whose fate is unknown: look in the PSA before creating again.
        unknown_fate = claim.took_over == LedgerState.IN_PROGRESS or (
            claim.took_over == LedgerState.FAILED and before is not None and is_uncertain(before.error)
        )
        since = claim.entry.created_at if unknown_fate else None

        async def create(client: AsyncWebClient) -> None:
            await create_ticket(deps, client, actor, draft, view_id=view_id, reconcile_since=since)

        return _update(creating_view(draft), create, "create-ticket")
    if claim.state == LedgerState.DONE and claim.ticket_id is not None:
        created = await created_for(service, draft, claim.ticket_id)
        return _update(created_view(created, created.url))

    async def wait(client: AsyncWebClient) -> None:
        await wait_for_outcome(deps, client, actor, draft, view_id=view_id)

    return _update(already_creating_view(draft), wait, "create-wait")


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


async def _show_failure(
    deps: AppDeps, client: AsyncWebClient, actor: Actor, draft: TicketDraft, view_id: str, banner: str
) -> None:
    """Back to the full form with everything the user typed and a banner saying what went wrong."""
    service = await deps.workspaces.service(actor.team_id)
    if service is None:
        await update_view(client, view_id, unavailable_view(NOT_CONNECTED), hash=None)
        return
    _, view = await form_view(
        deps, service, draft, team_id=actor.team_id, user_id=actor.user_id, banner=banner
    )
    await update_view(client, view_id, view, hash=None)


async def create_ticket(
    deps: AppDeps,
    client: AsyncWebClient,
    actor: Actor,
    draft: TicketDraft,
    *,
    view_id: str,
    reconcile_since: datetime | None = None,
) -> None:
    """The winner of the claim: create the ticket once, record the outcome, tell the user."""
    key = draft.idempotency_key
    store = deps.storage.workspace(actor.team_id)
    service = await deps.workspaces.service(actor.team_id)
    if service is None:
        await store.fail(key, "not connected")
        await update_view(client, view_id, unavailable_view(NOT_CONNECTED), hash=None)
        return
    created: PSATicketCreated | None = None
    try:
        if reconcile_since is not None:
            created = await find_existing(service, draft, reconcile_since)
        if created is None:
            created = await service.create_ticket(draft.to_payload())
    except PSAError as exc:
        fate = UNCERTAIN if is_uncertain(exc) or reconcile_since is not None else ""
        await store.fail(key, f"{fate}{exc.message}")
        await _show_failure(deps, client, actor, draft, view_id, failure_banner(exc, uncertain=bool(fate)))
        return
    except (StateError, ValueError) as exc:
        await store.fail(key, f"invalid draft: {exc}")
        await _show_failure(deps, client, actor, draft, view_id, "Some fields are missing; check the form.")
        return
    except BaseException:
        await store.fail(key, f"{UNCERTAIN}internal error")
        raise
    if not await store.complete(key, created.id):
        log.error("ledger key for #%s was no longer in progress when completed", created.id)
    await announce_created(deps, client, actor, draft, created, view_id=view_id)


async def wait_for_outcome(
    deps: AppDeps, client: AsyncWebClient, actor: Actor, draft: TicketDraft, *, view_id: str
) -> None:
    """A repeated submission: follow the first one's ledger entry and show its outcome (never create)."""
    store = deps.storage.workspace(actor.team_id)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_MAX_SECONDS
    while loop.time() < deadline:
        await asyncio.sleep(WAIT_POLL_SECONDS)
        entry = await store.ledger_entry(draft.idempotency_key)
        if entry is None or entry.state == LedgerState.IN_PROGRESS:
            continue
        service = await deps.workspaces.service(actor.team_id)
        if entry.state == LedgerState.DONE and entry.ticket_id is not None and service is not None:
            created = await created_for(service, draft, entry.ticket_id)
            await update_view(client, view_id, created_view(created, created.url), hash=None)
        else:
            error = entry.error or "unknown error"
            banner = f"Couldn't create the ticket: {error.removeprefix(UNCERTAIN)}"
            await _show_failure(deps, client, actor, draft, view_id, banner)
        return
    log.info("gave up waiting for another submission of the same ticket to finish")

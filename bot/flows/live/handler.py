"""The one handler both paths feed (pushed deliveries and the poller): re-read the ticket, tell what
changed to whom it concerns, keep the new state — the state and the messages in one transaction.

A change notice is never trusted for content: the ticket is read again (the poll hands over the row it
just read). Two handlers of the same ticket at once: the second finds the state moved (its version),
reads again and finds nothing new, so each change is told once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.flows.context import FlowContext
from bot.flows.live.audience import Planner, audience_for
from bot.flows.live.deliver import deliver
from bot.flows.live.model import Reading, TicketState, changes, state_of
from bot.flows.work import WorkItem, flow
from psa.changes import PSAChange
from psa.errors import PSANotFoundError
from psa.models import PSATicketSearchResult
from psa.service import TicketService

if TYPE_CHECKING:
    from bot.deps import AppDeps

log = logging.getLogger(__name__)
RACE_RETRIES = 3


@flow("live.change")
async def take_in_change(ctx: FlowContext, item: WorkItem) -> None:
    """A change the PSA announced (args: a PSAChange as JSON)."""
    await take_in(ctx.deps, ctx.team_id, PSAChange.model_validate(item.args["change"]))


async def take_in(
    deps: AppDeps, team_id: str, change: PSAChange, *, known: PSATicketSearchResult | None = None
) -> None:
    """Handle one change: a ticket's (re-read it) or an assignment's (find its ticket first)."""
    service = await deps.workspaces.service(team_id)
    if service is None:
        return
    assigned: list[str] = []
    if change.record_type == "schedule_entry":
        if change.action == "deleted":
            return  # the ticket's own change tells what an unassignment did
        assignment = await service.get_assignment(change.record_id)
        if assignment is None:
            return
        ticket_id = assignment.ticket_id
        if change.action == "added" and not assignment.done and assignment.member_identifier:
            assigned = [assignment.member_identifier]
    elif change.record_type == "ticket" and change.action != "deleted":
        ticket_id = change.record_id
    else:
        return
    await handle_ticket(
        deps,
        team_id,
        service,
        ticket_id,
        added=change.record_type == "ticket" and change.action == "added",
        assigned=assigned,
        known=known,
    )


async def handle_ticket(
    deps: AppDeps,
    team_id: str,
    service: TicketService,
    ticket_id: int,
    *,
    added: bool = False,
    assigned: Sequence[str] = (),
    known: PSATicketSearchResult | None = None,
) -> None:
    """Compare a fresh reading of the ticket with the kept state; store both the new state and the
    messages it causes, then send those due now."""
    live = deps.storage.live()
    for _ in range(RACE_RETRIES):
        kept = await live.state(team_id, ticket_id)
        previous = TicketState.model_validate(kept.data) if kept is not None else None
        audience = await audience_for(deps.storage, team_id, ticket_id)
        # Whoever the ticket concerned at its last reading likely still cares: its notes are read
        # together with the ticket (one round); otherwise only once the ticket shows someone cares.
        early = previous is not None and audience.cares_about(previous.resources, assigned)
        notes_read = asyncio.ensure_future(service.recent_notes(ticket_id)) if early else None
        try:
            ticket = known if known is not None else await service.get_ticket(ticket_id)
        except PSANotFoundError:
            if notes_read is not None:
                notes_read.cancel()
            return  # deleted meanwhile
        known = None  # a retry after a lost race reads again
        notes = None
        if notes_read is not None:
            notes = await notes_read
        elif audience.cares(ticket, assigned):
            notes = await service.recent_notes(ticket_id)
        facts, state = changes(previous, Reading(ticket=ticket, notes=notes), added=added, assigned=assigned)
        now = deps.now()
        planner = Planner(
            deps.storage,
            service,
            team_id,
            audience,
            since=kept.updated_at if kept is not None else None,
            now=now,
        )
        plan = await planner.plan(ticket, facts)
        version = await live.advance(
            team_id,
            ticket_id,
            state.model_dump(mode="json"),
            expected=kept.version if kept is not None else None,
            messages=plan.messages(ticket_id),
            now=now,
            sla_due_at=state.watched_due_at,
        )
        if version is not None:
            if plan.targets:
                await deliver(deps, team_id, plan.targets)
            return
    log.warning(
        "ticket #%s of team %s kept changing while being read; left to the next change", ticket_id, team_id
    )


async def remember(deps: AppDeps, team_id: str, tickets: Sequence[PSATicketSearchResult]) -> int:
    """Keep tickets' current state as the baseline later changes are compared with (no messages);
    tickets already known are left alone. How many were new."""
    live = deps.storage.live()
    added = 0
    for ticket in tickets:
        state = state_of(Reading(ticket=ticket))
        data: dict[str, Any] = state.model_dump(mode="json")
        version = await live.advance(
            team_id,
            ticket.id,
            data,
            expected=None,
            messages=lambda _: [],
            now=deps.now(),
            sla_due_at=state.watched_due_at,
        )
        added += version is not None
    return added

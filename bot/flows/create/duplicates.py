"""Likely duplicates, caught before they are made: an open ticket with a very similar summary created in
the last 30 minutes by the same engineer (or by anyone for the same company) is shown in the review with
Open, and the modal's submit becomes "Create anyway"."""

from __future__ import annotations

import logging

from bot.flows.context import FlowContext
from bot.state import SeenDuplicate, TicketDraft
from psa.errors import PSAError
from psa.service import DUPLICATE_WINDOW, TicketService
from storage import WriteKind

log = logging.getLogger(__name__)


async def likely_duplicates(
    ctx: FlowContext, service: TicketService, draft: TicketDraft
) -> list[SeenDuplicate]:
    """The draft's likely duplicates, most similar first; none when the PSA cannot be read (never blocks)."""
    summary = (draft.summary or "").strip()
    if not summary:
        return []
    now = ctx.deps.now()
    try:
        mapping = await ctx.member()
        mine = await ctx.deps.storage.ledger(ctx.team_id).made_since(
            WriteKind.CREATE, ctx.user_id, now - DUPLICATE_WINDOW
        )
        found = await service.likely_duplicates(
            summary,
            company_id=draft.company_id,
            member_identifier=mapping.member_identifier if mapping is not None else None,
            now=now,
            mine=mine,
        )
    except PSAError as exc:
        log.info("likely duplicates not checked: %s", exc.message)
        return []
    return [
        SeenDuplicate(
            id=d.ticket.id,
            summary=d.ticket.summary,
            company=d.ticket.company.name if d.ticket.company else None,
            minutes_ago=d.minutes_ago,
            same_member=d.same_member,
        )
        for d in found
    ]


def unseen(found: list[SeenDuplicate], draft: TicketDraft) -> list[SeenDuplicate]:
    """The duplicates the user has not been shown for this draft yet."""
    shown = {d.id for d in draft.duplicates}
    return [d for d in found if d.id not in shown]

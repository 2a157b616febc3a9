"""Ticket links pasted in Slack, unfurled: a compact card, a minimal one, or "not found" (pure)."""

from __future__ import annotations

from typing import Any

from bot.ids import MessageAction
from bot.text import escape_truncate
from bot.views import kit
from bot.views.format import priority_label
from psa.models import PSATicketSearchResult

Unfurl = dict[str, Any]


def _open(ticket_id: int) -> dict[str, Any]:
    return kit.button("Open", MessageAction.OPEN_TICKET, value=str(ticket_id))


def ticket_card(ticket: PSATicketSearchResult) -> Unfurl:
    """`#ID · Summary · Status · Priority`, then company and assignee, with an Open button."""
    parts = [f"*#{ticket.id}*", escape_truncate(ticket.summary or "(no summary)", 150)]
    if ticket.status is not None:
        parts.append(escape_truncate(ticket.status.name, 40))
    parts.append(priority_label(ticket.priority))
    owner = ticket.owner.name if ticket.owner else None
    others = [
        r for r in ticket.resources if not ticket.owner or r.casefold() != ticket.owner.identifier.casefold()
    ]
    assignee = owner or (others[0] if others else None)
    extra = len(others) - (0 if owner else 1)
    who = (
        f"Assigned: {escape_truncate(assignee, 60)}" + (f" +{extra}" if extra > 0 else "")
        if assignee
        else "Unassigned"
    )
    company = escape_truncate(ticket.company.name, 80) if ticket.company and ticket.company.name else None
    blocks = [
        kit.section(" · ".join(parts), accessory=_open(ticket.id)),
        kit.context(" · ".join(p for p in (company, who, "ConnectWise") if p)),
    ]
    return {"blocks": blocks}


def minimal_card(ticket_id: int) -> Unfurl:
    """For someone the app cannot tell the ticket's details to (not mapped): the number only."""
    return {"blocks": [kit.section(f"*ConnectWise ticket #{ticket_id}*", accessory=_open(ticket_id))]}


def not_found_card(ticket_id: int) -> Unfurl:
    """A link to a ticket that does not exist (any more)."""
    return {"blocks": [kit.context(f"ConnectWise ticket #{ticket_id} was not found (deleted or merged?)")]}

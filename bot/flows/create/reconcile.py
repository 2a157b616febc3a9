"""When a create's fate is unknown (timeout, dropped connection, 5xx, crash), look before creating again.

ConnectWise has no idempotency key on tickets, so a retry of an attempt that may have succeeded first
searches for a ticket with the same summary, company and board entered since the first attempt began.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.state import TicketDraft
from bot.views.prompts import psa_error_text
from psa.errors import PSAError, PSAUnavailableError
from psa.models import PSATicketCreated, PSATicketSearchResult, TicketFilters
from psa.service import TicketService

UNCERTAIN = "uncertain: "  # ledger error prefix: the PSA may have created the ticket anyway
# Clock skew between this app and the PSA that a reconciling search tolerates.
CLOCK_SKEW = timedelta(minutes=5)
SEARCHED = 50


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def is_uncertain(failure: PSAError | str | None) -> bool:
    """Whether a failed create may still have created the ticket (then a retry must look first)."""
    if isinstance(failure, PSAError):
        return isinstance(failure, PSAUnavailableError)
    return bool(failure) and str(failure).startswith(UNCERTAIN)


def failure_banner(exc: PSAError, *, uncertain: bool) -> str:
    """What the form's banner says after a failed create."""
    if uncertain:
        return (
            f"ConnectWise didn't confirm the ticket ({exc.message}). It may have been created anyway: "
            "press Create ticket again and the app checks ConnectWise first, so no duplicate is made."
        )
    return f"Couldn't create the ticket: {psa_error_text(exc)}"


def created_from_row(row: PSATicketSearchResult, url: str | None) -> PSATicketCreated:
    """A ticket read back from the PSA, shaped like a create result."""
    return PSATicketCreated(
        id=row.id,
        summary=row.summary,
        board_name=row.board.name if row.board else "",
        status_name=row.status.name if row.status else "",
        priority_name=row.priority.name if row.priority else "",
        company_name=row.company.name if row.company else "",
        url=url,
    )


async def find_existing(
    service: TicketService, draft: TicketDraft, since: datetime
) -> PSATicketCreated | None:
    """The ticket an earlier attempt of this draft created, if the PSA has one; raises PSAError."""
    summary = (draft.summary or "").strip()
    if not summary:
        return None
    filters = TicketFilters(
        search=summary, company_id=draft.company_id, board_id=draft.board_id, include_closed=True
    )
    found = await service.search(filters, user_ref=None, page=1, page_size=SEARCHED)
    cutoff = _aware(since) - CLOCK_SKEW
    for row in found.items:
        entered = _aware(row.date_entered) if row.date_entered is not None else None
        if row.summary.strip() == summary and (entered is None or entered >= cutoff):
            return created_from_row(row, service.ticket_url(row.id))
    return None

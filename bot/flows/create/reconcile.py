"""When a create's fate is unknown (timeout, dropped connection, 5xx, crash): what the user is told.

ConnectWise has no idempotency key on tickets, so every create carries a marker (`externalXRef`, see
psa.connectwise.mapping) and whoever takes over an attempt that may have reached ConnectWise looks the
ticket up by it before creating again (`bot.flows.create.attempt`).
"""

from __future__ import annotations

from bot.flows.once import maybe_applied
from psa.errors import PSAError
from psa.models import PSATicketCreated, PSATicketSearchResult

UNCERTAIN = "uncertain: "  # ledger error prefix: the PSA may have created the ticket anyway

UNCERTAIN_TEXT = (
    "ConnectWise didn't confirm the ticket, so it may have been created. The app is checking ConnectWise "
    "and will tell you here (or in your messages with the app) — until then, check the board's newest "
    "tickets before creating it another way. Pressing Create ticket again checks first, so no duplicate "
    "is made."
)
NOT_CREATED_TEXT = "The ticket wasn't created: ConnectWise has no ticket from this form."


def is_uncertain(failure: PSAError | str | None) -> bool:
    """Whether a failed create may still have created the ticket (then a retry must look first)."""
    if isinstance(failure, PSAError):
        return maybe_applied(failure)
    return bool(failure) and str(failure).startswith(UNCERTAIN)


def failure_banner(exc: PSAError | None, *, uncertain: bool) -> str:
    """What the form's banner says after a create that did not end with a ticket."""
    if uncertain:
        return UNCERTAIN_TEXT
    reason = f"{exc.message} {exc.user_hint}".strip() if exc is not None else ""
    return f"Couldn't create the ticket: {reason or 'ConnectWise gave no reason.'}"


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

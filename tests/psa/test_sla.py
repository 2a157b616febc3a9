"""SLA due times from ConnectWise's `slaStatus` text, and the ticket SLA end to end against the sandbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from psa.connectwise import ConnectWiseProvider
from psa.connectwise.sla import due_from_status
from psa.models import TicketCreatePayload

ENTERED = datetime(2025, 1, 20, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "entered", "stage", "due"),
    [
        # django-connectwise's example: Monday 27 January (2025), 4 PM at UTC-8
        ("Respond by Mon 01/27 4:00 PM UTC-08", ENTERED, "respond", datetime(2025, 1, 28, 0, 0, tzinfo=UTC)),
        (
            "Resolve by Sat 01/02 12:15 AM UTC+00",
            datetime(2026, 12, 30, tzinfo=UTC),
            "resolve",
            datetime(2027, 1, 2, 0, 15, tzinfo=UTC),
        ),
        (
            "Plan by Tue 13/01 10:00 AM UTC+01",
            datetime(2026, 1, 12, tzinfo=UTC),
            "plan",
            datetime(2026, 1, 13, 9, 0, tzinfo=UTC),
        ),
        (
            "Respond by Tue 02/29 1:00 PM UTC+05:30",
            datetime(2028, 2, 28, tzinfo=UTC),
            "respond",
            datetime(2028, 2, 29, 7, 30, tzinfo=UTC),
        ),
        ("Waiting", ENTERED, "waiting", None),
        ("Resolved", ENTERED, "resolved", None),
        ("Respond by sometime", ENTERED, "respond", None),
        ("Respond by Sun 01/27 4:00 PM UTC-08", ENTERED, "respond", None),  # no such weekday nearby
    ],
)
def test_the_status_text_gives_the_stage_and_due_time(
    text: str, entered: datetime, stage: str, due: datetime | None
) -> None:
    assert due_from_status(text, entered) == (stage, due)


async def _new_ticket(provider: ConnectWiseProvider, priority_id: int) -> int:
    created = await provider.create_ticket(
        TicketCreatePayload(
            summary="VPN down for the whole office",
            company_id=52,
            board_id=1,
            status_id=101,
            priority_id=priority_id,
        )
    )
    return created.id


async def test_a_new_ticket_must_be_answered_within_its_prioritys_respond_time(
    provider: ConnectWiseProvider,
) -> None:
    ticket = await provider.get_ticket(await _new_ticket(provider, priority_id=1))
    sla = ticket.sla
    assert sla is not None and ticket.date_entered is not None
    assert (sla.name, sla.status, sla.in_sla) == ("Standard SLA", "respond", True)
    # ConnectWise writes the due time to the minute
    assert (
        sla.due_response_at == sla.due_at == (ticket.date_entered + timedelta(minutes=30)).replace(second=0)
    )
    assert sla.due_resolution_at is None and sla.responded_at is None
    assert sla.text.startswith("Respond by ") and "UTC-0" in sla.text
    assert not sla.overdue(ticket.date_entered + timedelta(minutes=29, seconds=-59))
    assert sla.overdue(ticket.date_entered + timedelta(minutes=31))


async def test_responding_moves_the_clock_to_resolution_and_closing_ends_it(
    provider: ConnectWiseProvider,
) -> None:
    ticket_id = await _new_ticket(provider, priority_id=2)
    await provider.update_status(ticket_id, 102)
    ticket = await provider.get_ticket(ticket_id)
    sla = ticket.sla
    assert sla is not None and ticket.date_entered is not None
    assert (sla.status, sla.in_sla) == ("resolve", True) and sla.responded_at is not None
    assert sla.due_resolution_at == (ticket.date_entered + timedelta(hours=8)).replace(second=0)
    assert sla.due_response_at is None
    await provider.update_status(ticket_id, 107)
    closed = (await provider.get_ticket(ticket_id)).sla
    assert closed is not None and (closed.status, closed.due_at, closed.in_sla) == ("resolved", None, True)
    assert closed.resolved_at is not None


async def test_waiting_on_the_client_holds_the_clock(provider: ConnectWiseProvider) -> None:
    ticket_id = await _new_ticket(provider, priority_id=3)
    await provider.update_status(ticket_id, 103)
    sla = (await provider.get_ticket(ticket_id)).sla
    assert sla is not None and (sla.status, sla.due_at, sla.text) == ("waiting", None, "Waiting")


async def test_tickets_outside_any_sla_have_none(provider: ConnectWiseProvider, seed: Any) -> None:
    cancelled = next(t for t in seed.tickets.values() if t["status"]["name"] == "Cancelled")
    assert (await provider.get_ticket(cancelled["id"])).sla is None

"""Finding the ticket an unconfirmed create made, against the ConnectWise sandbox (no duplicate, no guess)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from ai.parse import NoMappings
from bot.flows.create.reconcile import find_existing
from bot.state import TicketDraft
from psa.connectwise import ConnectWiseCredentials, ConnectWiseProvider
from psa.connectwise.sandbox import SandboxServer
from psa.service import TicketService

ACME, HELP_DESK, NORMAL = 42, 1, 3


@pytest.fixture
async def service(sandbox: SandboxServer) -> AsyncIterator[TicketService]:
    creds = ConnectWiseCredentials(
        base_url=sandbox.base_url,
        company_id=sandbox.company_id,
        public_key=sandbox.public_key,
        private_key=SecretStr(sandbox.private_key),
        client_id="reconcile-test",
    )
    svc = TicketService(ConnectWiseProvider(creds), NoMappings())
    yield svc
    await svc.aclose()


async def _draft(service: TicketService, summary: str) -> TicketDraft:
    statuses = await service.statuses(HELP_DESK)
    status = next(s.id for s in statuses if s.default)
    return TicketDraft.start(
        tab="full", summary=summary, company_id=ACME, board_id=HELP_DESK, status_id=status, priority_id=NORMAL
    )


async def test_the_ticket_an_earlier_attempt_created_is_found(service: TicketService) -> None:
    draft = await _draft(service, 'Badge reader "lobby" offline & beeping')
    began = datetime.now(UTC)
    made = await service.create_ticket(draft.to_payload())
    found = await find_existing(service, draft, began)
    assert found is not None and found.id == made.id and found.url


async def test_nothing_is_found_when_no_attempt_reached_the_psa(service: TicketService) -> None:
    draft = await _draft(service, "Plotter out of magenta")
    assert await find_existing(service, draft, datetime.now(UTC)) is None


async def test_an_older_ticket_with_the_same_summary_is_not_taken_for_it(service: TicketService) -> None:
    draft = await _draft(service, "Wi-Fi slow in the warehouse")
    await service.create_ticket(draft.to_payload())
    later = datetime.now(UTC) + timedelta(minutes=30)  # this attempt began long after that ticket
    assert await find_existing(service, draft, later) is None


async def test_a_similar_summary_or_another_company_is_not_a_match(service: TicketService) -> None:
    draft = await _draft(service, "VPN drops every hour")
    began = datetime.now(UTC)
    await service.create_ticket(draft.model_copy(update={"summary": "VPN drops every hour!"}).to_payload())
    await service.create_ticket(draft.model_copy(update={"company_id": 14}).to_payload())
    assert await find_existing(service, draft, began) is None

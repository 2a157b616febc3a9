"""The create marker: a ticket made by the app can be found again by the marker it carries, so a create
whose answer was lost is confirmed instead of repeated."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from psa.connectwise import ConnectWiseProvider
from psa.connectwise.sandbox import SandboxServer
from psa.errors import PSAValidationError
from psa.models import TicketCreatePayload
from psa.service import TicketService, creation_marker


class NoMappings:
    async def member_id_for(self, user_ref: str) -> int | None:
        return None

    async def mapped_member_ids(self) -> dict[int, str]:
        return {}


def _payload(marker: str | None) -> TicketCreatePayload:
    return TicketCreatePayload(
        summary="Outlook not syncing", company_id=52, board_id=1, status_id=101, priority_id=3, marker=marker
    )


def test_a_marker_is_stable_per_create_short_and_searchable() -> None:
    one = creation_marker("T0LOCAL:create-7f3a")
    assert one == creation_marker("T0LOCAL:create-7f3a") != creation_marker("T0LOCAL:create-7f3b")
    assert len(one) <= 100 and one.replace(":", "").replace("-", "").isalnum()
    assert creation_marker("T1:" + "k" * 128) != creation_marker("T2:" + "k" * 128)


async def test_the_ticket_a_create_made_is_found_by_its_marker(
    provider: ConnectWiseProvider, sandbox: SandboxServer
) -> None:
    service = TicketService(provider, NoMappings())
    marker = creation_marker("T0LOCAL:create-1")
    assert await service.find_created(marker) is None

    created = await service.create_ticket(_payload(marker))
    await service.create_ticket(_payload(creation_marker("T0LOCAL:create-2")))
    await service.update_status(created.id, 107)  # closed since: still found

    found = await service.find_created(marker)

    assert found is not None and (found.id, found.summary) == (created.id, "Outlook not syncing")
    [body] = [r.body for r in sandbox.requests if r.method == "POST" and r.path == "/service/tickets"][:1]
    assert body["externalXRef"] == marker


def test_a_marker_that_could_not_be_matched_exactly_is_refused() -> None:
    for bad in ['x" OR id > 0', "x" * 101, "with space"]:
        with pytest.raises(ValidationError):
            _payload(bad)


async def test_the_sandbox_keeps_connectwise_s_limit_on_the_cross_reference(
    provider: ConnectWiseProvider,
) -> None:
    payload = _payload(None).model_dump()
    body = {"summary": payload["summary"], "company": {"id": 52}, "externalXRef": "r" * 101}
    with pytest.raises(PSAValidationError) as refused:
        await provider._api.post("/service/tickets", body)
    assert "externalXRef" in refused.value.fields

"""Ticket lists ask ConnectWise for only the fields a row is made of, and the rows stay the same."""

from __future__ import annotations

import json
from typing import Any

from round_trips import Since

from psa.base import ProviderFilters
from psa.connectwise import ConnectWiseProvider
from psa.connectwise import mapping as m

ROW_FIELDS = set(m.TICKET_ROW_FIELDS.split(","))


class _Recording(dict[str, Any]):
    """A raw record that remembers which of its top-level fields were read."""

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__(data)
        self.read: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self.read.add(str(key))
        return super().__contains__(key)


def _full_ticket() -> dict[str, Any]:
    """A ticket with every field a row can show filled in, and some it never shows."""
    ref = {"id": 1, "name": "x", "_info": {"href": "https://cw.example/x/1"}}
    return {
        "id": 1042,
        "summary": "Printer jams",
        "company": {**ref, "identifier": "Acme"},
        "board": ref,
        "status": ref,
        "priority": {**ref, "sort": 2},
        "owner": {"id": 17, "identifier": "jdoe", "name": "Jordan Doe"},
        "contact": ref,
        "resources": "jdoe, slee",
        "_info": {
            "dateEntered": "2026-11-20T16:00:00Z",
            "enteredBy": "jdoe",
            "lastUpdated": "2026-11-21T16:00:00Z",
            "updatedBy": "slee",
        },
        "closedFlag": False,
        "parentTicketId": 1000,
        "actualHours": 1.5,
        "sla": {"id": 1, "name": "Standard"},
        "slaStatus": "Respond by Mon 11/23 4:00 PM UTC-08",
        "isInSla": True,
        "dateResponded": "2026-11-20T17:00:00Z",
        "dateResplan": "2026-11-20T18:00:00Z",
        "dateResolved": None,
        m.MARKER_FIELD: "slack:T1:abc",
        "budgetHours": 6.0,
        "recordType": "ServiceTicket",
        "customFields": [{"id": 1, "caption": "Asset tag", "value": "A-1"}],
    }


def test_the_row_fields_name_every_field_a_row_reads() -> None:
    raw = _Recording(_full_ticket())
    row = m._to_ticket(raw)
    assert row.sla is not None and row.marker and row.parent_ticket_id  # the full record was read
    assert raw.read - {"sortOrder"} <= ROW_FIELDS  # a priority reference has `sort`; a record `sortOrder`


async def test_every_seed_ticket_maps_the_same_from_its_row_fields(cw_get: Any) -> None:
    full = await cw_get("/service/tickets", {"pageSize": 1000, "orderBy": "id asc"})
    slim = await cw_get(
        "/service/tickets", {"pageSize": 1000, "orderBy": "id asc", "fields": m.TICKET_ROW_FIELDS}
    )
    assert len(full) == len(slim) > 100
    assert len(json.dumps(slim)) < len(json.dumps(full))
    assert m.map_rows(m._to_ticket, slim) == m.map_rows(m._to_ticket, full)


async def test_a_list_page_asks_only_for_the_row_fields(provider: ConnectWiseProvider, sandbox: Any) -> None:
    since = Since(sandbox)
    page = await provider.search_tickets(ProviderFilters(search="printer"), page=1, page_size=25)
    assert page.items
    lists = [r for r in since.trips().records if r.path == "/service/tickets"]
    assert [r.query.get("fields") for r in lists] == [m.TICKET_ROW_FIELDS]

"""Reads ask ConnectWise for only the fields the app maps (`fields=`), and what they map to stays the same."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from round_trips import Since

from psa.base import ProviderFilters
from psa.connectwise import ConnectWiseProvider
from psa.connectwise import mapping as m

ROW_FIELDS = set(m.TICKET_ROW_FIELDS.split(","))
REF = {"id": 1, "name": "x", "_info": {"href": "https://cw.example/x/1"}}


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
    ref = REF
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


# Each mapping with the fields its reads ask for, a full record, and what it may read that such a record
# never has (a member reference's `name`; a priority reference's `sort`).
RECORDS: list[tuple[str, Callable[[Any], Any], str, dict[str, Any], set[str]]] = [
    (
        "member",
        m._to_member,
        m.MEMBER_FIELDS,
        {
            "id": 17, "identifier": "jdoe", "firstName": "Jordan", "lastName": "Doe",
            "officeEmail": "jdoe@msp.example", "primaryEmail": "j@msp.example", "defaultEmail": "Office",
            "inactiveFlag": False, "hireDate": "2020-01-01T00:00:00Z", "securityRole": REF, "notes": "x",
        },
        {"name"},
    ),
    ("company", m._to_company, m.COMPANY_FIELDS, {"id": 2, "identifier": "A", "site": REF}, set()),
    (
        "configuration",
        m._to_configuration,
        m.CONFIGURATION_FIELDS,
        {
            "id": 5, "name": "ACME-DC01", "deviceIdentifier": "dc01", "type": REF, "serialNumber": "S1",
            "ipAddress": "10.0.0.5", "osType": "Windows Server", "company": REF, "questions": [],
        },
        set(),
    ),
    ("board", m._to_board, m.BOARD_FIELDS, {"id": 1, "name": "S", "inactiveFlag": 0, "location": REF}, set()),
    (
        "status",
        m._to_status,
        m.STATUS_FIELDS,
        {
            "id": 101, "name": "New", "board": REF, "sortOrder": 1, "closedStatus": False,
            "defaultFlag": True, "inactive": False, "displayOnBoard": True,
        },
        set(),
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "to_model", "fields", "record", "never"), RECORDS, ids=[r[0] for r in RECORDS]
)
def test_each_mapping_reads_only_the_fields_its_reads_ask_for(
    name: str, to_model: Callable[[Any], Any], fields: str, record: dict[str, Any], never: set[str]
) -> None:
    raw = _Recording(record)
    to_model(raw)
    assert raw.read - never <= set(fields.split(","))


LISTS = [
    ("/system/members", m.MEMBER_FIELDS, m._to_member),
    ("/company/companies", m.COMPANY_FIELDS, m._to_company),
    ("/company/configurations", m.CONFIGURATION_FIELDS, m._to_configuration),
    ("/service/boards", m.BOARD_FIELDS, m._to_board),
    ("/service/boards/1/statuses", m.STATUS_FIELDS, m._to_status),
]


@pytest.mark.parametrize(("path", "fields", "to_model"), LISTS, ids=[p for p, _, _ in LISTS])
async def test_every_seed_record_maps_the_same_from_its_fields(
    cw_get: Any, path: str, fields: str, to_model: Callable[[Any], Any]
) -> None:
    full = await cw_get(path, {"pageSize": 1000, "orderBy": "id asc"})
    slim = await cw_get(path, {"pageSize": 1000, "orderBy": "id asc", "fields": fields})
    assert len(full) == len(slim) > 1
    assert m.map_rows(to_model, slim) == m.map_rows(to_model, full)


async def test_the_reference_reads_ask_only_for_what_they_map(
    provider: ConnectWiseProvider, sandbox: Any
) -> None:
    since = Since(sandbox)
    assert await provider.list_members()
    assert await provider.search_companies("a")
    boards = await provider.list_boards()
    assert await provider.list_statuses(boards[0].id)
    asked = {r.path.split("/")[-1]: r.query.get("fields") for r in since.trips().records}
    assert asked == {
        "members": m.MEMBER_FIELDS,
        "companies": m.COMPANY_FIELDS,
        "boards": m.BOARD_FIELDS,
        "statuses": m.STATUS_FIELDS,
    }

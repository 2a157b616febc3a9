"""Mapping is tolerant: sparse, odd or extra fields never break a row."""

from __future__ import annotations

from datetime import UTC, datetime

from psa.connectwise import mapping as m
from psa.models import TicketCreatePayload


def test_a_ticket_with_only_an_id_still_maps() -> None:
    row = m._to_ticket({"id": 7})
    assert (row.id, row.summary, row.company, row.priority, row.owner, row.resources) == (
        7,
        "",
        None,
        None,
        None,
        [],
    )


def test_a_full_ticket_maps_every_field_and_ignores_unknown_ones() -> None:
    row = m._to_ticket(
        {
            "id": 1042,
            "summary": "Printer offline",
            "company": {"id": 42, "identifier": "AcmeCorp", "name": "Acme Corp"},
            "board": {"id": 1, "name": "Help Desk"},
            "status": {"id": 101, "name": "New"},
            "priority": {"id": 2, "name": "Priority 2", "sort": 2},
            "owner": {"id": 17, "identifier": "jdoe", "name": "Jordan Doe"},
            "contact": {"id": 366, "name": "Omar Lindqvist"},
            "resources": "jdoe, slee,jdoe ,",
            "closedFlag": False,
            "parentTicketId": 1000,
            "_info": {"dateEntered": "2026-05-05T13:06:45Z", "lastUpdated": "garbage"},
            "somethingNew2030": {"nested": True},
        }
    )
    assert row.company is not None and row.company.name == "Acme Corp"
    assert row.priority is not None and row.priority.sort == 2
    assert row.owner is not None and (row.owner.identifier, row.owner.name) == ("jdoe", "Jordan Doe")
    assert row.resources == ["jdoe", "slee"]
    assert row.date_entered == datetime(2026, 5, 5, 13, 6, 45, tzinfo=UTC) and row.last_updated is None
    assert row.parent_ticket_id == 1000 and not row.closed


def test_rows_without_an_id_are_skipped_in_lists() -> None:
    rows = m.map_rows(m._to_ticket, [{"id": 1}, {"summary": "no id"}, "junk", None, {"id": "2"}])
    assert [r.id for r in rows] == [1, 2]
    assert m.map_rows(m._to_ticket, {"not": "a list"}) == []


def test_member_without_last_name() -> None:
    member = m._to_member({"id": 3, "identifier": "cher", "firstName": "Cher", "primaryEmail": "c@x.io"})
    assert (member.name, member.email, member.inactive) == ("Cher", "c@x.io", False)
    assert m._to_member({"id": 4, "identifier": "solo"}).name == "solo"


def test_contact_takes_the_default_email_and_phone() -> None:
    contact = m._to_contact(
        {
            "id": 9,
            "firstName": "Ann",
            "communicationItems": [
                {"communicationType": "Email", "defaultFlag": False, "value": "old@x.io"},
                {"communicationType": "Email", "defaultFlag": True, "value": "ann@x.io"},
                {"communicationType": "Phone", "defaultFlag": True, "value": "555"},
                "junk",
            ],
            "company": {"id": 42},
        }
    )
    assert (contact.name, contact.email, contact.phone, contact.company_id) == ("Ann", "ann@x.io", "555", 42)
    bare = m._to_contact({"id": 10, "lastName": "Solo"})
    assert (bare.name, bare.email, bare.phone) == ("Solo", None, None)


def test_priority_sort_comes_from_sort_or_sort_order() -> None:
    assert m._to_priority({"id": 1, "name": "P1", "sortOrder": 1, "color": "Red"}).sort == 1
    assert m._to_priority({"id": 2, "name": "P2", "sort": 2}).sort == 2


def test_note_author_is_the_member_or_else_the_contact() -> None:
    by_member = m._to_note(
        {"id": 1, "text": "hi", "member": {"id": 3, "identifier": "jsmith", "name": "Jon"}}, 5
    )
    by_contact = m._to_note({"id": 2, "text": "hello", "contact": {"id": 9, "name": "Ann"}, "ticketId": 6})
    internal = m._to_note({"id": 3, "internalAnalysisFlag": True}, 5)
    assert (by_member.author_name, by_member.author_identifier, by_member.ticket_id) == ("Jon", "jsmith", 5)
    assert (by_contact.author_name, by_contact.ticket_id) == ("Ann", 6)
    assert internal.internal and internal.text == ""


def test_resources_are_owner_first_and_one_per_member() -> None:
    ticket = {"owner": {"id": 17, "identifier": "jdoe", "name": "Jordan Doe"}}
    entries = [
        {"member": {"id": 7, "identifier": "slee", "name": "Sam Lee"}},
        {"member": {"id": 17, "identifier": "jdoe", "name": "Jordan Doe"}},
        {"member": {"id": 7, "identifier": "slee", "name": "Sam Lee"}},
        {"member": {}},
    ]
    resources = m.resources_of(ticket, entries)
    assert [(r.member_identifier, r.is_owner) for r in resources] == [("jdoe", True), ("slee", False)]


def test_status_board_and_configuration() -> None:
    status = m._to_status({"id": 5, "name": "Closed", "closedStatus": True, "sortOrder": 6}, board_id=1)
    assert (status.board_id, status.closed, status.sort_order, status.default) == (1, True, 6, False)
    assert m._to_board({"id": 1, "name": "Help Desk", "inactiveFlag": True}).inactive
    cfg = m._to_configuration({"id": 5001, "deviceIdentifier": "abc", "type": {"name": "Server"}})
    assert (cfg.name, cfg.type_name) == ("abc", "Server")


def test_create_body_sends_whole_references_and_the_description() -> None:
    payload = TicketCreatePayload(
        summary="S",
        company_id=1,
        board_id=2,
        status_id=3,
        priority_id=4,
        description="D",
        assigned_member_id=17,
    )
    assert m.create_ticket_body(payload) == {
        "summary": "S",
        "company": {"id": 1},
        "board": {"id": 2},
        "status": {"id": 3},
        "priority": {"id": 4},
        "initialDescription": "D",
        "owner": {"id": 17},
    }
    assert m.status_patch(9) == [{"op": "replace", "path": "status", "value": {"id": 9}}]

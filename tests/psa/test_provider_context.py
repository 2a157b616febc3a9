"""get_ticket and get_ticket_context: what the detail view shows, and how few round trips it costs."""

from __future__ import annotations

from typing import Any

from round_trips import measure

from psa.connectwise import ConnectWiseProvider

SeedOracle = Any  # the `seed` fixture from conftest.py


def _children(seed: SeedOracle, ticket_id: int) -> list[int]:
    return sorted(t["id"] for t in seed.tickets.values() if t.get("parentTicketId") == ticket_id)


def _ticket_with(seed: SeedOracle, *, parent: bool, configs: bool) -> dict[str, Any]:
    with_cfg = {c["ticketId"] for c in seed.data["ticket_configurations"]}
    for t in sorted(seed.tickets.values(), key=lambda t: t["id"]):
        if bool(t.get("parentTicketId")) == parent and (t["id"] in with_cfg) == configs and t.get("contact"):
            return dict(t)
    raise AssertionError("no such ticket in the seed")


async def test_get_ticket_maps_the_row(provider: ConnectWiseProvider, seed: SeedOracle) -> None:
    raw = seed.tickets[1005]
    row = await provider.get_ticket(1005)
    assert row.summary == raw["summary"]
    assert row.company is not None and row.company.name == raw["company"]["name"]
    assert row.board is not None and row.board.id == raw["board"]["id"]
    assert row.status is not None and row.status.name == raw["status"]["name"]
    assert row.priority is not None and row.priority.sort == raw["priority"]["sort"]
    assert row.owner is not None and row.owner.identifier == raw["owner"]["identifier"]
    assert row.resources == seed.resources(raw)
    assert row.closed == raw["closedFlag"]
    assert row.date_entered is not None


async def test_context_has_contact_company_notes_configurations_and_family(
    provider: ConnectWiseProvider, seed: SeedOracle
) -> None:
    child = next(t for t in seed.tickets.values() if t.get("parentTicketId") == 1320 and t["id"] == 1322)
    ctx = await provider.get_ticket_context(1322)
    assert ctx.ticket.id == 1322 and ctx.url and "service_recid=1322" in ctx.url
    assert ctx.company is not None and ctx.company.identifier == child["company"]["identifier"]

    contact = next(c for c in seed.data["contacts"] if c["id"] == child["contact"]["id"])
    email = next(i["value"] for i in contact["communicationItems"] if i["communicationType"] == "Email")
    assert ctx.contact is not None and ctx.contact.email == email
    assert ctx.contact.name == f"{contact['firstName']} {contact['lastName']}".strip()

    note_ids = sorted(n["id"] for n in seed.data["notes"] if n["ticketId"] == 1322)
    assert [n.id for n in ctx.notes] == note_ids and ctx.notes_total == len(note_ids)

    cfg_ids = {c["configurationId"] for c in seed.data["ticket_configurations"] if c["ticketId"] == 1322}
    names = {c["name"] for c in seed.data["configurations"] if c["id"] in cfg_ids}
    assert {c.name for c in ctx.configurations} == names and names

    related = [t.id for t in ctx.related]
    assert related[0] == 1320  # the parent first
    assert 1322 not in related
    siblings_open = [
        t
        for t in seed.tickets.values()
        if t["company"]["id"] == child["company"]["id"]
        and (t.get("contact") or {}).get("id") == child["contact"]["id"]
        and not t["closedFlag"]
        and t["id"] != 1322
    ]
    assert set(related) <= {1320} | set(_children(seed, 1322)) | {t["id"] for t in siblings_open}


async def test_context_lists_children_of_a_parent(provider: ConnectWiseProvider, seed: SeedOracle) -> None:
    ctx = await provider.get_ticket_context(1320)
    related = [t.id for t in ctx.related]
    assert related[: len(_children(seed, 1320))] == _children(seed, 1320)


async def test_context_related_are_recent_open_tickets_of_the_same_contact(
    provider: ConnectWiseProvider, seed: SeedOracle
) -> None:
    base = _ticket_with(seed, parent=False, configs=False)
    ctx = await provider.get_ticket_context(base["id"])
    others = [t for t in ctx.related if t.id not in _children(seed, base["id"])]
    expected = sorted(
        (
            t
            for t in seed.tickets.values()
            if t["company"]["id"] == base["company"]["id"]
            and (t.get("contact") or {}).get("id") == base["contact"]["id"]
            and not t["closedFlag"]
            and t["id"] != base["id"]
            and t.get("parentTicketId") != base["id"]
        ),
        key=lambda t: (t["_info"]["dateEntered"], t["id"]),
        reverse=True,
    )[:5]
    assert [t.id for t in others] == [t["id"] for t in expected]
    assert all(not t.closed for t in others)


async def test_context_shows_the_latest_twenty_notes_oldest_first(provider: ConnectWiseProvider) -> None:
    for i in range(25):
        await provider.add_note(1003, f"update {i}", internal=i % 2 == 1)
    ctx = await provider.get_ticket_context(1003)
    assert len(ctx.notes) == 20 and ctx.notes_total == 7 + 25
    assert [n.text for n in ctx.notes[-3:]] == ["update 22", "update 23", "update 24"]
    assert [n.id for n in ctx.notes] == sorted(n.id for n in ctx.notes)
    assert ctx.notes[-1].internal is False and ctx.notes[-2].internal is True


async def test_a_missing_contact_does_not_hide_the_ticket(
    provider: ConnectWiseProvider, sandbox: Any
) -> None:
    sandbox.inject_fault(method="GET", path_pattern="/company/contacts/", status=404)
    ctx = await provider.get_ticket_context(1322)
    assert ctx.contact is None and ctx.ticket.id == 1322 and ctx.notes


async def test_context_takes_two_round_trips_without_the_row(
    provider: ConnectWiseProvider, sandbox: Any
) -> None:
    _, trips = await measure(sandbox, provider.get_ticket_context(1322), together=(4, 4))
    # ticket+notes+count+device links, then contact+family+related+device names: 8 requests.
    assert (trips.requests, trips.rounds) == (8, 2)


async def test_context_with_the_row_known_takes_one_round_trip_when_there_are_no_devices(
    provider: ConnectWiseProvider, sandbox: Any, seed: SeedOracle
) -> None:
    base = _ticket_with(seed, parent=False, configs=False)
    known = await provider.get_ticket(base["id"])
    _, unknown = await measure(sandbox, provider.get_ticket_context(base["id"]), together=(4, 3))
    _, trips = await measure(sandbox, provider.get_ticket_context(base["id"], known=known), together=(7,))
    assert (unknown.rounds, trips.rounds) == (2, 1)

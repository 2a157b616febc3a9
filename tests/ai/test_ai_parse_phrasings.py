"""The offline parser on many phrasings of our own (not the public cases), against the seed's data."""

from __future__ import annotations

from typing import Any

import pytest

from ai.parser import TicketParser

# (prompt, acting member identifier, fields that must equal, words the summary must contain)
PHRASINGS: list[tuple[str, str, dict[str, Any], list[str]]] = [
    (
        "brightsmile dental group - xray sensor not detected, p2",
        "jdoe",
        {"company_id": 23, "priority_id": 2},
        ["xray"],
    ),
    (
        "Delgado Reyes: paralegal can't open PDFs, whenever you get a chance",
        "jdoe",
        {"company_id": 28, "priority_id": 4},
        ["pdf"],
    ),
    (
        "Metro Plumbing & Heating dispatcher phone dead, ASAP, assign to Megan O'Brien",
        "jdoe",
        {"company_id": 79, "priority_id": 2, "assigned_member_id": 15},
        ["phone dead"],
    ),
    (
        "Metro Plumbing and Heating: water heater controller offline",
        "jdoe",
        {"company_id": 79},
        ["controller"],
    ),
    (
        "Lakeside Orthopedics needs a new scanner set up for the front desk, onboarding board, "
        "assign to hana",
        "jdoe",
        {"company_id": 80, "board_id": 4, "status_id": 117, "assigned_member_id": 14},
        ["scanner"],
    ),
    ("CAFE LUMIERE WIFI DOWN", "jdoe", {"company_id": 22, "priority_id": 2}, ["wifi"]),  # inferred
    (
        "Outlook keeps crashing for Redwood Architecture Studio, high priority, give it to Lukas",
        "jdoe",
        {"company_id": 85, "priority_id": 2, "assigned_member_id": 16},
        ["outlook keeps crashing"],
    ),
    (
        "Ticket for Copperline Construction: site trailer internet slow, assign to tokafor",
        "jdoe",
        {"company_id": 88, "assigned_member_id": 10},
        ["internet"],
    ),
    (
        "Please open a ticket for Ironclad Security Services — camera NVR offline, priority: high, "
        "board: Network Operations",
        "jdoe",
        {"company_id": 91, "priority_id": 2, "board_id": 3, "status_id": 109},
        ["nvr"],
    ),
    (
        "Granite State Insurance Agency printer jammed again, status in progress, help desk board",
        "jdoe",
        {"company_id": 74, "board_id": 1, "status_id": 102},
        ["printer"],
    ),
    (
        "Sunrise Senior Living nurse station PC blue screen, sev 1, escalations",
        "jdoe",
        {"company_id": 77, "priority_id": 1, "board_id": 8, "status_id": 128},
        ["blue screen"],
    ),
    (
        "Willow Creek Pediatrics wants 2 new laptops, low priority, assign to Michael Chen",
        "jdoe",
        {"company_id": 99, "priority_id": 4, "assigned_member_id": 2},
        ["laptops"],
    ),
    (
        "Horizon Marketing Collective: Adobe license expired, medium",
        "jdoe",
        {"company_id": 102, "priority_id": 3},
        ["adobe"],
    ),
    (
        "Fairview Public Library public PCs frozen, critical, assign to Sam",
        "jdoe",
        {"company_id": 109, "priority_id": 1, "assigned_member_id": 7},
        ["frozen"],
    ),
    (
        "Blue Heron Hotel & Spa keycard encoder offline, assign to Alex",
        "jdoe",
        {"company_id": 111, "assigned_member_id": 5},
        ["keycard"],
    ),
    ("AcmeCorp: VPN down", "jdoe", {"company_id": 42, "priority_id": 2}, ["vpn"]),  # inferred, warned
    ("Acme Corp's scanner stopped working", "jdoe", {"company_id": 42}, ["scanner"]),
    (
        "Evergreen Accounting Partners QuickBooks update, leave unassigned, no rush",
        "jdoe",
        {"company_id": 72, "priority_id": 4, "assigned_member_id": None},
        ["quickbooks"],
    ),
    ("st marys clinic fax server not sending", "jdoe", {"company_id": 20}, ["fax"]),
    ("R and D Labs 3D printer offline", "jdoe", {"company_id": 21}, ["3d printer"]),
    ("Whitaker and Associates Law Outlook search broken", "jdoe", {"company_id": 25}, ["outlook search"]),
    ("Precision Tooling Inc. CNC PC can't reach the file share", "jdoe", {"company_id": 43}, ["file share"]),
    ("Summit Freight Lines — dispatch printer offline", "jdoe", {"company_id": 39}, ["printer"]),
    ("Riverside Charter: chromebooks not connecting to wifi", "jdoe", {"company_id": 47}, ["chromebooks"]),
    ("Harbor View Dentistry: MFA reset for the hygienist", "jdoe", {"company_id": 24}, ["mfa"]),
    ("Copperline, site trailer printer offline", "jdoe", {"company_id": 88}, ["printer"]),
    ("Keystone Plastics line 3 HMI frozen, P1", "jdoe", {"company_id": 44, "priority_id": 1}, ["hmi"]),
    ("Oakridge Vet: X-ray PC won't boot, normal", "jdoe", {"company_id": 54, "priority_id": 3}, ["boot"]),
    (
        "Switch in closet B is beeping, network operations board, emergency",
        "jdoe",
        {"company_id": None, "board_id": 3, "status_id": 109, "priority_id": 1},
        ["switch"],
    ),
    (
        "Golden Harvest Foods ERP down, set status to Scheduled, escalations board",
        "jdoe",
        {"company_id": 97, "board_id": 8, "status_id": 131},
        ["erp"],
    ),
    (
        "for Stone Ridge Winery, wine club emails bouncing, assign to Rosa Garcia",
        "jdoe",
        {"company_id": 49, "assigned_member_id": 12},
        ["emails bouncing"],
    ),
    (
        "Hi team, can you create a ticket for Maple Grove Academy: projector in gym not turning on? Thanks",
        "jdoe",
        {"company_id": 46},
        ["projector"],
    ),
    ("Bluewatr Logistics backup failed overnight", "jdoe", {"company_id": 32}, ["backup"]),
    (
        "Pinecrest Property Management door access panel offline, assign to Samanta Leigh",
        "jdoe",
        {"company_id": 68, "assigned_member_id": 8},
        ["door access"],
    ),
    (
        "Cascade Community Credit Union. Teller 3 printer jams every morning. Started after the toner swap. "
        "Low priority.",
        "jdoe",
        {"company_id": 52, "priority_id": 4},
        ["printer"],
    ),
    (
        "Tri-County Title & Escrow closing room TV not working, assign to me",
        "kwalsh",
        {"company_id": 98, "assigned_member_id": 11},
        ["tv"],
    ),
    (
        "Northstar MSP internal: rotate the backup encryption keys, alerts board, i'll take it",
        "ejohansson",
        {"company_id": 2, "board_id": 6, "status_id": 125, "assigned_member_id": 19},
        ["backup encryption keys"],
    ),
    ("urgent!! acme corp outlook wont open", "jdoe", {"company_id": 42, "priority_id": 2}, ["outlook"]),
    (
        "Bayside Realty Group agent laptops need Windows 11 upgrade, normal priority, owner: Priya",
        "jdoe",
        {"company_id": 89, "priority_id": 3, "assigned_member_id": 9},
        ["windows 11"],
    ),
    (
        "Meridian Engineering Group plotter out of ink, assign to rgarcia, helpdesk",
        "jdoe",
        {"company_id": 115, "assigned_member_id": 12, "board_id": 1},
        ["plotter"],
    ),
    (
        "Can you assign to Priya a ticket for Acme Corp about the broken projector?",
        "jdoe",
        {"company_id": 42, "assigned_member_id": 9},
        ["broken projector"],
    ),
    (
        "Assign Kelly: Fairview Public Library self-checkout kiosk frozen",
        "jdoe",
        {"company_id": 109, "assigned_member_id": 11},
        ["self-checkout kiosk frozen"],
    ),
    (
        "Printer offline at Northwind Traders warehouse, critical",
        "jdoe",
        {"company_id": 14},
        ["offline at warehouse"],
    ),
    (
        "Acme Corp printer offline, put it on the escalations board, mark as in progress",
        "jdoe",
        {"company_id": 42, "board_id": 8, "status_id": 129},
        ["printer offline"],
    ),
    ('"Tri-County Title" scanner offline', "jdoe", {"company_id": 98}, ["scanner offline"]),
    (
        "please log a case for Bluewater Logistics about the forklift tablets",
        "jdoe",
        {"company_id": 32},
        ["tablets"],
    ),
    (
        "About Acme Corp's outlook, it keeps freezing",
        "jdoe",
        {"company_id": 42},
        ["outlook, it keeps freezing"],
    ),
    (
        "The email server at Golden Harvest Foods is down since 8am. Users can't send. "
        "Please escalate, emergency.",
        "jdoe",
        {"company_id": 97, "priority_id": 1},
        ["email server is down"],
    ),
]


@pytest.mark.parametrize(
    ("prompt", "actor", "expect", "summary_has"), PHRASINGS, ids=[p[0][:40] for p in PHRASINGS]
)
async def test_phrasing_is_resolved(
    prompt: str,
    actor: str,
    expect: dict[str, Any],
    summary_has: list[str],
    offline_parser: TicketParser,
    seed_reference: Any,
) -> None:
    result = await offline_parser.parse(prompt, actor_member_id=seed_reference.member_id(actor))
    assert {field: getattr(result, field) for field in expect} == expect, result.warnings
    summary = result.summary or ""
    for words in summary_has:
        assert words in summary.lower()
    assert len(summary) <= 100 and summary[-1:] not in {".", ",", ":", ";", "!", "?", "-"}


@pytest.mark.parametrize("prompt", [p[0] for p in PHRASINGS])
async def test_every_id_exists_in_the_psa_reference_data(
    prompt: str, offline_parser: TicketParser, seed_reference: Any
) -> None:
    result = await offline_parser.parse(prompt, actor_member_id=seed_reference.member_id("jdoe"))
    assert result.company_id in {None, *(c.id for c in await seed_reference.companies())}
    assert result.board_id in {None, *(b.id for b in await seed_reference.boards())}
    assert result.priority_id in {None, *(p.id for p in await seed_reference.priorities())}
    assert result.assigned_member_id in {None, *(m.id for m in await seed_reference.members())}
    if result.status_id is not None:
        assert result.status_id in {s.id for s in await seed_reference.statuses(result.board_id or -1)}
    required = ["summary", "company_id", "board_id", "status_id", "priority_id"]
    assert result.missing_fields == [name for name in required if getattr(result, name) is None]

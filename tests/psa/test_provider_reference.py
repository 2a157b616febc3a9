"""Boards, statuses, priorities, members, companies and links, checked against the seed."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr

from psa.connectwise import ConnectWiseCredentials, ConnectWiseProvider
from psa.errors import PSANotFoundError

SeedOracle = Any  # the `seed` fixture from conftest.py


async def test_boards_are_the_active_ones_by_name(provider: ConnectWiseProvider, seed: SeedOracle) -> None:
    expected = sorted(b["name"] for b in seed.data["boards"] if not b["inactiveFlag"])
    assert [b.name for b in await provider.list_boards()] == expected


async def test_statuses_follow_the_board_order_with_flags(
    provider: ConnectWiseProvider, seed: SeedOracle
) -> None:
    raw = sorted(
        (s for s in seed.data["board_statuses"] if s["board"]["id"] == 1 and not s["inactive"]),
        key=lambda s: s["sortOrder"],
    )
    statuses = await provider.list_statuses(1)
    assert [(s.id, s.name, s.closed, s.default) for s in statuses] == [
        (s["id"], s["name"], s["closedStatus"], s["defaultFlag"]) for s in raw
    ]
    assert all(s.board_id == 1 for s in statuses)


async def test_priorities_are_most_urgent_first_with_colours(provider: ConnectWiseProvider) -> None:
    priorities = await provider.list_priorities()
    assert [p.sort for p in priorities] == [1, 2, 3, 4, 5]
    assert priorities[0].color == "Red" and [p.default for p in priorities].count(True) == 1


async def test_members_are_active_only(provider: ConnectWiseProvider, seed: SeedOracle) -> None:
    members = await provider.list_members()
    active = {m["id"] for m in seed.data["members"] if not m["inactiveFlag"]}
    assert {m.id for m in members} == active
    jdoe = next(m for m in members if m.id == 17)
    assert (jdoe.identifier, jdoe.name, jdoe.inactive) == ("jdoe", "Jordan Doe", False)
    assert jdoe.email and "@" in jdoe.email


async def test_members_are_paged_through(
    credentials: ConnectWiseCredentials, http: Any, sandbox: Any
) -> None:
    small_pages = ConnectWiseProvider(credentials, http=http, list_page_size=6)
    members = await small_pages.list_members()
    assert len(members) == 20
    assert sandbox.request_count("GET", "/system/members") == 4  # 6 + 6 + 6 + 2


async def test_get_company(provider: ConnectWiseProvider) -> None:
    company = await provider.get_company(42)
    assert (company.id, company.identifier, company.name) == (42, "AcmeCorp", "Acme Corp")
    with pytest.raises(PSANotFoundError):
        await provider.get_company(4242)


@pytest.mark.parametrize("query", ["acme", "ACME", "north", "st. mary's", "&", "cu"])
async def test_company_search_matches_name_or_identifier(
    provider: ConnectWiseProvider, seed: SeedOracle, query: str
) -> None:
    q = query.casefold()
    expected = sorted(
        (c for c in seed.data["companies"] if q in c["name"].casefold() or q in c["identifier"].casefold()),
        key=lambda c: (c["name"], c["id"]),
    )
    found = await provider.search_companies(query, limit=100)
    assert [c.id for c in found] == [c["id"] for c in expected]


async def test_empty_company_search_lists_the_first_by_name(
    provider: ConnectWiseProvider, seed: SeedOracle
) -> None:
    names = sorted(c["name"] for c in seed.data["companies"])
    assert [c.name for c in await provider.search_companies("", limit=5)] == names[:5]


async def test_company_search_pages_up_to_the_limit(
    credentials: ConnectWiseCredentials, http: Any, seed: SeedOracle, sandbox: Any
) -> None:
    small_pages = ConnectWiseProvider(credentials, http=http, list_page_size=15)
    companies = await small_pages.search_companies("", limit=1000)
    assert len(companies) == len(seed.data["companies"])
    assert sandbox.request_count("GET", "/company/companies") == 3


async def test_ticket_url_points_at_the_web_ui_of_the_site(
    credentials: ConnectWiseCredentials, provider: ConnectWiseProvider
) -> None:
    assert provider.ticket_url(1042) == (
        credentials.base_url.split("/v4_6_release")[0]
        + "/v4_6_release/services/system_io/Service/fv_sr100_request.rails?service_recid=1042"
        + f"&companyName={credentials.company_id}"
    )
    async with ConnectWiseProvider(
        ConnectWiseCredentials(
            base_url="https://api-na.myconnectwise.net/v2025_1/apis/3.0/",
            company_id="acme",
            public_key="pub",
            private_key=SecretStr("priv"),
            client_id="cid",
        )
    ) as cloud:
        assert cloud.ticket_url(7) == (
            "https://na.myconnectwise.net/v2025_1/services/system_io/Service/"
            "fv_sr100_request.rails?service_recid=7&companyName=acme"
        )


async def test_ticket_url_opens_in_the_sandbox(provider: ConnectWiseProvider, http: Any) -> None:
    url = provider.ticket_url(1000)
    assert url is not None
    page = await http.get(url)
    assert page.status_code == 200 and "1000" in page.text

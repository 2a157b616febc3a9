"""Any typed search text, backslashes and quotes included, against the sandbox over HTTP: what can be
sent as one literal matches exactly the tickets containing it; what cannot is searched in parts, the
answer says so and names them, and no ticket containing the typed text is ever missed."""

from __future__ import annotations

import asyncio
import json
import ssl
from typing import Any

import httpx
from fuzz_budget import examples
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from psa.base import ProviderFilters
from psa.connectwise import ConnectWiseCredentials, ConnectWiseProvider, RetryPolicy
from psa.connectwise.sandbox.store import DEFAULT_SEED
from psa.models import TicketListResponse

_SUMMARIES = sorted({t["summary"] for t in json.loads(DEFAULT_SEED.read_text())["tickets"]})
# What engineers paste: paths, quotes of every kind, LIKE wildcards, the sandbox's refused characters.
_TYPED = st.sampled_from([*"\\\"'“”‘’*%_[]: ", "C:\\temp\\", "\\\\", '\\"', "  "])
_PLAIN = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=6)


@st.composite
def typed_text(draw: st.DrawFn) -> str:
    """A piece of a real summary with typed characters inserted, or text made of them alone."""
    summary = draw(st.sampled_from(_SUMMARIES))
    start = draw(st.integers(0, max(0, len(summary) - 1)))
    piece = summary[start : start + draw(st.integers(0, 30))]
    inserts = draw(st.lists(st.tuples(st.integers(0, len(piece)), st.one_of(_TYPED, _PLAIN)), max_size=4))
    for at, text in sorted(inserts, reverse=True):
        piece = piece[:at] + text + piece[at:]
    return piece


def _search(credentials: ConnectWiseCredentials, tls: ssl.SSLContext, text: str) -> TicketListResponse:
    async def run() -> TicketListResponse:
        async with httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=10.0), verify=tls) as http:
            provider = ConnectWiseProvider(credentials, http=http, retry=RetryPolicy())
            filters = ProviderFilters(search=text, include_closed=True)
            return await provider.search_tickets(filters, page=1, page_size=1000)

    return asyncio.run(run())


def _contains(ticket: dict[str, Any], text: str) -> bool:
    needle = text.casefold()
    return needle in ticket["summary"].casefold() or needle in ticket["company"]["name"].casefold()


@settings(
    max_examples=examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=typed_text())
def test_any_typed_text_matches_literally_or_says_it_was_searched_in_parts(
    credentials: ConnectWiseCredentials, tls: ssl.SSLContext, seed: Any, text: str
) -> None:
    typed = text.strip()
    assume(typed and not typed.isdigit())  # digits also match a ticket number
    result = _search(credentials, tls, text)
    found = {t.id for t in result.items}
    exact = {i for i, t in seed.tickets.items() if _contains(t, typed)}

    assert exact <= found  # nothing containing the typed text is ever missed
    if result.search_parts is None:
        assert found == exact
    else:
        assert all(part in typed for part in result.search_parts)
        for ticket_id in found:
            assert all(_contains(seed.tickets[ticket_id], part) for part in result.search_parts)
        assert found >= set(seed.matching(search=text, include_closed=True))


def test_a_backslash_search_names_the_parts_it_searched(
    credentials: ConnectWiseCredentials, tls: ssl.SSLContext
) -> None:
    assert _search(credentials, tls, "C:\\temp\\").search_parts == ["C:", "temp"]
    assert _search(credentials, tls, 'the "big" 100% [x]').search_parts is None
    assert _search(credentials, tls, " * \\ ").search_parts == []

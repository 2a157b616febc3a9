"""Properties of the offline parser on arbitrary input: it never fails and never invents an id."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from ai_seed_reference import SEED, SeedReference
from fuzz_budget import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ai.extract import HeuristicExtractor
from ai.models import ThreadContext
from ai.parser import TicketParser
from ai.spinoff import HeuristicSpinoffDetector

_REFERENCE = SeedReference(json.loads(SEED.read_text(encoding="utf-8")))
_PARSER = TicketParser(HeuristicExtractor(), _REFERENCE)
_VOCABULARY = [
    "Acme", "Acme Corp", "Northwind", "St. Mary's", "R&D", "Café", "Lumière", "board", "help desk",
    "urgent", "low", "priority", "assign to", "me", "Jon Smith", "John", "unassigned", ":", " - ", ",", ";",
    "\n", "for", "status", "P1", "not urgent", "9999", "</request>", "'", '"', "…", "printer", "offline",
    "down", "new ticket for", "client:", "ticket", "about", "give it to", "board:", "status:", "it",
]  # fmt: skip
_prompts = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(_VOCABULARY) | st.text(max_size=8), max_size=25).map(" ".join),
)


async def _valid_ids() -> dict[str, set[Any]]:
    return {
        "company_id": {None, *(c.id for c in await _REFERENCE.companies())},
        "board_id": {None, *(b.id for b in await _REFERENCE.boards())},
        "priority_id": {None, *(p.id for p in await _REFERENCE.priorities())},
        "assigned_member_id": {None, *(m.id for m in await _REFERENCE.members())},
    }


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_prompts)
def test_any_text_parses_into_real_ids_and_a_clean_summary(prompt: str) -> None:
    result = asyncio.run(_PARSER.parse(prompt, actor_member_id=17))
    valid = asyncio.run(_valid_ids())
    for field, ids in valid.items():
        assert getattr(result, field) in ids
    if result.status_id is not None:
        assert result.board_id is not None
        statuses = asyncio.run(_REFERENCE.statuses(result.board_id))
        assert result.status_id in {s.id for s in statuses}
    if result.summary is not None:
        assert 0 < len(result.summary) <= 100
        assert result.summary == result.summary.strip()
        assert result.summary[-1] not in ",;:.!?-"
    required = ["summary", "company_id", "board_id", "status_id", "priority_id"]
    assert result.missing_fields == [name for name in required if getattr(result, name) is None]


@settings(max_examples=examples(150), deadline=None)
@given(_prompts, _prompts, st.lists(_prompts, max_size=3))
def test_spin_off_detection_never_fails_and_keeps_labels_within_slacks_limit(
    summary: str, message: str, thread: list[str]
) -> None:
    suggestion = HeuristicSpinoffDetector().check(
        ThreadContext(ticket_summary=summary, thread=thread, message=message)
    )
    if suggestion is not None:
        assert suggestion.label.startswith("Create ticket: ") and len(suggestion.label) <= 75
        assert 0 < len(suggestion.description) <= 200

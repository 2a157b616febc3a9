"""The answer to an ambiguous search filter: only the candidates, each typeable and clickable."""

from __future__ import annotations

import pytest
from grammar_roundtrip import parse_filter

from bot.ids import ListAction
from bot.state import ListState
from bot.views.filter_choices import FilterChoice, ambiguous_filter_message, typed_filter
from bot.views.limits import validate_message


@pytest.mark.parametrize(
    ("key", "value", "typed"),
    [
        ("company", "Acme Corp", 'company:"Acme Corp"'),
        ("assigned", "jsmith", "assigned:jsmith"),
        ("company", 'The "Best" Bakery', "company:'The \"Best\" Bakery'"),
        ("company", 'Bob\'s "Big" Shop', 'company:“Bob\'s "Big" Shop”'),
    ],
)
def test_the_filter_to_type_reads_back_as_the_same_name(key: str, value: str, typed: str) -> None:
    assert typed_filter(key, value) == typed
    assert parse_filter(typed) == (key, value)


def test_each_candidate_has_its_filter_text_and_a_button_with_its_list() -> None:
    base = ListState().with_filter(search="printer")
    choices = [
        FilterChoice(label=name, typed=typed_filter("company", name), state=base.with_filter(company_id=i))
        for i, name in ((14, "Northwind Traders"), (16, "Northwind Health"))
    ]
    message = ambiguous_filter_message("company", "northwind", choices)
    validate_message(message)
    rows = [b for b in message["blocks"] if b.get("accessory")]
    assert [r["accessory"]["action_id"] for r in rows] == [ListAction.PICK, ListAction.PICK]
    assert len({r["block_id"] for r in rows}) == 2
    assert ListState.decode(rows[1]["accessory"]["value"]).filters.company_id == 16
    assert '`company:"Northwind Traders"`' in rows[0]["text"]["text"]


def test_many_candidates_are_cut_with_a_count() -> None:
    choices = [FilterChoice(label=f"Name {i}", typed=f"assigned:n{i}") for i in range(30)]
    message = ambiguous_filter_message("member", "n", choices)
    validate_message(message)
    assert "…and 20 more" in str(message["blocks"][-1])

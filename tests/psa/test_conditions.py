"""The conditions builder: user text can never change a query's structure."""

from __future__ import annotations

import pytest
from fuzz_budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from psa.base import ProviderFilters
from psa.connectwise.conditions import (
    UnquotableValueError,
    and_,
    contains,
    eq,
    in_,
    list_item,
    ne,
    or_,
    quote_string,
    render,
    text_fragments,
    text_search,
    ticket_filter,
)

sandbox_conditions = pytest.importorskip("psa.connectwise.sandbox.conditions")
parse = sandbox_conditions.parse
matches = sandbox_conditions.matches
Cmp = sandbox_conditions.Comparison
And = sandbox_conditions.And
Or = sandbox_conditions.Or

HOSTILE = [
    '"',
    "'",
    "\\",
    "%",
    "*",
    "[",
    ") OR (1=1",
    '" OR summary contains "',
    "' OR summary contains '",
    "a AND b",
    "x) or (id > 0",
    "line1\nline2",
    "[2020-01-01T00:00:00Z]",
    '\\"',
    "%' OR '1'='1",
]
# Text that holds at most one kind of quote: always quotable as one literal.
quotable = st.text(max_size=60).filter(lambda s: not ('"' in s and "'" in s))


def test_quote_string_prefers_double_quotes() -> None:
    assert quote_string("printer") == '"printer"'
    assert quote_string("O'Brien") == '"O\'Brien"'


def test_quote_string_uses_single_quotes_around_double_quotes() -> None:
    assert quote_string('the "big" one') == "'the \"big\" one'"


def test_quote_string_refuses_both_kinds() -> None:
    with pytest.raises(UnquotableValueError):
        quote_string('O\'Brien "printer"')


def test_field_names_come_from_the_allow_list_only() -> None:
    with pytest.raises(ValueError):
        eq("summary) OR (id", "x")
    with pytest.raises(ValueError):
        contains("password", "x")


def test_integers_must_be_real_ints() -> None:
    with pytest.raises(TypeError):
        eq("board/id", True)
    with pytest.raises(TypeError):
        in_("id", ["1) OR (1=1"])  # type: ignore[list-item]
    with pytest.raises(ValueError):
        in_("id", [])


def test_combinators_skip_missing_parts() -> None:
    assert and_(None, None) is None
    assert render(and_(eq("board/id", 1), None)) == "board/id = 1"
    assert render(or_(eq("id", 1), ne("id", 2))) == "(id = 1 OR id != 2)"


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_stays_one_literal(text: str) -> None:
    tree = parse(render(contains("summary", text)))
    assert tree == Cmp("summary", "contains", text)


@given(quotable)
def test_contains_parses_to_exactly_one_comparison(text: str) -> None:
    assert parse(render(contains("summary", text))) == Cmp("summary", "contains", text)


@given(quotable)
def test_eq_parses_to_exactly_one_comparison(text: str) -> None:
    assert parse(render(eq("company/name", text))) == Cmp("company/name", "=", text)


@given(quotable, quotable, st.integers(min_value=-(2**31), max_value=2**31 - 1))
def test_combined_conditions_keep_their_shape(a: str, b: str, n: int) -> None:
    cond = and_(
        contains("summary", a), or_(eq("board/id", n), contains("company/name", b)), eq("closedFlag", False)
    )
    assert parse(render(cond)) == And(
        (
            Cmp("summary", "contains", a),
            Or((Cmp("board/id", "=", n), Cmp("company/name", "contains", b))),
            Cmp("closedFlag", "=", False),
        )
    )


@given(st.text(max_size=100))
def test_text_search_has_one_clause_per_fragment_whatever_the_text(text: str) -> None:
    cond = text_search(text, ("summary", "company/name"))
    fragments = text_fragments(text)
    if not fragments:
        assert cond is None
        return
    clauses = [Or((Cmp("summary", "contains", f), Cmp("company/name", "contains", f))) for f in fragments]
    expected = clauses[0] if len(clauses) == 1 else And(tuple(clauses))
    assert parse(render(cond)) == expected
    for fragment in fragments:
        assert fragment in text
    if not ('"' in text and "'" in text):
        assert fragments == [text.strip()]


def test_text_with_both_quotes_is_split_on_double_quotes() -> None:
    assert text_fragments('O\'Brien "printer"') == ["O'Brien", "printer"]


identifiers = st.from_regex(r"[A-Za-z0-9._-]{1,12}", fullmatch=True)


@settings(max_examples=examples(100))
@given(identifiers, st.lists(identifiers, max_size=5), st.sampled_from([", ", ","]))
def test_list_item_matches_whole_items_only(item: str, others: list[str], sep: str) -> None:
    cond = render(list_item("resources", item))
    assert cond is not None
    for position in range(len(others) + 1):
        with_item = [*others[:position], item, *others[position:]]
        assert matches(cond, {"resources": sep.join(with_item)})
    expected = any(o.casefold() == item.casefold() for o in others)
    assert matches(cond, {"resources": sep.join(others)}) == expected


def test_list_item_does_not_confuse_prefixes() -> None:
    cond = render(list_item("resources", "jdoe"))
    assert cond is not None
    assert not matches(cond, {"resources": "jdoe2"})
    assert not matches(cond, {"resources": "ajdoe, slee"})
    assert matches(cond, {"resources": "slee, jdoe"})


@pytest.mark.parametrize("bad", ["j*", "j%", "a,b", "a b", 'a"', "", "a[b"])
def test_list_item_refuses_wildcards_and_separators(bad: str) -> None:
    with pytest.raises(ValueError):
        list_item("resources", bad)


@given(
    st.text(max_size=120),
    st.one_of(st.none(), st.integers(min_value=1, max_value=10_000)),
    st.sampled_from(["all", "unassigned", 17]),
    st.booleans(),
)
def test_ticket_filter_always_parses_with_one_clause_per_filter(
    search: str, board: int | None, assigned: str | int, include_closed: bool
) -> None:
    f = ProviderFilters(search=search, board_id=board, assigned=assigned, include_closed=include_closed)
    tree = parse(render(ticket_filter(f, "jdoe")) or "")
    expected_clauses = sum(
        [bool(text_fragments(search[:100].strip())), board is not None, assigned != "all", not include_closed]
    )
    if expected_clauses == 0:
        assert tree is None
    elif expected_clauses == 1:
        assert tree is not None
    else:
        assert isinstance(tree, And) and len(tree.items) == expected_clauses


def test_numeric_search_also_matches_the_ticket_number() -> None:
    tree = parse(render(ticket_filter(ProviderFilters(search=" 1042 ", include_closed=True))) or "")
    assert tree == Or(
        (
            Cmp("id", "=", 1042),
            Or((Cmp("summary", "contains", "1042"), Cmp("company/name", "contains", "1042"))),
        )
    )

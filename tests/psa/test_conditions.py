"""The conditions builder: user text can never change a query's structure, and always matches literally."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fuzz_budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from psa.base import ProviderFilters
from psa.connectwise.conditions import (
    ANY,
    SEARCH_URL_BUDGET,
    UnquotableValueError,
    and_,
    contains,
    eq,
    in_,
    like,
    like_literal,
    list_item,
    ne,
    or_,
    quote_string,
    render,
    service_entries,
    text_fragments,
    text_search,
    ticket_filter,
)
from psa.connectwise.sandbox.conditions import And, Or, matches, parse
from psa.connectwise.sandbox.conditions import Comparison as Cmp

# One literal each: quotes, SQL LIKE wildcards, brackets, structure-looking text.
LITERAL = [
    '"',
    "'",
    "%",
    "_",
    "[",
    "]",
    "[^a-z]",
    ") OR (1=1",
    '" OR summary contains "',
    "' OR summary contains '",
    "a AND b",
    "x) or (id > 0",
    "[2020-01-01T00:00:00Z]",
    "%' OR '1'='1",
    "95%",
    "file_name",
    "[urgent]",
]
# Nothing a literal may hold (module docstring, rules 2-4).
UNQUOTABLE = ["\\", "C:\\temp\\", "*", "line1\nline2", "tab\there", '\\"', 'O\'Brien "printer"']
# Text that is one literal: at most one quote kind, no backslash, `*` or control character.
quotable = st.text(max_size=60).filter(
    lambda s: not ('"' in s and "'" in s) and not any(c in s for c in "\\*") and s.isprintable()
)
# Haystacks rich in the characters LIKE treats specially.
tricky = st.text(alphabet=st.sampled_from("ab%_[]^-'\" xAB9"), max_size=30)


def test_quote_string_prefers_double_quotes() -> None:
    assert quote_string("printer") == '"printer"'
    assert quote_string("O'Brien") == '"O\'Brien"'


def test_quote_string_uses_single_quotes_around_double_quotes() -> None:
    assert quote_string('the "big" one') == "'the \"big\" one'"


@pytest.mark.parametrize("text", UNQUOTABLE, ids=repr)
def test_quote_string_refuses_what_no_literal_can_hold(text: str) -> None:
    with pytest.raises(UnquotableValueError):
        quote_string(text)
    with pytest.raises(UnquotableValueError):
        contains("summary", text)


def test_like_operands_bracket_the_sql_server_wildcards() -> None:
    assert quote_string("95% _done_ [x]", like=True) == '"95[%] [_]done[_] [[]x]"'
    assert render(contains("summary", "95%")) == 'summary contains "95[%]"'
    assert quote_string("95%") == '"95%"'  # `=` compares literally: nothing to bracket


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


@pytest.mark.parametrize("text", LITERAL, ids=repr)
def test_hostile_text_stays_one_literal(text: str) -> None:
    assert parse(render(contains("summary", text))) == Cmp("summary", "contains", like_literal(text))


@pytest.mark.parametrize("text", LITERAL, ids=repr)
def test_hostile_text_matches_only_itself(text: str) -> None:
    cond = render(contains("summary", text))
    assert cond is not None
    assert matches(cond, {"summary": f"before {text} after"})
    assert not matches(cond, {"summary": "before after"})


def test_wildcard_characters_no_longer_match_other_text() -> None:
    cases = {"95%": "9500 errors", "file_name": "fileXname", "[urgent]": "u printer", "%": "anything"}
    for text, other in cases.items():
        assert not matches(render(contains("summary", text)) or "", {"summary": other})


@given(quotable, tricky, tricky)
def test_any_quoted_text_is_found_literally_by_the_sandbox_like(text: str, before: str, after: str) -> None:
    cond = render(contains("summary", text))
    assert cond is not None
    assert matches(cond, {"summary": before + text + after})
    for haystack in (before, after, before + after):
        assert matches(cond, {"summary": haystack}) == (text.casefold() in haystack.casefold())


@given(quotable, tricky)
def test_a_like_pattern_of_literal_parts_matches_exactly_them(text: str, other: str) -> None:
    exact = render(like("summary", text))
    prefix = render(like("summary", text, ANY))
    assert exact is not None and prefix is not None
    assert matches(exact, {"summary": text})
    assert matches(exact, {"summary": other}) == (other.casefold() == text.casefold())
    assert matches(prefix, {"summary": text + other})
    assert matches(prefix, {"summary": other}) == other.casefold().startswith(text.casefold())


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
            Cmp("summary", "contains", like_literal(a)),
            Or((Cmp("board/id", "=", n), Cmp("company/name", "contains", like_literal(b)))),
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
    assert cond is not None
    tree = parse(render(cond))
    clauses = tree.items if isinstance(tree, And) else (tree,)
    assert 1 <= len(clauses) <= len(fragments)
    for clause in clauses:
        assert isinstance(clause, Or) and [c.field for c in clause.items] == ["summary", "company/name"]  # type: ignore[union-attr]
    for fragment in fragments:
        assert fragment in text
        assert not any(c in fragment for c in "\\*\n")


@given(st.text(alphabet=st.sampled_from("%_[ a"), min_size=80, max_size=100))
def test_a_search_of_wildcards_still_fits_a_connectwise_url(text: str) -> None:
    cond = text_search(text, ("summary", "company/name"))
    assert cond is not None and len(quote(cond.text, safe="")) <= SEARCH_URL_BUDGET


def test_text_is_cut_where_no_literal_can_reach() -> None:
    assert text_fragments('O\'Brien "printer"') == ["O'Brien", "printer"]
    assert text_fragments("C:\\temp\\") == ["C:", "temp"]
    assert text_fragments("disk * full") == ["disk", "full"]
    assert text_fragments("*") == []
    assert text_fragments('the "big" one') == ['the "big" one']


identifiers = st.from_regex(r"[A-Za-z0-9._%\[-]{1,12}", fullmatch=True)


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


def test_list_item_does_not_confuse_prefixes_or_wildcards() -> None:
    cond = render(list_item("resources", "jdoe"))
    assert cond is not None
    assert not matches(cond, {"resources": "jdoe2"})
    assert not matches(cond, {"resources": "ajdoe, slee"})
    assert matches(cond, {"resources": "slee, jdoe"})
    underscore = render(list_item("resources", "j_doe")) or ""
    assert matches(underscore, {"resources": "slee, j_doe"})
    assert not matches(underscore, {"resources": "slee, jxdoe"})


@pytest.mark.parametrize("bad", ["j*", "a,b", "a b", 'a"', "", "a\\b"])
def test_list_item_refuses_separators_quotes_and_unquotable_text(bad: str) -> None:
    with pytest.raises(ValueError):
        list_item("resources", bad)


def test_service_entries_select_the_type_by_identifier_not_id() -> None:
    assert parse(render(service_entries(1000, 17))) == And(
        (
            Cmp("type/identifier", "=", "S"),
            Cmp("objectId", "=", 1000),
            Cmp("doneFlag", "=", False),
            Cmp("member/id", "=", 17),
        )
    )


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

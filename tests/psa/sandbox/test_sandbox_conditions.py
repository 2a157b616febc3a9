"""The conditions parser/evaluator: grammar, literal handling, CW comparison semantics, robustness."""

from __future__ import annotations

from datetime import datetime

import pytest
from fuzz_budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from psa.connectwise.sandbox.conditions import (
    And,
    Comparison,
    ConditionsError,
    Node,
    Or,
    compile_node,
    evaluate,
    matches,
    parse,
)

TICKET = {
    "id": 1042,
    "summary": "Printer (2nd floor) AND scanner",
    "closedFlag": False,
    "board": {"id": 1, "name": "Help Desk"},
    "status": {"id": 101, "name": "New"},
    "priority": {"id": 2, "name": "Priority 2", "sort": 2},
    "owner": {"id": 17, "identifier": "jdoe", "name": "Jordan Doe"},
    "budgetHours": 1.5,
    "resources": "jdoe, mchen",
    "_info": {"dateEntered": "2026-05-05T13:06:45Z", "enteredBy": "jsmith"},
    "communicationItems": [{"communicationType": "Email", "value": "a@b.com"}],
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id = 1042", Comparison("id", "=", 1042)),
        ("id != 5", Comparison("id", "!=", 5)),
        ("id <> 5", Comparison("id", "!=", 5)),
        ("id < 5", Comparison("id", "<", 5)),
        ("id <= 5", Comparison("id", "<=", 5)),
        ("id > 5", Comparison("id", ">", 5)),
        ("id >= 5", Comparison("id", ">=", 5)),
        ("budgetHours = 1.5", Comparison("budgetHours", "=", 1.5)),
        ("id = -3", Comparison("id", "=", -3)),
        ('summary contains "x"', Comparison("summary", "contains", "x")),
        ("summary NOT CONTAINS 'x'", Comparison("summary", "contains", "x", negated=True)),
        ('summary like "a%"', Comparison("summary", "like", "a%")),
        ('summary not like "a%"', Comparison("summary", "like", "a%", negated=True)),
        ("board/id in (1, 2, 3)", Comparison("board/id", "in", (1, 2, 3))),
        ("board/name not in ('a', \"b\")", Comparison("board/name", "in", ("a", "b"), negated=True)),
        ("closedFlag = FaLsE", Comparison("closedFlag", "=", False)),
        ("closedFlag = True", Comparison("closedFlag", "=", True)),
        ("parentTicketId = null", Comparison("parentTicketId", "=", None)),
        (
            "lastUpdated > [2016-08-20T18:04:26Z]",
            Comparison("lastUpdated", ">", datetime(2016, 8, 20, 18, 4, 26)),
        ),
    ],
)
def test_each_operator_and_literal_parses(text: str, expected: Comparison) -> None:
    assert parse(text) == expected


def test_and_binds_tighter_than_or() -> None:
    a, b, c = (Comparison(f, "=", 1) for f in ("a", "b", "c"))
    assert parse("a=1 or b=1 and c=1") == Or((a, And((b, c))))
    assert parse("(a=1 OR b=1) AnD c=1") == And((Or((a, b)), c))


@pytest.mark.parametrize(
    "literal",
    [
        "x AND y",
        "a) OR (1=1",
        'she said "hi"',
        "100% * done",
        "[not a date]",
        "or",
        "",
        "' OR summary contains '",
    ],
)
def test_quoted_text_is_a_single_literal(literal: str) -> None:
    quote = "'" if '"' in literal else '"'
    node = parse(f"summary contains {quote}{literal}{quote} and id = 1")
    assert node == And((Comparison("summary", "contains", literal), Comparison("id", "=", 1)))


@pytest.mark.parametrize(
    "bad",
    [
        "summary = ",
        'summary = "unterminated',
        "summary",
        "= 1",
        "id = 1 and",
        "(id = 1",
        "id = 1)",
        "id in ()",
        "id = abc",
        "id = [not-a-date]",
        "id ~ 1",
        "board/ = 1",
        "id = 12abc",
        "(" * 500 + "id=1" + ")" * 500,
        'summary contains "C:\\temp\\"',
        "summary = 'a\\b'",
    ],
)
def test_malformed_conditions_raise_conditions_error(bad: str) -> None:
    with pytest.raises(ConditionsError):
        parse(bad)


def test_empty_conditions_match_everything() -> None:
    assert parse("   ") is None
    assert compile_node(parse(""))(TICKET)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('status/name = "new"', True),  # = on strings is case-insensitive
        ('summary contains "PRINTER (2ND"', True),
        ('summary contains "%"', True),  # contains is LIKE %…%: a bare % matches anything
        ('summary contains "[%]"', False),  # a bracketed % is a literal percent sign
        ('summary like "printer%scanner"', True),
        ('summary like "printer*"', True),
        ('summary like "printer"', False),
        ('summary not like "x%"', True),
        ('resources contains "mchen"', True),
        ("priority/sort <= 2 and board/id in (1, 3)", True),
        ("board/id not in (1, 3)", False),
        ("dateEntered > [2026-05-01T00:00:00Z]", True),  # bare _info alias
        ("_info/enteredBy = 'JSMITH'", True),
        ("lastUpdated = null", True),  # missing field
        ("parentTicketId = null", True),
        ("parentTicketId != null", False),
        ("parentTicketId != 5", False),
        ('parentTicketId not contains "5"', False),
        ("owner/identifier != null", True),
        ("owner = null", False),
        ("closedFlag = false", True),
        ('id = "1042"', True),
        ('id > "abc"', False),
        ('communicationItems/value = "A@B.COM"', True),
        ('summary < "q"', True),
    ],
)
def test_evaluation_follows_connectwise_semantics(text: str, expected: bool) -> None:
    assert matches(text, TICKET) is expected


@settings(max_examples=examples(200), deadline=None)
@given(st.text(max_size=80))
def test_any_string_parses_or_raises_conditions_error(text: str) -> None:
    try:
        node = parse(text)
    except ConditionsError:
        return
    compile_node(node)(TICKET)


_ALPHABET = [
    *"abc/_ ()=!<>,'\"[]%*-.0123456789",
    " and ",
    " or ",
    " not ",
    " in ",
    " like ",
    " contains ",
    "true",
    "null",
    "[2026-01-01T00:00:00Z]",
]


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.sampled_from(_ALPHABET), max_size=40).map("".join))
def test_grammar_shaped_noise_never_crashes(text: str) -> None:
    try:
        node = parse(text)
    except ConditionsError:
        return
    compile_node(node)(TICKET)


_FIELDS = [
    "id",
    "summary",
    "closedFlag",
    "board/id",
    "status/name",
    "budgetHours",
    "owner/identifier",
    "nothing",
]
_NON_NULL = st.one_of(
    st.booleans(),
    st.integers(-2, 2000),
    st.sampled_from([1.5, 0.0]),
    st.sampled_from(["new", "NEW", "jdoe", "1042", "true", "", "printer", "help desk"]),
    st.text(alphabet="aeNW1 %", max_size=4),
)
_VALUES = st.one_of(st.none(), _NON_NULL)


@st.composite
def _comparisons(draw: st.DrawFn) -> Comparison:
    field = draw(st.sampled_from(_FIELDS))
    op = draw(st.sampled_from(["=", "!=", "<", "<=", ">", ">=", "contains", "like", "in"]))
    if op == "in":
        values = tuple(draw(st.lists(_NON_NULL, min_size=1, max_size=4)))
        return Comparison(field, op, values, draw(st.booleans()))
    if op in ("contains", "like"):
        return Comparison(field, op, draw(st.text(alphabet="printe%*ASNW ", max_size=6)), draw(st.booleans()))
    return Comparison(field, op, draw(_VALUES))


_NODES: st.SearchStrategy[Node] = st.recursive(
    _comparisons(),
    lambda kids: st.one_of(
        st.lists(kids, min_size=2, max_size=3).map(lambda xs: And(tuple(xs))),
        st.lists(kids, min_size=2, max_size=3).map(lambda xs: Or(tuple(xs))),
    ),
    max_leaves=6,
)


@settings(max_examples=examples(150), deadline=None)
@given(
    _NODES, st.sampled_from([TICKET, {"id": 7, "summary": "New", "closedFlag": True, "board": {"id": 1042}}])
)
def test_compiled_predicates_agree_with_the_reference_evaluator(
    node: Node, record: dict[str, object]
) -> None:
    assert compile_node(node)(record) == evaluate(node, record)

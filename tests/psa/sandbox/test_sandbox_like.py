"""`like` and `contains` follow SQL Server LIKE, as ConnectWise evaluates them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from psa.connectwise.sandbox.conditions import matches
from psa.connectwise.sandbox.like import contains_matcher, like_matcher


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("abc", "ABC", True),  # case-insensitive collation
        ("a%", "abcdef", True),
        ("a%", "ba", False),
        ("%", "", True),
        ("a_c", "abc", True),
        ("a_c", "ac", False),
        ("a_c", "abbc", False),
        ("[abc]x", "bx", True),
        ("[abc]x", "dx", False),
        ("[a-f]1", "E1", True),
        ("[a-f]1", "g1", False),
        ("[^a-f]1", "g1", True),
        ("[^a-f]1", "c1", False),
        ("[^abc]", "a", False),
        ("95[%]", "95%", True),
        ("95[%]", "950", False),
        ("file[_]name", "file_name", True),
        ("file[_]name", "fileXname", False),
        ("[[]urgent]", "[urgent]", True),
        ("[[]urgent]", "uurgent]", False),
        ("a]b", "a]b", True),  # `]` outside brackets is literal
        ("[%_]x", "_x", True),
        ("a[", "a[", False),  # an unclosed bracket matches nothing
        ("a[bc", "ab", False),
        ("a*", "abc", True),  # ConnectWise reads `*` as a wildcard
        ("[z-a]", "m", False),  # an empty range matches nothing
        ("line%", "line1\nline2", True),
    ],
)
def test_like_follows_sql_server(pattern: str, text: str, expected: bool) -> None:
    assert like_matcher(pattern)(text) is expected
    assert matches(f"summary like '{pattern}'", {"summary": text}) is expected


@pytest.mark.parametrize(
    ("needle", "text", "expected"),
    [
        ("95%", "9500 errors", True),  # unescaped, % is a wildcard: the bug the app must avoid
        ("95[%]", "9500 errors", False),
        ("95[%]", "disk at 95% full", True),
        ("file_name", "fileXname", True),
        ("file[_]name", "fileXname", False),
        ("[urgent]", "u printer", True),
        ("[[]urgent]", "u printer", False),
        ("[[]urgent]", "[URGENT] printer", True),
        ("%", "anything", True),
    ],
)
def test_contains_is_like_with_percent_around(needle: str, text: str, expected: bool) -> None:
    assert contains_matcher(needle)(text) is expected
    assert matches(f'summary contains "{needle}"', {"summary": text}) is expected


def test_not_like_and_not_contains_negate() -> None:
    assert matches('summary not like "a%"', {"summary": "ba"})
    assert not matches('summary not contains "[%]"', {"summary": "95%"})


@given(st.text(alphabet=st.sampled_from("ab%_[]^-xyz"), max_size=12), st.text(max_size=12))
def test_a_pattern_without_wildcards_compares_whole_text(pattern: str, text: str) -> None:
    literal = "".join(f"[{c}]" if c in "%_[" else c for c in pattern)
    assert like_matcher(literal)(text) == (pattern.casefold() == text.casefold())
    assert like_matcher(literal)(pattern)

"""Escaping, truncation and markup → plain text."""

from __future__ import annotations

import re

import pytest
from fuzz_budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.text import (
    ELLIPSIS,
    clip,
    escape,
    escape_truncate,
    link,
    mrkdwn,
    plain,
    plain_text,
    truncate,
    unescape,
)

_BROKEN_ENTITY = re.compile(r"&(?!amp;|lt;|gt;)")
texts = st.lists(
    st.one_of(st.sampled_from(["&", "<", ">", "<!channel>", "&amp;", "é", "😀", " "]), st.text(max_size=15)),
    max_size=20,
).map("".join)


def test_escape_turns_mentions_into_visible_text() -> None:
    assert escape("<!channel> ping & <@U123>") == "&lt;!channel&gt; ping &amp; &lt;@U123&gt;"


def test_escape_leaves_everything_else_alone() -> None:
    text = 'It\'s "quoted" *bold* _it_ `code` ~strike~ 😀 é #general @here'
    assert escape(text) == text


@given(texts)
def test_unescape_undoes_escape(text: str) -> None:
    assert unescape(escape(text)) == text


def test_truncate_cuts_with_ellipsis() -> None:
    assert truncate("abcdef", 4) == "abc…"
    assert truncate("abc", 3) == "abc"
    assert truncate("abc", 0) == ""


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("a & b", 100, "a &amp; b"),
        ("&&&&", 11, "&amp;&amp;…"),  # a third &amp; would not fit with the ellipsis
        ("&&&&", 10, "&amp;…"),
        ("<<<<", 9, "&lt;&lt;…"),
        ("abc<def", 6, "abc…"),
    ],
)
def test_escape_truncate_examples(text: str, limit: int, expected: str) -> None:
    assert escape_truncate(text, limit) == expected


@settings(max_examples=examples(300))
@given(texts, st.integers(min_value=1, max_value=60))
def test_escape_truncate_never_splits_an_entity_and_fits(text: str, limit: int) -> None:
    out = escape_truncate(text, limit)
    assert len(out) <= limit
    assert not _BROKEN_ENTITY.search(out)
    if out != escape(text):
        assert out.endswith(ELLIPSIS)
        assert text.startswith(unescape(out[: -len(ELLIPSIS)]))


@settings(max_examples=examples(200))
@given(texts, st.integers(min_value=1, max_value=60))
def test_clip_keeps_escaped_text_whole(text: str, limit: int) -> None:
    out = clip(escape(text), limit)
    assert len(out) <= limit
    assert not _BROKEN_ENTITY.search(out)


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("hi <@U123>", "hi @U123"),
        ("hi <@U123|jdoe>", "hi @jdoe"),
        ("in <#C123|general>", "in #general"),
        ("in <#C123>", "in #C123"),
        ("<!here> look", "@here look"),
        ("<!channel>", "@channel"),
        ("<!subteam^S1|@oncall> help", "@oncall help"),
        ("<https://x.example/a?b=1&amp;c=2|the doc>", "the doc (https://x.example/a?b=1&c=2)"),
        ("<https://x.example>", "https://x.example"),
        ("<mailto:a@b.example|a@b.example>", "a@b.example"),
        ("5 &lt; 6 &amp;&amp; 7 &gt; 2", "5 < 6 && 7 > 2"),
    ],
)
def test_plain_turns_slack_markup_into_prompt_text(markup: str, expected: str) -> None:
    assert plain(markup) == expected


def test_plain_resolves_user_names_when_it_can() -> None:
    names = {"U1": "jordan"}
    assert plain("ask <@U1> and <@U2>", names.get) == "ask @jordan and @U2"


def test_text_objects() -> None:
    assert mrkdwn("*x*") == {"type": "mrkdwn", "text": "*x*", "verbatim": True}
    assert plain_text("x") == {"type": "plain_text", "text": "x", "emoji": True}


def test_link_makes_the_url_safe() -> None:
    assert (
        link("https://x.example/?a=1&b=<2>|", "Ticket")
        == "<https://x.example/?a=1&amp;b=&lt;2&gt;%7C|Ticket>"
    )

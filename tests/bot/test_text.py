"""Escaping, truncation and markup → plain text."""

from __future__ import annotations

import re

import pytest
from fuzz_budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.text import (
    BREAK,
    ELLIPSIS,
    FORMATTING,
    clip,
    escape,
    escape_own,
    escape_sentence,
    escape_truncate,
    link,
    mrkdwn,
    plain,
    plain_text,
    strong,
    truncate,
    unescape,
)

_BROKEN_ENTITY = re.compile(r"&(?!amp;|lt;|gt;)")
texts = (
    st.lists(
        st.one_of(
            st.sampled_from(
                ["&", "<", ">", "<!channel>", "&amp;", "é", "😀", " ", "*", "_", "~", "`", "\n> "]
            ),
            st.text(max_size=15),
        ),
        max_size=20,
    )
    .map("".join)
    .map(lambda text: text.replace(BREAK, ""))
)  # a zero-width space of their own is not kept


def test_escape_turns_mentions_into_visible_text() -> None:
    assert escape("<!channel> ping & <@U123>") == "&lt;!channel&gt; ping &amp; &lt;@U123&gt;"


def test_escape_leaves_other_characters_alone() -> None:
    text = 'It\'s "quoted" 😀 é #general @here C:\\temp'
    assert escape(text) == text


def test_formatting_markers_stay_characters_with_a_zero_width_space_either_side() -> None:
    assert escape("*Bold* _it_") == f"{BREAK}*{BREAK}Bold{BREAK}*{BREAK} {BREAK}_{BREAK}it{BREAK}_{BREAK}"
    assert escape("```x```").count("`") == 6 and "``" not in escape("```x```")


def test_a_line_starting_with_a_quote_marker_is_not_a_quote() -> None:
    assert escape("> forwarded\n> mail") == f"{BREAK}&gt; forwarded\n{BREAK}&gt; mail"


@given(texts)
def test_no_marker_ever_touches_a_visible_character(text: str) -> None:
    escaped = escape(text)
    for index, char in enumerate(escaped):
        if char in FORMATTING:
            assert escaped[index - 1] == BREAK and escaped[index + 1] == BREAK


def test_strong_bolds_only_what_slack_can_bold() -> None:
    assert strong(escape("Printer offline")) == "*Printer offline*"
    assert strong(escape("*Bold* summary")) == escape("*Bold* summary")  # never a stray asterisk
    assert strong("") == ""


def test_an_app_sentence_keeps_its_formatting_and_quotes_user_text_literally() -> None:
    sentence = "No company called “*Star* & Co”. Run `/tickets map`."
    assert escape_sentence(sentence) == f"No company called {escape('“*Star* & Co”')}. Run `/tickets map`."
    assert escape_own("a < b & `c`") == "a &lt; b &amp; `c`"


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


@settings(max_examples=examples(150))
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

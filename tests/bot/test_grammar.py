"""`/tickets …` text → typed commands, and a specific message for every mistake."""

from __future__ import annotations

from datetime import time

import pytest
from fuzz_budget import examples
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from bot.grammar import (
    USAGE,
    Command,
    Connect,
    Help,
    Invalid,
    Map,
    MemberName,
    Mine,
    New,
    Search,
    Show,
    SlackUserRef,
    Time,
    Work,
    parse,
)
from bot.worked_time import ClockRange, Duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Mine()),
        ("   ", Mine()),
        ("mine", Mine()),
        ("MINE", Mine()),
        ("mine 3", Mine(page=3)),
        ("1042", Show(ticket_id=1042)),
        ("#1042", Show(ticket_id=1042)),
        ("show 1042", Show(ticket_id=1042)),
        ("show #1042", Show(ticket_id=1042)),
        ("open 7", Show(ticket_id=7)),
        ("new", New()),
        ("new Printer on 2nd floor is offline", New(prompt="Printer on 2nd floor is offline")),
        ("new ask <@U1|jdoe> &amp; fix", New(prompt="ask @jdoe & fix")),
        ("create Outlook broken", New(prompt="Outlook broken")),
        (
            "time 1042 45m replaced toner, tested",
            Time(ticket_id=1042, worked=Duration(minutes=45), note="replaced toner, tested"),
        ),
        ("time #1042 1h15", Time(ticket_id=1042, worked=Duration(minutes=75))),
        (
            "TIME 7 9:00-10:30 call <@U1|jdoe> back",
            Time(ticket_id=7, worked=ClockRange(start=time(9), end=time(10, 30)), note="call @jdoe back"),
        ),
        ("work 1042", Work(ticket_id=1042)),
        ("work #7", Work(ticket_id=7)),
        ("connect", Connect()),
        ("map", Map()),
        ("help", Help()),
        ("?", Help()),
        ("search", Search()),
        ("search printer offline", Search(text="printer offline")),
        (
            'search printer board:"Help Desk" status:New priority:high company:acme assigned:me closed',
            Search(
                text="printer",
                board_name="Help Desk",
                status_name="New",
                priority_name="high",
                company_name="acme",
                assigned="me",
                include_closed=True,
            ),
        ),
        # Slack turns straight quotes into curly ones
        (
            "search board:“Help Desk” status:“In Progress”",
            Search(board_name="Help Desk", status_name="In Progress"),
        ),
        ("search board:”Help Desk”", Search(board_name="Help Desk")),
        # filters anywhere, keys in any case, the rest is the text
        (
            "search STATUS:New printer Board:Projects toner",
            Search(text="printer toner", status_name="New", board_name="Projects"),
        ),
        ("search assigned:unassigned", Search(assigned="unassigned")),
        ("search assigned:all", Search(assigned="all")),
        ("search assigned:<@U0G9QF9C6>", Search(assigned=SlackUserRef(user_id="U0G9QF9C6"))),
        (
            "search assigned:<@U0G9QF9C6|jdoe> vpn",
            Search(text="vpn", assigned=SlackUserRef(user_id="U0G9QF9C6", name="jdoe")),
        ),
        ("search assigned:@jdoe", Search(assigned=SlackUserRef(name="jdoe"))),
        ("search assigned:jsmith", Search(assigned=MemberName(text="jsmith"))),
        ('search assigned:"Sam Lee"', Search(assigned=MemberName(text="Sam Lee"))),
        ("search assigned:anyone", Search(assigned="all")),
        ("search assigned:nobody", Search(assigned="unassigned")),
        ("search closed:no x", Search(text="x")),
        ("search closed:yes", Search(include_closed=True)),
        ("search status:New status:new", Search(status_name="New")),
        # the search text reaches ConnectWise as typed: quotes of any kind, spaces, backslashes, colons
        ('search "printer offline" floor', Search(text='"printer offline" floor')),
        ("search “smart quotes”", Search(text="“smart quotes”")),
        ('search it’s ‘odd’ "mixed“ quotes', Search(text='it’s ‘odd’ "mixed“ quotes')),
        ("search printer  offline", Search(text="printer  offline")),
        ("search printer   status:New  offline", Search(text="printer offline", status_name="New")),
        ("search C:\\temp", Search(text="C:\\temp")),
        ("search copy C:\\temp\\x.log failed", Search(text="copy C:\\temp\\x.log failed")),
        ("search colour:red ID:42", Search(text="colour:red ID:42")),
        ('search "printer offline', Search(text='"printer offline')),
        ('search "status: New" x', Search(text='"status: New" x')),
        ("search board:'Help Desk'", Search(board_name="Help Desk")),
        ("search prio:high client:acme", Search(priority_name="high", company_name="acme")),
        ('search 12" monitor', Search(text='12" monitor')),
        ("search error: disk full", Search(text="error: disk full")),
        ("search see https://x.example/a", Search(text="see https://x.example/a")),
        ("search R&amp;D &lt;urgent&gt;", Search(text="R&D <urgent>")),
        ("search company:Smith&amp;Sons", Search(company_name="Smith&Sons")),
        ("status:New", Search(status_name="New")),
        ("search\tprinter\u00a0jam", Search(text="printer jam")),
    ],
)
def test_parse_table(text: str, expected: object) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("frobnicate", "Unknown command “frobnicate”."),
        ("show abc", "“abc” is not a ticket number. Use digits, like 1042."),
        ("#abc", "“#abc” is not a ticket number. Use digits, like #1042."),
        ("show", "Which ticket? Give its number, like `/tickets show 1042`."),
        ("show 1 2", "`show` takes one ticket number (got “1 2”)."),
        ("0", "Ticket numbers start at 1."),
        ("99999999999", "Ticket number 99999999999 is too large."),
        ("1042 please", "Unexpected text after the ticket number: “please”."),
        ("mine please", "`mine` takes no filters (got “please”). Use `/tickets search` instead."),
        ("mine 0", "Page numbers start at 1."),
        ("connect now", "`connect` takes no arguments (got “now”)."),
        (
            "search statsu:New",
            "Unknown filter “statsu:”. Did you mean `status:`? Filters are: board:, status:, priority:, "
            "company:, assigned: and closed.",
        ),
        (
            "search compnay:acme",
            "Unknown filter “compnay:”. Did you mean `company:`? Filters are: board:, "
            "status:, priority:, company:, assigned: and closed.",
        ),
        ("search board:", '`board:` needs a value, like board:"Help Desk".'),
        ("search printer status: New", '`status:` needs a value, like status:"In Progress".'),
        ('search board:""', '`board:` needs a value, like board:"Help Desk".'),
        ('search board:"Help Desk', "Missing closing quote in `board:`."),
        ("search board:“Help Desk", "Missing closing quote in `board:`."),
        (
            'search status:New"',
            '`status:` has a stray quote; quote the whole value, like status:"In Progress".',
        ),
        (
            "search assigned:<#C1>",
            "`assigned:` is me, unassigned, all, a @mention or a member (got “<#C1>”).",
        ),
        ("search closed:maybe", "`closed:` is yes or no (got “maybe”)."),
        ("search status:New status:Closed", "`status:` is given twice (“New” and “Closed”)."),
        ("search assigned:<@U1", "`assigned:` has an unclosed “<”."),
        ("time", "Which ticket, and how long? Like `/tickets time 1042 45m replaced toner`."),
        ("time 1042", "How long did you work on #1042? Like `/tickets time 1042 45m replaced toner`."),
        ("time printer 45m", "“printer” is not a ticket number. Use digits, like 1042."),
        ("time 1042 45 replaced toner", "“45” needs a unit: 45m for minutes or 45h for hours."),
        ("time 1042 25h", "“25h”: a time entry can cover at most 24 hours."),
        ("work", "Which ticket? Give its number, like `/tickets work 1042`."),
        ("work 1042 now", "`work` takes one ticket number (got “1042 now”)."),
    ],
)
def test_every_mistake_gets_a_specific_message(text: str, message: str) -> None:
    result = parse(text)
    assert isinstance(result, Invalid)
    assert result.message == message
    assert result.usage == USAGE


def test_commands_are_one_discriminated_union() -> None:
    adapter = TypeAdapter(Command)
    for command in (
        Mine(page=2),
        Search(text="x", assigned=SlackUserRef(user_id="U1")),
        Show(ticket_id=5),
        Time(ticket_id=5, worked=Duration(minutes=45), note="toner"),
        Work(ticket_id=5),
    ):
        assert adapter.validate_python(command.model_dump()) == command


_WORDS = st.sampled_from(
    [
        "search",
        "show",
        "new",
        "mine",
        "map",
        "help",
        "connect",
        "board:",
        "status:",
        "closed",
        "assigned:",
        "#",
    ]
)
_ANY_TEXT = st.lists(
    st.one_of(
        _WORDS, st.sampled_from(['"', "“", "”", "<@U1|x>", "<", ">", ":", " ", "&amp;"]), st.text(max_size=12)
    ),
    max_size=15,
).map("".join)


@settings(max_examples=examples(300))
@given(st.one_of(st.text(), _ANY_TEXT))
def test_parse_never_raises_and_always_returns_a_command(text: str) -> None:
    result = parse(text)
    assert isinstance(result, Mine | Search | Show | New | Connect | Map | Help | Invalid)
    if isinstance(result, Invalid):
        assert result.message and len(result.message) < 300


_VALUE = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp"), blacklist_characters='"“”„<>&'
    ),
    min_size=1,
    max_size=20,
)


@settings(max_examples=examples(150))
@given(board=_VALUE, status=_VALUE, company=_VALUE, closed=st.booleans())
def test_quoted_filter_values_come_back_exactly(board: str, status: str, company: str, closed: bool) -> None:
    text = f'search board:"{board}" printer status:“{status}” company:"{company}"' + (
        " closed" if closed else ""
    )
    result = parse(text)
    assert isinstance(result, Search)
    assert (result.board_name, result.status_name, result.company_name) == (board, status, company)
    assert result.text == "printer"
    assert result.include_closed is closed


_TYPED = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc"), blacklist_characters="<>&:\t\u00a0\u202f\u2007"
    ),
    max_size=40,
)


@settings(max_examples=examples(200))
@given(_TYPED)
@example("\u200b")  # found in CI: a zero-width space alone is no search text
@example(" \u200b x")  # …nor does it keep the space after it from being trimmed
def test_search_text_without_filters_reaches_the_search_exactly_as_typed(text: str) -> None:
    """Exactly as typed, less the zero-width spaces the app's own escaping puts in (pasted back)."""
    assume(all(token.lower() != "closed" for token in text.split()))
    result = parse("search " + text)
    assert isinstance(result, Search)
    assert result.text == text.replace("\u200b", "").strip()

"""Hostile text everywhere: the builders the views tests do not fuzz yet stay within Slack's limits and
never ping anyone, and any `/tickets` line typed into the running app gets an answer."""

from __future__ import annotations

import re
from typing import Any

from fuzz_budget import examples
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from scenario_harness import CHANNEL, DEMO, Slack, mrkdwn_texts

from bot.state import ListState, Origin
from bot.views import limits
from bot.views.connect import (
    ConnectForm,
    ConnectionSummary,
    connect_done_modal,
    connect_env_modal,
    connect_modal,
    connect_refused_modal,
    connect_testing_modal,
)
from bot.views.create_status import created_view, unavailable_view
from bot.views.link_thread import link_confirmation, link_done_view, link_thread_modal
from bot.views.mapping import mapping_done_modal, mapping_member_options, mapping_modal
from bot.views.messages import (
    error_message,
    help_message,
    notice_message,
    share_card,
    status_changed_message,
    ticket_created_message,
)
from bot.views.options import company_options, member_options
from bot.views.prompts import coming_soon_modal, psa_error_message, unknown_choice_message, with_banner
from bot.views.ticket_list import search_modal
from psa.errors import PSAError, PSAUnavailableError
from psa.models import Company, Member, PSATicketCreated, PSATicketSearchResult, PSATicketStatusUpdate, Ref

# Text Slack would turn into pings, links or formatting if the app passed it through unescaped.
HOSTILE = [
    "<!channel>", "<!here>", "<!everyone>", "<@U0VICTIM>", "<#C0SECRET>", "<https://evil.example|click>",
    "&", "&amp;", "&lt;", "<", ">", "*", "_", "~", "`", "```", "\n", "\u200b", "😀", "|", "\\",
]  # fmt: skip
hostile = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40)), max_size=15).map("".join)
long_hostile = st.one_of(hostile, hostile.map(lambda t: (t or "<!channel>") * 400))
names = long_hostile.filter(lambda t: t.strip() != "")
ids = st.integers(min_value=1, max_value=2**31 - 1)
LIVE = re.compile(r"<(?:!|@U0VICTIM|#C0SECRET|https://evil)")
FUZZ = settings(max_examples=examples(40), deadline=None)


def no_live_markup(surface: dict[str, Any] | list[dict[str, Any]]) -> None:
    """No mrkdwn text carries a ping, channel link or link that came from the hostile input."""
    texts = mrkdwn_texts({"blocks": surface} if isinstance(surface, list) else surface)
    text = surface.get("text") if isinstance(surface, dict) else None
    for found in [*texts, *([text] if isinstance(text, str) else [])]:
        assert not LIVE.search(found), found[:200]


def ticket(ticket_id: int, summary: str, name: str) -> PSATicketSearchResult:
    return PSATicketSearchResult(
        id=ticket_id,
        summary=summary or "x",
        company=Ref(id=1, name=name),
        board=Ref(id=2, name=name),
        status=Ref(id=3, name=name),
        owner=Member(id=4, identifier="owner", name=name),
    )


@FUZZ
@given(
    summary=long_hostile,
    name=names,
    ticket_id=ids,
    url=st.sampled_from([None, "https://cw.example/t?id=1&x=<y>"]),
)
def test_ticket_messages_fit_and_never_ping(summary: str, name: str, ticket_id: int, url: str | None) -> None:
    row = ticket(ticket_id, summary, name)
    created = PSATicketCreated(
        id=ticket_id,
        summary=summary or "x",
        board_name=name,
        status_name=name,
        priority_name=name,
        company_name=name,
        url=url,
    )
    messages = [
        share_card(row, url=url, shared_by="U0DEMO"),
        status_changed_message(
            PSATicketStatusUpdate(ticket_id=ticket_id, previous_status=name, new_status=summary)
        ),
        ticket_created_message(created, url),
        link_confirmation(row, url=url),
    ]
    for message in messages:
        limits.validate_message(message)
        no_live_markup(message)
    for view in (created_view(created, url), link_done_view(row)):
        limits.validate_modal(view)
        no_live_markup(view)


@FUZZ
@given(
    what=long_hostile,
    todo=st.one_of(st.none(), long_hostile),
    given_=long_hostile,
    choices=st.lists(names, max_size=60),
)
# Found by unseeded runs: a whitespace-only error or notice made an empty fallback `text`.
@example(what=" ", todo=None, given_="", choices=[])
@example(what="\n\t ", todo=" ", given_=" ", choices=[" x"])
def test_error_and_choice_messages_fit_and_never_ping(
    what: str, todo: str | None, given_: str, choices: list[str]
) -> None:
    messages = [
        error_message(what or "x", todo),
        notice_message(what or "x"),
        help_message(error=what or None),
        unknown_choice_message("board", given_, choices, hint=todo),
        unknown_choice_message("company", given_, choices, ambiguous=True),
        psa_error_message(PSAUnavailableError(what or "x"), doing=todo),
        psa_error_message(PSAError(what or "x")),
    ]
    for message in messages:
        limits.validate_message(message)
        no_live_markup(message)


@FUZZ
@given(name=names, identifier=long_hostile, text=long_hostile, admin=st.booleans())
def test_mapping_views_fit_and_never_ping(name: str, identifier: str, text: str, admin: bool) -> None:
    member = Member(id=7, identifier=identifier or "x", name=name, email=f"{identifier[:20]}@example.com")
    views = [
        mapping_modal(
            current=member, suggested=member, is_admin=admin, error=text or None, notice=text or None
        ),
        mapping_modal(is_admin=admin, target_user_id="U0ADMIN", error=text or None),
        mapping_done_modal(text or "x"),
    ]
    for view in views:
        limits.validate_modal(view)
        no_live_markup(view)
    members = [
        Member(id=i, identifier=f"{identifier[:30]}{i}", name=f"{name[:60]}{i}") for i in range(1, 150)
    ]
    for options in (
        mapping_member_options(members, holders={1: "U0ADMIN", 2: "U0DEMO"}, viewer_member_id=2),
        member_options(members, slack_names={1: name}, query=text),
    ):
        assert len(options) <= 100
        limits.validate_modal({"type": "modal", "title": {"type": "plain_text", "text": "x"},
            "submit": {"type": "plain_text", "text": "Save"}, "blocks": [
            {"type": "input", "label": {"type": "plain_text", "text": "x"}, "element": {
                "type": "static_select", "action_id": "a", "options": options or [
                    {"text": {"type": "plain_text", "text": "x"}, "value": "x"}]}}]})  # fmt: skip


@FUZZ
@given(site=long_hostile, company=long_hostile, key=long_hostile, text=long_hostile)
def test_connect_views_fit_never_ping_and_never_show_the_key(
    site: str, company: str, key: str, text: str
) -> None:
    secret = f"PRIVATE-{key[:50]}-KEY"
    current = ConnectionSummary(site_url=site, company_id=company, public_key=key, client_id=key)
    typed = ConnectForm(site_url=site, company_id=company, public_key=key, private_key=SecretStr(secret))
    views = [
        connect_modal(current=current, values=typed, error=text or None, errors={"site_url": text or "x"}),
        connect_env_modal(site=site, company_id=company),
        connect_testing_modal(site),
        connect_done_modal(site=site, company_id=company),
        connect_refused_modal(text or "x"),
    ]
    for view in views:
        limits.validate_modal(view)
        no_live_markup(view)
        assert secret not in str(view)


@FUZZ
@given(typed=long_hostile, error=long_hostile, search=long_hostile, title=names, text=long_hostile)
def test_small_modals_fit_and_never_ping(typed: str, error: str, search: str, title: str, text: str) -> None:
    origin = Origin(channel_id=CHANNEL, thread_ts="1700000000.000100")
    views = [
        link_thread_modal(origin, current_ticket_id=1042, error=error or None, typed=typed[:12] or None),
        search_modal(
            ListState().with_filter(search=search[:500]), list_id="L1", response_url="https://hooks.example/r"
        ),
        unavailable_view(text or "x", hint=error or None),
        with_banner(coming_soon_modal(title[:24], text or "x"), notice=text or None, error=error or None),
    ]
    for view in views:
        limits.validate_modal(view)
        no_live_markup(view)


@FUZZ
@given(companies=st.lists(st.tuples(ids, names), max_size=120), include_any=st.booleans())
def test_company_options_fit(companies: list[tuple[int, str]], include_any: bool) -> None:
    options = company_options(
        [Company(id=i, name=n, identifier=n[:30]) for i, n in companies], include_any=include_any
    )
    assert len(options) <= 100
    for option in options:
        assert len(option["text"]["text"]) <= 75 and len(option["value"]) <= 150


LEADS = st.sampled_from(["search ", "new ", "#", "show ", "search closed company:", "search board:"])


@settings(
    max_examples=examples(30),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=st.one_of(hostile, LEADS.flatmap(lambda lead: hostile.map(lambda tail: lead + tail))))
async def test_any_tickets_line_typed_in_slack_gets_an_answer(slack: Slack, text: str) -> None:
    seq = slack.fake.last_seq

    sent = await slack.command(text)

    assert sent.status == 200
    answered = [c for c in slack.fake.calls_after(seq) if c.method in ("response_url", "views.open")]
    assert answered, f"/tickets {text!r} got no answer"
    for call in answered:
        no_live_markup(call.args.get("view") or call.args)
    assert slack.ephemerals(DEMO) or slack.fake.last_view(DEMO)

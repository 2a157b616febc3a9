"""`/tickets` subcommands end to end: what the user sees for each kind of input."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import pytest
from scenario_harness import (
    ADMIN,
    CHANNEL,
    DEMO,
    DEMO_MEMBER,
    NEWBIE,
    Slack,
    action_ids,
    blocks_text,
    expected_open_tickets,
    row_ids,
)

from bot.ids import Callback, ListAction, MessageAction

MakeSlack = Callable[..., AbstractAsyncContextManager[Slack]]


def _ticket_of_sandbox(slack: Slack, ticket_id: int) -> dict:
    return dict(slack.sandbox.state.store.tables["tickets"][ticket_id])


@pytest.mark.parametrize("text", ["", "mine", "  MINE  "])
async def test_bare_and_mine_list_my_open_tickets(slack: Slack, text: str) -> None:
    await slack.command(text)

    message = slack.last_ephemeral(DEMO)
    assert row_ids(message) == expected_open_tickets(slack.sandbox, DEMO_MEMBER)[:25]
    assert "Your open tickets" in blocks_text(message)


async def test_mine_page_past_the_end_says_how_many_there_are(slack: Slack) -> None:
    expected = expected_open_tickets(slack.sandbox, DEMO_MEMBER)
    assert len(expected) <= 25

    await slack.command("mine 2")

    message = slack.last_ephemeral(DEMO)
    assert row_ids(message) == []
    assert f"There are {len(expected)} matching tickets" in blocks_text(message)
    assert ListAction.PREV in action_ids(message)


async def test_help_explains_every_subcommand(slack: Slack) -> None:
    await slack.command("help")

    text = blocks_text(slack.last_ephemeral(DEMO))
    for usage in ("/tickets mine", "/tickets search", "/tickets 1042", "/tickets new", "/tickets connect"):
        assert usage in text


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("frobnicate", "Unknown command “frobnicate”"),
        ("#abc", "is not a ticket number"),
        ("show", "Which ticket?"),
        ("99999999999", "too large"),
        ("search status:", "`status:` needs a value"),
        ('search board:"Help Desk', "Missing closing quote"),
        ("search statsu:New", "Unknown filter"),
        ("connect now", "takes no arguments"),
    ],
)
async def test_bad_input_gets_a_specific_message_and_the_usage(slack: Slack, text: str, says: str) -> None:
    sent = await slack.command(text)

    assert sent.status == 200
    shown = blocks_text(slack.last_ephemeral(DEMO))
    assert says in shown
    assert "How to use `/tickets`" in shown


async def test_search_resolves_every_filter_name(slack: Slack) -> None:
    await slack.command(
        'search board:"help desk" status:"in progress" priority:3 company:"acme corp" assigned:all'
    )

    message = slack.last_ephemeral(DEMO)
    tickets = [_ticket_of_sandbox(slack, i) for i in row_ids(message)]
    assert tickets, blocks_text(message)
    for ticket in tickets:
        assert ticket["board"]["name"] == "Help Desk"
        assert ticket["status"]["name"] == "In Progress"
        assert ticket["priority"]["sort"] == 3
        assert "acme" in ticket["company"]["name"].lower()
        assert not ticket["closedFlag"]


@pytest.mark.parametrize(
    ("word", "sort"), [("emergency", 1), ("high", 2), ("urgent", 2), ("normal", 3), ("low", 4)]
)
async def test_search_priority_accepts_the_urgency_words_the_help_shows(
    slack: Slack, word: str, sort: int
) -> None:
    await slack.command(f"search priority:{word} assigned:all")

    message = slack.last_ephemeral(DEMO)
    tickets = [_ticket_of_sandbox(slack, i) for i in row_ids(message)]
    assert tickets, blocks_text(message)
    assert {t["priority"]["sort"] for t in tickets} == {sort}


async def test_search_text_and_closed_include_closed_tickets(slack: Slack) -> None:
    await slack.command("search outlook closed")

    ids = row_ids(slack.last_ephemeral(DEMO))
    tickets = [_ticket_of_sandbox(slack, i) for i in ids]
    assert any(t["closedFlag"] for t in tickets)
    assert all("outlook" in (t["summary"] + t["company"]["name"]).lower() for t in tickets)


async def test_search_assigned_to_a_mentioned_slack_user_uses_their_mapping(slack: Slack) -> None:
    await slack.command(f"search assigned:<@{DEMO}|jdoe>", user=ADMIN)

    ids = row_ids(slack.last_ephemeral(ADMIN))
    assert ids == expected_open_tickets(slack.sandbox, DEMO_MEMBER)[:25]


async def test_search_assigned_to_an_unmapped_slack_user_says_so(slack: Slack) -> None:
    await slack.command(f"search assigned:<@{NEWBIE}|mchen>")

    assert "/tickets map" in blocks_text(slack.last_ephemeral(DEMO))


@pytest.mark.parametrize(
    ("text", "lists"),
    [
        ('search board:"Space Station"', ["Help Desk", "Escalations", "Onboarding"]),
        ("search priority:meh", ["Priority 1 - Emergency Response", "Priority 5 - Next Time"]),
        ("search status:Sleeping", ["New", "In Progress", "Acknowledged"]),
    ],
)
async def test_unknown_filter_value_lists_the_valid_choices(
    slack: Slack, text: str, lists: list[str]
) -> None:
    await slack.command(text)

    shown = blocks_text(slack.last_ephemeral(DEMO))
    assert "No " in shown
    for choice in lists:
        assert choice in shown


async def test_ambiguous_company_lists_the_candidates(slack: Slack) -> None:
    await slack.command("search company:northwind")

    shown = blocks_text(slack.last_ephemeral(DEMO))
    assert "matches more than one company" in shown
    assert "Northwind Traders" in shown and "Northwind Health" in shown


async def test_unknown_company_says_no_company(slack: Slack) -> None:
    await slack.command("search company:zzyzx-nothing")

    assert "No company called “zzyzx-nothing”" in blocks_text(slack.last_ephemeral(DEMO))


@pytest.mark.parametrize("text", ["1649", "#1649", "show 1649"])
async def test_ticket_number_opens_the_detail_modal(slack: Slack, text: str) -> None:
    await slack.command(text)

    view = slack.modal(DEMO)
    assert view["callback_id"] == Callback.DETAIL
    assert slack.methods().count("views.open") == 1
    assert "Marcus Webb" in blocks_text(view)  # the hydrated contact, not the loading view


async def test_ticket_that_does_not_exist_gets_a_specific_message(slack: Slack) -> None:
    await slack.command("987654")

    assert "Ticket #987654 doesn't exist" in blocks_text(slack.last_ephemeral(DEMO))
    assert "views.open" not in slack.methods()


async def test_new_hands_over_to_ticket_creation(slack: Slack) -> None:
    await slack.command("new printer on 3rd floor is jammed")

    view = slack.modal(DEMO)
    assert view["callback_id"] == Callback.CREATE
    assert "printer on 3rd floor is jammed" in json.dumps(view)  # handed over as the Quick Create prompt


async def test_connect_opens_the_connect_modal_for_an_admin(slack: Slack) -> None:
    await slack.command("connect", user=ADMIN)

    assert slack.modal(ADMIN)["callback_id"] == Callback.CONNECT


async def test_connect_is_refused_for_a_non_admin(slack: Slack) -> None:
    await slack.command("connect", user=DEMO)

    assert "Only workspace admins and owners" in blocks_text(slack.last_ephemeral(DEMO))
    assert "views.open" not in slack.methods()


async def test_map_opens_the_mapping_modal(slack: Slack) -> None:
    await slack.command("map", user=NEWBIE)

    assert slack.modal(NEWBIE)["callback_id"] == Callback.MAPPING


async def test_unmapped_user_is_told_to_map_with_a_button_that_opens_mapping(slack: Slack) -> None:
    await slack.command("mine", user=NEWBIE)

    message = slack.last_ephemeral(NEWBIE)
    assert "not mapped" in blocks_text(message)
    assert MessageAction.MAP in action_ids(message)

    await slack.click(MessageAction.MAP, user=NEWBIE, message=message)
    assert slack.modal(NEWBIE)["callback_id"] == Callback.MAPPING


async def test_not_connected_tells_admins_to_connect_with_a_button(make_slack: MakeSlack) -> None:
    async with make_slack(connected=False) as slack:
        await slack.command("mine", user=ADMIN)
        message = slack.last_ephemeral(ADMIN)
        assert "not connected" in blocks_text(message)
        assert action_ids(message) == [MessageAction.CONNECT]

        await slack.click(MessageAction.CONNECT, user=ADMIN, message=message)
        assert slack.modal(ADMIN)["callback_id"] == Callback.CONNECT


async def test_not_connected_tells_others_whom_to_ask(make_slack: MakeSlack) -> None:
    async with make_slack(connected=False) as slack:
        for text in ("mine", "search printer", "1649"):
            await slack.command(text)
            message = slack.last_ephemeral(DEMO)
            assert "Ask a workspace admin" in blocks_text(message)
            assert action_ids(message) == []


async def test_connection_from_cw_settings_serves_a_single_workspace(make_slack: MakeSlack) -> None:
    async with make_slack(connected=False, env_connection=True) as slack:
        await slack.command("mine")
        assert row_ids(slack.last_ephemeral(DEMO)) == expected_open_tickets(slack.sandbox, DEMO_MEMBER)[:25]


async def test_list_rows_escape_ticket_text(slack: Slack) -> None:
    await slack.command("search URGENT: server down")

    message = slack.last_ephemeral(DEMO)
    assert 1649 in row_ids(message)
    raw = blocks_text(message)
    assert "&lt;!channel&gt; URGENT" in raw
    assert "<!channel>" not in raw


async def test_the_list_filter_bar_offers_the_seven_filters(slack: Slack) -> None:
    await slack.command("mine")

    ids = action_ids(slack.last_ephemeral(DEMO))
    for action in (
        ListAction.BOARD,
        ListAction.STATUS,
        ListAction.PRIORITY,
        ListAction.COMPANY,
        ListAction.ASSIGNED,
        ListAction.CLOSED,
        ListAction.SEARCH,
    ):
        assert action in ids
    assert CHANNEL


async def test_search_assigned_to_me_when_unmapped_asks_to_map(slack: Slack) -> None:
    await slack.command("search printer assigned:me", user=NEWBIE)

    message = slack.last_ephemeral(NEWBIE)
    assert "not mapped" in blocks_text(message)
    assert MessageAction.MAP in action_ids(message)


async def test_search_without_assigned_works_for_an_unmapped_user(slack: Slack) -> None:
    await slack.command("search printer", user=NEWBIE)

    assert row_ids(slack.last_ephemeral(NEWBIE))


async def test_search_assigned_to_a_member_identifier(slack: Slack) -> None:
    await slack.command("search assigned:@jdoe", user=ADMIN)

    assert row_ids(slack.last_ephemeral(ADMIN)) == expected_open_tickets(slack.sandbox, DEMO_MEMBER)[:25]

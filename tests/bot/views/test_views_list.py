"""The `/tickets` list message as a user sees it, and the state its clicks carry."""

from __future__ import annotations

from typing import Any

import pytest
from fuzz_budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from views_testkit import BOARDS, PRIORITIES, STATUSES, all_text, hostile_text, make_ticket, option_values

from bot.ids import ListAction, ListBlock
from bot.state import ListRef, ListState, StateError
from bot.views.limits import validate_message, validate_modal
from bot.views.ticket_list import (
    ListReference,
    filter_block_id,
    list_id_of_row,
    read_list_click,
    read_search_modal,
    row_menu_choice,
    search_modal,
    ticket_list_message,
)
from psa.models import Priority, Ref, TicketFilters, TicketListResponse

REF = ListReference(boards=BOARDS, statuses=[s for s in STATUSES if s.board_id == 1], priorities=PRIORITIES)
LIST_ID = "L0123456789"


def after(state: ListState, body: dict[str, Any]) -> ListState:
    """The state a click asks for, given the state the message was rendered from (kept on the server)."""
    click = read_list_click(body)
    assert click.chosen is not None or click.list_id == LIST_ID
    return click.apply(state)


def page(page_no: int, total: int, size: int = 25) -> TicketListResponse:
    first = (page_no - 1) * size + 1
    count = max(0, min(size, total - first + 1))
    return TicketListResponse(
        items=[make_ticket(first + i) for i in range(count)], total=total, page=page_no, page_size=size
    )


def row_of(message: dict[str, Any], ticket_id: int) -> dict[str, Any]:
    """The row block of a ticket (its block id also carries the list state)."""
    return next(
        b
        for b in message["blocks"]
        if b.get("block_id", "").split(":", 1)[0] == f"{ListBlock.ROW}.{ticket_id}"
    )


def actions_in(message: dict[str, Any], block_id_prefix: str) -> dict[str, dict[str, Any]]:
    block = next(b for b in message["blocks"] if b.get("block_id", "").startswith(block_id_prefix))
    return {e["action_id"]: e for e in block["elements"]}


def test_second_page_shows_range_rows_and_both_pagers() -> None:
    state = ListState.mine().with_page(2)
    message = ticket_list_message(page(2, 212), state, REF, list_id=LIST_ID)
    validate_message(message)
    text = all_text(message)
    assert "Your open tickets" in text
    assert "Showing 26–50 of 212 tickets" in text
    rows = [b for b in message["blocks"] if b.get("block_id", "").startswith(f"{ListBlock.ROW}.")]
    assert len(rows) == 25
    assert (
        rows[0]["text"]["text"]
        == "*#26* · Outlook not syncing (26) · New · 🔴 Priority 1 - Emergency\nAcme Corp"
    )
    assert rows[0]["accessory"]["action_id"] == ListAction.OPEN and rows[0]["accessory"]["value"] == "26"
    pager = actions_in(message, ListBlock.PAGER)
    assert ListRef.decode(pager[ListAction.PREV]["value"]).page == 1
    assert ListRef.decode(pager[ListAction.NEXT]["value"]).page == 3
    assert len(message["blocks"]) <= 50


def test_first_page_has_no_prev_and_last_page_has_no_next() -> None:
    first = actions_in(ticket_list_message(page(1, 60), ListState.mine(), REF), ListBlock.PAGER)
    assert ListAction.PREV not in first and ListAction.NEXT in first
    last = actions_in(ticket_list_message(page(3, 60), ListState.mine().with_page(3), REF), ListBlock.PAGER)
    assert ListAction.NEXT not in last and ListAction.PREV in last
    exact = actions_in(ticket_list_message(page(2, 50), ListState.mine().with_page(2), REF), ListBlock.PAGER)
    assert ListAction.NEXT not in exact  # page * page_size >= total


def test_the_filter_bar_has_all_seven_filters_with_current_values() -> None:
    state = ListState(
        filters=TicketFilters(
            board_id=1, status_id=12, priority_id=2, company_id=7, assigned="me", search="vpn"
        ),
        company_name="Acme Corp",
    )
    message = ticket_list_message(page(1, 3), state, REF, list_id=LIST_ID)
    validate_message(message)
    bar = actions_in(message, ListBlock.FILTERS)
    assert set(bar) == {
        ListAction.BOARD,
        ListAction.STATUS,
        ListAction.PRIORITY,
        ListAction.COMPANY,
        ListAction.ASSIGNED,
        ListAction.CLOSED,
        ListAction.SEARCH,
    }
    assert bar[ListAction.BOARD]["initial_option"]["text"]["text"] == "Help Desk"
    assert bar[ListAction.STATUS]["initial_option"]["text"]["text"] == "In Progress"
    assert bar[ListAction.PRIORITY]["initial_option"]["text"]["text"] == "🟠 Priority 2 - Quick"
    assert bar[ListAction.COMPANY]["type"] == "external_select"
    assert bar[ListAction.COMPANY]["initial_option"] == {
        "text": {"type": "plain_text", "text": "Acme Corp", "emoji": True},
        "value": "7",
    }
    assert bar[ListAction.ASSIGNED]["initial_option"]["value"] == "me"
    assert bar[ListAction.CLOSED]["text"]["text"] == "Closed: off"
    assert bar[ListAction.SEARCH]["text"]["text"] == "Search: vpn"
    assert "Search: vpn" in all_text(message)


def test_status_filter_lists_the_selected_boards_statuses_only() -> None:
    ref = ListReference(
        boards=BOARDS, statuses=[s for s in STATUSES if s.board_id == 2], priorities=PRIORITIES
    )
    bar = actions_in(
        ticket_list_message(page(1, 1), ListState().with_filter(board_id=2), ref), ListBlock.FILTERS
    )
    assert option_values(bar[ListAction.STATUS]) == ["any", "21", "22"]
    # the inactive board is not offered
    assert "3" not in option_values(bar[ListAction.BOARD])


def test_without_a_board_a_status_name_shared_by_boards_is_one_choice_for_all_of_them() -> None:
    ref = ListReference(boards=BOARDS, statuses=STATUSES, priorities=PRIORITIES)
    message = ticket_list_message(page(1, 1), ListState(), ref, list_id=LIST_ID)
    bar = actions_in(message, ListBlock.FILTERS)
    labels = [o["text"]["text"] for o in bar[ListAction.STATUS]["options"]]
    assert labels.count("New") == 1
    picked = after(ListState(), click(message, ListAction.STATUS, **_opt("New", "n:New")))
    assert (picked.filters.status_name, picked.filters.status_id) == ("New", None)
    shown = actions_in(ticket_list_message(page(1, 1), picked, ref), ListBlock.FILTERS)
    assert shown[ListAction.STATUS]["initial_option"]["value"] == "n:New"
    on_board = after(
        picked,
        click(
            ticket_list_message(page(1, 1), picked, ref, list_id=LIST_ID),
            ListAction.BOARD,
            **_opt("Projects", "2"),
        ),
    )
    assert (on_board.filters.board_id, on_board.filters.status_name) == (2, None)


def test_the_assigned_filter_offers_any_member_and_keeps_the_chosen_name() -> None:
    message = ticket_list_message(page(1, 1), ListState.mine(), REF, list_id=LIST_ID)
    bar = actions_in(message, ListBlock.FILTERS)
    assert bar[ListAction.ASSIGNED]["type"] == "external_select"
    assert bar[ListAction.ASSIGNED]["initial_option"]["text"]["text"] == "Assigned to me"
    member = after(
        ListState.mine(), click(message, ListAction.ASSIGNED, **_opt("★ Jordan Doe (@jane)", "17"))
    )
    assert (member.filters.assigned, member.assigned_name) == (17, "Jordan Doe")
    again = actions_in(ticket_list_message(page(1, 1), member, REF), ListBlock.FILTERS)
    assert again[ListAction.ASSIGNED]["initial_option"] == {
        "text": {"type": "plain_text", "text": "Jordan Doe", "emoji": True},
        "value": "17",
    }


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (ListState.mine(), "No open tickets assigned to you."),
        (ListState().with_filter(search="zzz"), "No tickets match these filters."),
    ],
)
def test_empty_states(state: ListState, expected: str) -> None:
    message = ticket_list_message(
        TicketListResponse(items=[], total=0, page=1, page_size=25), state, REF, list_id=LIST_ID
    )
    validate_message(message)
    assert expected in all_text(message)
    assert ListAction.NEXT not in actions_in(message, ListBlock.PAGER)


def test_user_text_is_escaped_so_nobody_gets_pinged() -> None:
    ticket = make_ticket(5, summary="<!channel> server & <@U999> down >", company=Ref(id=1, name="A<b>&c"))
    message = ticket_list_message(
        TicketListResponse(items=[ticket], total=1, page=1, page_size=25), ListState(), REF
    )
    text = all_text(message)
    assert "&lt;!channel&gt; server &amp; &lt;@U999&gt; down &gt;" in text
    assert "A&lt;b&gt;&amp;c" in text
    assert "<!channel>" not in text and "<@U999>" not in text
    row = row_of(message, 5)
    assert row["text"]["verbatim"] is True


@pytest.mark.parametrize(
    ("priority", "marker"),
    [
        (Priority(id=1, name="P", sort=1, color="Red"), "🔴"),
        (Priority(id=1, name="P", sort=1, color="orange"), "🟠"),
        (Priority(id=1, name="P", sort=9, color="#ffd700"), "🟡"),
        (Priority(id=1, name="P", sort=1, color="Blue"), "🔵"),
        (Priority(id=1, name="P", sort=1, color="Green"), "🟢"),
        (Priority(id=1, name="P", sort=2, color=None), "🟠"),
        (Priority(id=1, name="P", sort=3, color="Custom"), "🟡"),
        (Priority(id=1, name="P", sort=0), "⚪"),
        (None, "⚪"),
    ],
)
def test_priority_markers(priority: Priority | None, marker: str) -> None:
    ticket = make_ticket(9, priority=priority)
    message = ticket_list_message(
        TicketListResponse(items=[ticket], total=1, page=1, page_size=25), ListState(), REF
    )
    row = row_of(message, 9)
    assert marker in row["text"]["text"]


def test_duplicate_rows_from_the_psa_become_one_row() -> None:
    items = [make_ticket(1), make_ticket(1), make_ticket(2)]
    message = ticket_list_message(
        TicketListResponse(items=items, total=3, page=1, page_size=25), ListState(), REF
    )
    validate_message(message)


def test_fallback_text_names_the_list() -> None:
    message = ticket_list_message(page(1, 2), ListState.mine(), REF, list_id=LIST_ID)
    assert message["text"].startswith("Your open tickets — Showing 1–2 of 2 tickets: #1 · Outlook")


def test_row_menu_variant_offers_open_and_share() -> None:
    message = ticket_list_message(page(1, 1), ListState(), REF, row_menu=True)
    validate_message(message)
    row = row_of(message, 1)
    assert option_values(row["accessory"]) == ["open:1", "share:1"]
    assert row_menu_choice({"selected_option": row["accessory"]["options"][1]}) == ("share", 1)
    with pytest.raises(StateError):
        row_menu_choice({"selected_option": {"value": "delete:1"}})


# ---------------------------------------------------------------- clicks → the next list state


def click(message: dict[str, Any], action_id: str, **extra: Any) -> dict[str, Any]:
    """A block_actions body for a click on `action_id` in `message`, as Slack sends it."""
    for block in message["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                action = {"action_id": action_id, "block_id": block["block_id"], "type": element["type"]}
                if "value" in element:
                    action["value"] = element["value"]
                action.update(extra)
                return {"type": "block_actions", "actions": [action]}
    raise AssertionError(f"{action_id} not in message")


def _opt(text: str, value: str) -> dict[str, Any]:
    return {"selected_option": {"text": {"type": "plain_text", "text": text}, "value": value}}


def test_next_and_closed_toggle_carry_their_target_state() -> None:
    state = ListState().with_filter(search="printer", board_id=1)
    message = ticket_list_message(page(1, 80), state, REF, list_id=LIST_ID)
    nxt = after(state, click(message, ListAction.NEXT))
    assert (nxt.page, nxt.filters.search, nxt.filters.board_id) == (2, "printer", 1)
    toggled = after(state, click(message, ListAction.CLOSED))
    assert toggled.filters.include_closed and toggled.page == 1
    assert after(state, click(message, ListAction.REFRESH)) == state


def test_selecting_a_board_resets_status_and_page() -> None:
    state = ListState(filters=TicketFilters(board_id=1, status_id=12, search="x"), page=3)
    message = ticket_list_message(page(3, 80), state, REF, list_id=LIST_ID)
    new = after(state, click(message, ListAction.BOARD, **_opt("Projects", "2")))
    assert (new.filters.board_id, new.filters.status_id, new.page, new.filters.search) == (2, None, 1, "x")
    cleared = after(state, click(message, ListAction.BOARD, **_opt("Any board", "any")))
    assert cleared.filters.board_id is None


def test_selecting_company_and_assignee_keeps_their_names() -> None:
    message = ticket_list_message(page(1, 1), ListState.mine(), REF, list_id=LIST_ID)
    company = after(ListState.mine(), click(message, ListAction.COMPANY, **_opt("Acme Corp", "7")))
    assert (company.filters.company_id, company.company_name) == (7, "Acme Corp")
    anyone = after(ListState.mine(), click(message, ListAction.ASSIGNED, **_opt("Anyone", "all")))
    assert anyone.filters.assigned == "all"
    status = after(ListState.mine(), click(message, ListAction.STATUS, **_opt("New", "11")))
    assert status.filters.status_id == 11 and status.filters.assigned == "me"


def test_the_list_state_is_kept_once_on_the_server_not_copied_into_the_message() -> None:
    needle = "zebra" * 300
    state = ListState(filters=TicketFilters(search=needle, board_id=2, company_id=9), company_name="C" * 300)
    message = ticket_list_message(page(1, 60), state, REF, list_id=LIST_ID)
    bar = next(b for b in message["blocks"] if b.get("block_id", "").startswith(ListBlock.FILTERS))
    assert bar["block_id"] == filter_block_id(LIST_ID) == f"{ListBlock.FILTERS}:{LIST_ID}"
    carried = [b.get("block_id", "") for b in message["blocks"]] + [
        str(e.get("value", ""))
        for b in message["blocks"]
        for e in [*(b.get("elements") or []), b.get("accessory") or {}]
    ]
    assert not any("zebra" in c or "CCC" in c for c in carried)  # ids and small changes only
    new = after(
        state,
        {"actions": [{"action_id": ListAction.PRIORITY, "block_id": bar["block_id"], **_opt("High", "1")}]},
    )
    assert (new.filters.search, new.filters.company_id, new.filters.priority_id) == (needle, 9, 1)  # whole


def test_unknown_clicks_raise_state_error() -> None:
    with pytest.raises(StateError):
        read_list_click({"actions": [{"action_id": ListAction.BOARD, "block_id": "elsewhere"}]})
    with pytest.raises(StateError):
        read_list_click({"actions": []})
    with pytest.raises(StateError):
        read_list_click({"actions": [{"action_id": ListAction.NEXT, "value": '{"page": 2}'}]})


def test_search_modal_round_trip_keeps_the_other_filters() -> None:
    state = ListState(filters=TicketFilters(search="old", priority_id=1, assigned="me"), page=4)
    view = search_modal(state, list_id=LIST_ID, response_url="https://hooks.slack.com/actions/1")
    validate_modal(view)
    assert view["blocks"][-1]["element"]["initial_value"] == "old"
    view["state"] = {
        "values": {"list_search.query": {"list_search.query_input": {"value": "  new   words "}}}
    }
    meta, text = read_search_modal(view)
    new_state = state.with_filter(search=text)
    assert (new_state.filters.search, new_state.filters.priority_id, new_state.page) == ("new words", 1, 1)
    assert (meta.list_id, meta.response_url) == (LIST_ID, "https://hooks.slack.com/actions/1")


@settings(max_examples=examples(40), deadline=None)
@given(
    summaries=st.lists(hostile_text, min_size=0, max_size=25),
    company=hostile_text,
    search=hostile_text,
    total=st.integers(min_value=0, max_value=10_000),
    page_no=st.integers(min_value=1, max_value=400),
)
def test_any_list_passes_slacks_limits(
    summaries: list[str], company: str, search: str, total: int, page_no: int
) -> None:
    items = [
        make_ticket(i + 1, summary=s * 30, company=Ref(id=1, name=company)) for i, s in enumerate(summaries)
    ]
    response = TicketListResponse(items=items, total=max(total, len(items)), page=page_no, page_size=25)
    state = ListState(
        filters=TicketFilters(search=search * 20, company_id=1), company_name=company * 10, page=page_no
    )
    validate_message(ticket_list_message(response, state, REF, list_id=LIST_ID))
    validate_modal(search_modal(state, list_id=LIST_ID))


def test_each_row_carries_its_list_so_the_detail_can_refresh_it() -> None:
    state = ListState().with_filter(priority_id=2, search="printer " * 80).with_page(3)
    message = ticket_list_message(
        TicketListResponse(items=[make_ticket(7)], total=51, page=3, page_size=25),
        state,
        REF,
        list_id=LIST_ID,
    )
    block_id = row_of(message, 7)["block_id"]
    assert len(block_id) <= 255 and list_id_of_row(block_id) == LIST_ID
    assert list_id_of_row("list.row.7") is None and list_id_of_row("home.row.7:L1") is None

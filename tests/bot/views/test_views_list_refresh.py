"""What a list says when the app can no longer keep it current: within Slack's limits, Refresh kept."""

from __future__ import annotations

from typing import Any

from views_testkit import all_text, make_ticket

from bot.ids import ListAction, ListBlock
from bot.state import ListState
from bot.views.limits import validate_message
from bot.views.list_refresh import list_not_updated, stops_following
from bot.views.ticket_list import ListReference, read_list_click, ticket_list_message
from psa.models import TicketListResponse


def listing(rows: int, page_size: int = 25) -> dict[str, Any]:
    response = TicketListResponse(
        items=[make_ticket(1000 + i) for i in range(rows)], total=rows + 5, page=1, page_size=page_size
    )
    state = ListState.mine().model_copy(update={"page_size": page_size})
    return ticket_list_message(response, state, ListReference(), list_id="list123")


def block_ids(message: dict[str, Any]) -> list[str]:
    return [str(b.get("block_id", "")) for b in message["blocks"]]


def test_a_list_that_stops_following_changes_says_so_just_above_its_refresh_button() -> None:
    message = stops_following(listing(25))
    validate_message(message)
    ids = block_ids(message)
    assert ids[-2:] == [ListBlock.STALE, ListBlock.PAGER]
    assert "Press *Refresh* to bring it up to date" in all_text(message)
    assert len([i for i in ids if i.startswith(ListBlock.ROW)]) == 25


def test_a_full_list_makes_room_with_its_last_row_never_its_buttons() -> None:
    full = listing(46, page_size=100)
    assert len(full["blocks"]) == 50
    message = stops_following(full)
    validate_message(message)
    assert block_ids(message)[-2:] == [ListBlock.STALE, ListBlock.PAGER]
    assert len([i for i in block_ids(message) if i.startswith(ListBlock.ROW)]) == 45


def test_the_not_updated_notice_refreshes_the_same_list() -> None:
    message = list_not_updated("list123")
    validate_message(message)
    assert "couldn't be updated" in message["text"] and "*" not in message["text"]
    button = message["blocks"][1]["elements"][0]
    assert button["action_id"] == ListAction.REFRESH
    clicked = read_list_click({"actions": [{"action_id": button["action_id"], "value": button["value"]}]})
    assert (clicked.list_id, clicked.page) == ("list123", None)


def test_without_its_stored_state_the_notice_says_how_to_get_the_list_again() -> None:
    message = list_not_updated(None)
    validate_message(message)
    assert "Run /tickets again" in all_text(message)
    assert [b["type"] for b in message["blocks"]] == ["section"]

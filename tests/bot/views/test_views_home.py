"""The App Home "My queue" in each of its states."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fuzz_budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from views_testkit import NOW, all_text, assert_no_live_mentions, hostile_text, make_ticket

from bot.ids import HomeAction, TimeAction
from bot.views.home import HomeConnection, HomeState, home_view
from bot.views.limits import validate_home

CONN = HomeConnection(company_id="acme", site="na.myconnectwise.net")


def render(**kw: Any) -> dict[str, Any]:
    view = home_view(HomeState(**kw))
    validate_home(view)
    return view


def action_ids(view: dict[str, Any]) -> set[str]:
    ids = set()
    for block in view["blocks"]:
        for element in block.get("elements", []):
            if "action_id" in element:
                ids.add(element["action_id"])
        if "accessory" in block:
            ids.add(block["accessory"]["action_id"])
    return ids


def test_not_connected_admin_gets_the_connect_button() -> None:
    view = render(kind="not_connected", is_admin=True)
    assert HomeAction.CONNECT in action_ids(view)


def test_not_connected_member_is_told_whom_to_ask() -> None:
    view = render(kind="not_connected", is_admin=False)
    assert HomeAction.CONNECT not in action_ids(view)
    assert "Ask a workspace admin to run `/tickets connect`." in all_text(view)


def test_connected_but_not_mapped() -> None:
    view = render(kind="not_mapped", connection=CONN)
    assert action_ids(view) == {HomeAction.MAP}
    assert "Map your PSA member to see your queue" in all_text(view)


def test_queue_shows_five_rows_and_the_way_to_the_rest() -> None:
    tickets = [make_ticket(i) for i in range(1, 9)]
    view = render(kind="tickets", tickets=tickets, total=12, connection=CONN, last_updated=NOW)
    rows = [b for b in view["blocks"] if b.get("block_id", "").startswith("home.row.")]
    assert len(rows) == 5
    assert rows[0]["accessory"] == {
        "type": "button",
        "action_id": HomeAction.OPEN,
        "text": {"type": "plain_text", "text": "Open", "emoji": True},
        "value": "1",
    }
    text = all_text(view)
    assert "5 of 12 open tickets assigned to you" in text
    assert "*#1* · Outlook not syncing (1) · New · 🔴 Priority 1 - Emergency" in text
    assert {HomeAction.VIEW_ALL, HomeAction.NEW_TICKET, HomeAction.REFRESH} <= action_ids(view)


def test_empty_queue_is_muted_with_no_call_to_action() -> None:
    view = render(kind="empty", connection=CONN)
    assert "No open tickets assigned to you" in all_text(view)
    assert action_ids(view) == {TimeAction.NUDGE}  # only the reminder setting, no call to action


def test_psa_failure_renders_quietly_with_retry() -> None:
    view = render(kind="error", connection=CONN)
    assert "Couldn't reach ConnectWise just now." in all_text(view)
    assert action_ids(view) == {HomeAction.RETRY, TimeAction.NUDGE}


def test_footer_names_the_connection_and_time() -> None:
    view = render(
        kind="empty",
        connection=CONN,
        last_updated=datetime(2026, 5, 4, 12, 30, tzinfo=UTC),
        member_name="Jordan",
    )
    footer = view["blocks"][-1]["elements"]
    texts = [e["text"] for e in footer]
    assert texts[0] == "Connected to ConnectWise · acme · na.myconnectwise.net"
    assert texts[1] == "You are Jordan"
    assert texts[2] == "Last updated <!date^1777897800^{date_short_pretty} {time}|2026-05-04 12:30 UTC>"


def test_loading_state() -> None:
    assert "Loading your tickets…" in all_text(render(kind="loading"))


@settings(max_examples=examples(25), deadline=None)
@given(
    kind=st.sampled_from(["not_connected", "not_mapped", "loading", "tickets", "empty", "error"]),
    summaries=st.lists(hostile_text, max_size=12),
    site=hostile_text,
    admin=st.booleans(),
)
def test_any_home_passes_slacks_limits(kind: str, summaries: list[str], site: str, admin: bool) -> None:
    tickets = [make_ticket(i + 1, summary=s * 40) for i, s in enumerate(summaries)]
    connection = HomeConnection(company_id=site * 10, site=site * 10)
    view = render(
        kind=kind,
        is_admin=admin,
        tickets=tickets,
        total=len(tickets),
        connection=connection,
        last_updated=NOW,
    )
    assert_no_live_mentions(view)

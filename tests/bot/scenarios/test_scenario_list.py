"""The list message: paging and filtering replace it in place; rows open the detail; search modal."""

from __future__ import annotations

import itertools
from functools import partial

from scenario_harness import (
    CHANNEL,
    DEMO,
    DEMO_MEMBER,
    Slack,
    blocks_text,
    expected_open_tickets,
    find_block,
    row_block,
    row_ids,
)

from bot.ids import Callback, DetailAction, ListAction, SearchModal
from storage.repositories import thread_links as thread_link_repo


def _all_open(slack: Slack) -> list[int]:
    store = slack.sandbox.state.store
    tickets = [t for t in store.tables["tickets"].values() if not t["closedFlag"]]
    return [t["id"] for t in tickets]


async def test_next_and_prev_replace_the_same_message(slack: Slack) -> None:
    await slack.command("search")
    first = slack.last_ephemeral(DEMO)
    total = len(_all_open(slack))
    assert f"Showing 1–25 of {total} tickets" in blocks_text(first)
    page_one = row_ids(first)

    await slack.click(ListAction.NEXT, message=first)
    assert len(slack.ephemerals(DEMO)) == 1  # replaced, not a second message
    second = slack.last_ephemeral(DEMO)
    assert second["ts"] == first["ts"]
    assert f"Showing 26–50 of {total} tickets" in blocks_text(second)
    assert not set(row_ids(second)) & set(page_one)

    await slack.click(ListAction.PREV, message=second)
    back = slack.last_ephemeral(DEMO)
    assert row_ids(back) == page_one
    assert len(slack.ephemerals(DEMO)) == 1
    assert all(p.outcome == "replaced" for p in slack.fake.responses[1:])


async def test_rows_are_most_urgent_first_then_newest(slack: Slack) -> None:
    await slack.command("search")
    ids = row_ids(slack.last_ephemeral(DEMO))
    tickets = [slack.sandbox.state.store.tables["tickets"][i] for i in ids]
    keys = [(t["priority"]["sort"], t["_info"]["dateEntered"]) for t in tickets]
    sorts = [k[0] for k in keys]
    assert sorts == sorted(sorts)
    for (sort_a, date_a), (sort_b, date_b) in itertools.pairwise(keys):
        if sort_a == sort_b:
            assert date_a >= date_b


async def test_a_list_fits_slacks_fifty_block_limit(slack: Slack) -> None:
    await slack.command("search")
    message = slack.last_ephemeral(DEMO)
    assert len(row_ids(message)) == 25
    assert len(message["blocks"]) <= 50


async def test_changing_a_filter_resets_to_page_one_in_place(slack: Slack) -> None:
    await slack.command("search")
    await slack.click(ListAction.NEXT, message=slack.last_ephemeral(DEMO))
    on_page_two = slack.last_ephemeral(DEMO)

    await slack.click(ListAction.BOARD, "1", message=on_page_two)  # Help Desk

    filtered = slack.last_ephemeral(DEMO)
    assert len(slack.ephemerals(DEMO)) == 1
    assert "Showing 1–" in blocks_text(filtered)
    boards = {slack.sandbox.state.store.tables["tickets"][i]["board"]["name"] for i in row_ids(filtered)}
    assert boards == {"Help Desk"}


async def test_status_filter_offers_only_the_chosen_boards_statuses(slack: Slack) -> None:
    await slack.command('search board:"Alerts"')
    message = slack.last_ephemeral(DEMO)
    status_select = next(
        e
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e.get("action_id") == ListAction.STATUS
    )
    labels = [o["text"]["text"] for o in status_select["options"]]
    assert labels == ["Any status", "New", "Acknowledged", "Resolved"]

    await slack.click(ListAction.STATUS, "126", message=message)
    statuses = {
        slack.sandbox.state.store.tables["tickets"][i]["status"]["name"]
        for i in row_ids(slack.last_ephemeral(DEMO))
    }
    assert statuses <= {"Acknowledged"}


async def test_closed_toggle_includes_closed_tickets(slack: Slack) -> None:
    await slack.command("search outlook")
    open_only = row_ids(slack.last_ephemeral(DEMO))

    await slack.click(ListAction.CLOSED, message=slack.last_ephemeral(DEMO))

    with_closed = row_ids(slack.last_ephemeral(DEMO))
    tickets = slack.sandbox.state.store.tables["tickets"]
    assert any(tickets[i]["closedFlag"] for i in with_closed)
    assert not any(tickets[i]["closedFlag"] for i in open_only)


async def test_assigned_filter_switches_between_me_and_anyone(slack: Slack) -> None:
    await slack.command("mine")
    await slack.click(ListAction.ASSIGNED, "all", message=slack.last_ephemeral(DEMO))
    everyone = slack.last_ephemeral(DEMO)
    assert f"of {len(_all_open(slack))} tickets" in blocks_text(everyone)

    await slack.click(ListAction.ASSIGNED, "me", message=everyone)
    assert row_ids(slack.last_ephemeral(DEMO)) == expected_open_tickets(slack.sandbox, DEMO_MEMBER)[:25]


async def test_company_filter_offers_companies_and_filters_by_the_pick(slack: Slack) -> None:
    await slack.command("search")
    message = slack.last_ephemeral(DEMO)

    options = await slack.options(ListAction.COMPANY, "northwind", message=message)
    labels = [o["text"]["text"] for o in options]
    assert labels[0] == "Any company"
    assert "Northwind Traders" in labels and "Northwind Health" in labels
    traders = next(o for o in options if o["text"]["text"] == "Northwind Traders")

    await slack.click(ListAction.COMPANY, (traders["text"]["text"], traders["value"]), message=message)
    companies = {
        slack.sandbox.state.store.tables["tickets"][i]["company"]["name"]
        for i in row_ids(slack.last_ephemeral(DEMO))
    }
    assert companies == {"Northwind Traders"}


async def test_search_modal_replaces_the_list_with_the_typed_search(slack: Slack) -> None:
    await slack.command("mine")
    message = slack.last_ephemeral(DEMO)
    await slack.click(ListAction.SEARCH, message=message)
    modal = slack.modal(DEMO)
    assert modal["callback_id"] == Callback.LIST_SEARCH

    await slack.submit(modal, values={SearchModal.BLOCK: {SearchModal.ACTION: "outlook"}})

    assert not slack.fake.is_view_open(modal["id"])
    listed = slack.last_ephemeral(DEMO)
    assert len(slack.ephemerals(DEMO)) == 1
    assert "Search: outlook" in blocks_text(listed)
    summaries = [slack.sandbox.state.store.tables["tickets"][i]["summary"].lower() for i in row_ids(listed)]
    assert summaries and all("outlook" in s for s in summaries)


async def test_row_open_shows_the_row_at_once_then_the_hydrated_detail(slack: Slack) -> None:
    await slack.command("mine")
    message = slack.last_ephemeral(DEMO)

    await slack.click(ListAction.OPEN, message=message, block_id=row_block(message, 1649))

    opened = slack.fake.calls_to("views.open")[0].args["view"]
    assert "URGENT: server down" in blocks_text(opened)  # the row's summary, before any PSA call
    assert "Loading details" in blocks_text(opened)
    update = slack.fake.calls_to("views.update")[0]
    assert update.args["hash"]  # hash-guarded
    hydrated = slack.modal(DEMO)
    assert "Marcus Webb" in blocks_text(hydrated)
    assert "Loading details" not in blocks_text(hydrated)


async def test_share_from_the_row_menu_posts_a_card_and_links_its_thread(slack: Slack) -> None:
    await slack.command("mine")
    message = slack.last_ephemeral(DEMO)
    # The list renders Open buttons; the row menu is an alternative layout sharing the same listener.
    message["blocks"].append(
        {
            "type": "actions",
            "block_id": "menu",
            "elements": [
                {
                    "type": "overflow",
                    "action_id": ListAction.ROW_MENU,
                    "options": [
                        {"text": {"type": "plain_text", "text": "Share"}, "value": "share:1649"},
                    ],
                }
            ],
        }
    )

    await slack.click(ListAction.ROW_MENU, "share:1649", message=message)

    posted = [m for m in slack.fake.messages(CHANNEL) if m.get("bot_id")]
    assert len(posted) == 1
    assert "#1649" in blocks_text(posted[0])
    link = await slack.store.read(
        partial(thread_link_repo.get_thread_link, channel_id=CHANNEL, thread_ts=posted[0]["ts"])
    )
    assert link is not None and link.ticket_id == 1649
    assert "Shared ticket #1649" in blocks_text(slack.last_ephemeral(DEMO))


async def test_a_change_in_a_detail_opened_from_the_list_updates_that_list_in_place(slack: Slack) -> None:
    await slack.command("mine")
    listed = slack.last_ephemeral(DEMO)
    row = find_block(listed, row_block(listed, 1649))
    assert row is not None and "Escalated" in blocks_text({"blocks": [row]})

    await slack.click(ListAction.OPEN, message=listed, block_id=row_block(listed, 1649))
    await slack.click(DetailAction.STATUS, "129", view=slack.modal(DEMO))  # In Progress (Escalations)

    refreshed = slack.last_ephemeral(DEMO)
    row = find_block(refreshed, row_block(refreshed, 1649))
    assert row is not None and "In Progress" in blocks_text({"blocks": [row]})
    assert len(slack.ephemerals(DEMO, CHANNEL)) == 1  # the same message, replaced

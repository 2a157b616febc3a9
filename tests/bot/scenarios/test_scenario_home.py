"""App Home "My queue": every state, the row open, View all, New ticket, Refresh/Retry, hashes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest
from round_trips import measure
from scenario_harness import (
    ADMIN,
    DEMO,
    DEMO_MEMBER,
    NEWBIE,
    Slack,
    action_ids,
    blocks_text,
    expected_open_tickets,
    row_ids,
)
from waiting import wait_until

from bot.flows import home as home_flow
from bot.ids import Callback, HomeAction, ListAction, MappingAction, TimeAction
from bot.local import payloads as p

MakeSlack = Callable[..., AbstractAsyncContextManager[Slack]]


async def open_home(slack: Slack, user: str = DEMO, *, tab: str = "home") -> dict[str, Any] | None:
    """The user clicks the app's Home tab (the event carries the published Home, as Slack's does)."""
    previous = slack.fake.home_view(user)
    event = p.app_home_opened_event(user, channel=slack.fake.dm_channel(user), tab=tab, view=previous)
    sent = await slack.event(event)
    assert sent.status == 200
    return slack.fake.home_view(user)


def home_rows(view: dict[str, Any]) -> list[int]:
    prefix = "home.row."
    return [
        int(b["block_id"][len(prefix) :]) for b in view["blocks"] if b.get("block_id", "").startswith(prefix)
    ]


async def test_mapped_user_sees_their_five_most_urgent_open_tickets(slack: Slack) -> None:
    expected = expected_open_tickets(slack.sandbox, DEMO_MEMBER)

    view = await open_home(slack)

    assert view is not None
    assert home_rows(view) == expected[:5]
    text = blocks_text(view)
    assert f"5 of {len(expected)} open tickets assigned to you, most urgent first" in text
    assert "You are Jordan Doe (jdoe)" in text and "Connected to ConnectWise" in text
    for action in (HomeAction.VIEW_ALL, HomeAction.NEW_TICKET, HomeAction.REFRESH):
        assert action in action_ids(view)


async def test_messages_tab_is_left_alone(slack: Slack) -> None:
    assert await open_home(slack, tab="messages") is None
    assert not slack.fake.calls_to("views.publish")


async def test_unmapped_user_is_offered_the_mapping_modal_with_their_email_suggested(slack: Slack) -> None:
    view = await open_home(slack, NEWBIE)
    assert view is not None
    assert "Map your PSA member to see your queue" in blocks_text(view)
    assert home_rows(view) == []

    await slack.click(HomeAction.MAP, user=NEWBIE, view=view)

    modal = slack.modal(NEWBIE)
    assert modal["callback_id"] == Callback.MAPPING
    assert "Suggested from your e-mail: *Michael Chen*" in blocks_text(modal)
    select = next(b for b in modal["blocks"] if b.get("block_id") == "mapping.member")["element"]
    assert select["action_id"] == MappingAction.MEMBER
    assert select["initial_option"]["value"] == "2"  # mchen


async def test_not_connected_home_gives_admins_the_connect_button_and_tells_others_whom_to_ask(
    make_slack: MakeSlack,
) -> None:
    async with make_slack(connected=False, mapped={}) as slack:
        admin_view = await open_home(slack, ADMIN)
        member_view = await open_home(slack, DEMO)
        assert admin_view is not None and member_view is not None
        assert HomeAction.CONNECT in action_ids(admin_view)
        assert HomeAction.CONNECT not in action_ids(member_view)
        assert "Ask a workspace admin to run `/tickets connect`" in blocks_text(member_view)
        assert not slack.sandbox.requests  # nothing to ask ConnectWise yet

        await slack.click(HomeAction.CONNECT, user=ADMIN, view=admin_view)

        modal = slack.modal(ADMIN)
        assert modal["callback_id"] == Callback.CONNECT and modal["submit"]["text"] == "Test & save"


async def test_empty_queue_is_muted_with_no_call_to_action(make_slack: MakeSlack) -> None:
    async with make_slack(mapped={DEMO: "aschultz"}) as slack:
        view = await open_home(slack)
        assert view is not None
        assert "No open tickets assigned to you" in blocks_text(view)
        # Nothing to do but the settings every mapped engineer has: notifications, the time reminder.
        assert [a for a in action_ids(view) if not a.startswith("live.") and a != TimeAction.NUDGE] == []


async def test_failing_psa_renders_quietly_with_retry_then_recovers(slack: Slack) -> None:
    slack.sandbox.inject_fault(path_pattern="service/tickets", status=500, count=None)

    view = await open_home(slack)

    assert view is not None
    assert "Couldn't reach ConnectWise just now." in blocks_text(view)
    assert action_ids(view) == [HomeAction.RETRY, TimeAction.NUDGE]
    assert not slack.fake.calls_to("views.open") and not slack.fake.responses  # no popup, no message

    slack.sandbox.clear_faults()
    await slack.click(HomeAction.RETRY, view=view)

    recovered = slack.fake.home_view(DEMO)
    assert recovered is not None
    assert home_rows(recovered) == expected_open_tickets(slack.sandbox, DEMO_MEMBER)[:5]


async def test_a_home_row_opens_the_detail_with_what_the_row_knew(slack: Slack) -> None:
    view = await open_home(slack)
    assert view is not None
    first = home_rows(view)[0]
    summary = slack.sandbox.state.store.tables["tickets"][first]["summary"]

    await slack.click(HomeAction.OPEN, view=view, block_id=f"home.row.{first}")

    opened = slack.fake.calls_to("views.open")[-1].args["view"]
    assert opened["callback_id"] == Callback.DETAIL
    assert summary[:40] in blocks_text(opened)  # shown at once, before the hydration
    assert f"#{first}" in blocks_text(slack.modal(DEMO))


async def test_view_all_sends_the_full_list_to_the_apps_dm(slack: Slack) -> None:
    expected = expected_open_tickets(slack.sandbox, DEMO_MEMBER)
    view = await open_home(slack)
    assert view is not None
    dm = slack.fake.dm_channel(DEMO)

    await slack.click(HomeAction.VIEW_ALL, view=view)

    messages = slack.fake.messages(dm)
    assert len(messages) == 1
    assert row_ids(messages[0]) == expected[:25]
    assert f"of {len(expected)} tickets" in blocks_text(messages[0])


async def test_view_all_pages_in_place_for_a_long_queue(make_slack: MakeSlack) -> None:
    async with make_slack(mapped={DEMO: "tokafor"}) as slack:
        expected = expected_open_tickets(slack.sandbox, "tokafor")
        assert len(expected) > 25
        view = await open_home(slack)
        assert view is not None
        dm = slack.fake.dm_channel(DEMO)
        await slack.click(HomeAction.VIEW_ALL, view=view)

        await slack.click(ListAction.NEXT, message=slack.fake.messages(dm)[-1], channel=dm)

        messages = slack.fake.messages(dm)
        assert len(messages) == 1  # replaced, not a second message
        assert row_ids(messages[0]) == expected[25:50]


async def test_new_ticket_opens_ticket_creation(slack: Slack) -> None:
    view = await open_home(slack)
    assert view is not None

    await slack.click(HomeAction.NEW_TICKET, view=view)

    assert slack.fake.calls_to("views.open")
    assert slack.modal(DEMO)["callback_id"] in (Callback.CREATE, Callback.COMING_SOON)


async def test_refresh_publishes_with_the_view_hash_and_recovers_from_a_hash_conflict(slack: Slack) -> None:
    view = await open_home(slack)
    assert view is not None
    # The event of a second visit carries the published Home: its hash guards the publish.
    await open_home(slack)
    second = slack.fake.calls_to("views.publish")[-1]
    assert second.args.get("hash") == view["hash"]

    slack.fake.inject_error("views.publish", "hash_conflict")
    current = slack.fake.home_view(DEMO)
    assert current is not None
    await slack.click(HomeAction.REFRESH, view=current)

    conflicted, retried = slack.fake.calls_to("views.publish")[-2:]
    assert isinstance(conflicted.response, dict) and conflicted.response.get("error") == "hash_conflict"
    assert conflicted.args.get("hash") == current["hash"]
    assert retried.status == 200 and not retried.args.get("hash")
    refreshed = slack.fake.home_view(DEMO)
    assert refreshed is not None and home_rows(refreshed) == home_rows(view)


async def test_a_slow_first_visit_shows_loading_then_the_queue(
    slack: Slack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(home_flow, "LOADING_AFTER_SECONDS", 0.05)
    with slack.sandbox.holding():  # ConnectWise answers nothing until "Loading…" is on screen
        visit = asyncio.create_task(open_home(slack))
        await wait_until(lambda: slack.fake.calls_to("views.publish"), what="the loading Home")
    view = await visit

    published = [c.args["view"] for c in slack.fake.calls_to("views.publish")]
    assert len(published) == 2
    assert "Loading your tickets" in blocks_text(published[0])
    assert view is not None and len(home_rows(view)) == 5


async def test_publishing_home_is_one_round_of_psa_requests_when_warm(slack: Slack) -> None:
    # the member and priorities; then the page and its count
    _, cold = await measure(slack.sandbox, open_home(slack), together=(2, 2))
    _, warm = await measure(slack.sandbox, open_home(slack), together=(2,))
    print(f"\nHome publish: cold {cold}; warm {warm}")
    assert (warm.requests, warm.rounds) == (2, 1)  # the page and its count, in parallel
    assert cold.rounds <= 3

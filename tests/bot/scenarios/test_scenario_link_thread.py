"""The "Link thread to ticket" shortcut: PSA-checked ticket number, stored link, thread confirmation."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from functools import partial

import pytest
from scenario_harness import CHANNEL, DEMO, NEWBIE, Slack, blocks_text, mrkdwn_texts
from scenario_spinoff_kit import (
    OUTLOOK_TICKET,
    bot_replies,
    link_thread,
    say,
    seed_ticket,
    shortcut,
    view_now,
)

from bot.flows import link_thread as link_flow
from bot.ids import Callback, LinkThreadField, Shortcut
from storage.repositories import thread_links as thread_link_repo


async def test_linking_a_thread_stores_the_ticket_and_says_so_in_the_thread(slack: Slack) -> None:
    parent = say(slack, "Marcus says Outlook stopped syncing this morning", user=NEWBIE)
    in_thread = say(slack, "On it, checking his profile", thread_ts=parent["ts"])

    sent = await link_thread(slack, in_thread, f"#{OUTLOOK_TICKET}")

    assert sent.status == 200 and not sent.body  # an empty ack closes the modal
    confirmation = bot_replies(slack, parent["ts"])
    assert len(confirmation) == 1
    assert confirmation[0]["text"] == f"This thread is linked to #{OUTLOOK_TICKET} · Outlook not syncing"
    ticket = seed_ticket(slack.sandbox, OUTLOOK_TICKET)
    link = await slack.store.read(
        partial(thread_link_repo.get_thread_link, channel_id=CHANNEL, thread_ts=parent["ts"])
    )
    assert link is not None
    assert (link.ticket_id, link.company_id, link.board_id, link.linked_by) == (
        OUTLOOK_TICKET,
        ticket["company"]["id"],
        ticket["board"]["id"],
        DEMO,
    )


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("abc", "Type a ticket number, like 1042."),
        ("99999", "Ticket #99999 doesn't exist in ConnectWise. Check the number."),
    ],
)
async def test_a_bad_ticket_number_is_a_field_error_and_keeps_the_input(
    slack: Slack, typed: str, error: str
) -> None:
    parent = say(slack, "Printer on 2nd floor is offline")
    await shortcut(slack, Shortcut.LINK_THREAD, parent)
    modal = slack.type_into(slack.modal(), {LinkThreadField.TICKET: {LinkThreadField.TICKET: typed}})

    sent = await slack.submit(modal)

    assert sent.body == {"response_action": "errors", "errors": {LinkThreadField.TICKET: error}}
    assert slack.fake.is_view_open(modal["id"])
    kept = view_now(slack, modal["id"])["state"]["values"][LinkThreadField.TICKET][LinkThreadField.TICKET]
    assert kept["value"] == typed
    assert (
        await slack.store.read(
            partial(thread_link_repo.get_thread_link, channel_id=CHANNEL, thread_ts=parent["ts"])
        )
        is None
    )
    assert bot_replies(slack, parent["ts"]) == []


async def test_psa_outage_while_checking_is_a_field_error(slack: Slack) -> None:
    parent = say(slack, "VPN drops again")
    await shortcut(slack, Shortcut.LINK_THREAD, parent)
    slack.sandbox.inject_fault(method="GET", path_pattern=r"/service/tickets/\d+$", status=500, count=10)

    sent = await slack.submit(
        slack.modal(), values={LinkThreadField.TICKET: {LinkThreadField.TICKET: "1594"}}
    )

    assert sent.body["response_action"] == "errors"
    assert sent.body["errors"][LinkThreadField.TICKET].startswith("Couldn't check ticket #1594:")
    assert (
        await slack.store.read(
            partial(thread_link_repo.get_thread_link, channel_id=CHANNEL, thread_ts=parent["ts"])
        )
        is None
    )


async def test_relinking_shows_the_current_link_and_replaces_it(slack: Slack) -> None:
    parent = say(slack, "Outlook issue for Marcus")
    await link_thread(slack, parent, str(OUTLOOK_TICKET))

    await shortcut(slack, Shortcut.LINK_THREAD, parent)
    modal = slack.modal()
    assert f"This thread is linked to ticket #{OUTLOOK_TICKET}" in blocks_text(modal)
    await slack.submit(modal, values={LinkThreadField.TICKET: {LinkThreadField.TICKET: "1192"}})

    link = await slack.store.read(
        partial(thread_link_repo.get_thread_link, channel_id=CHANNEL, thread_ts=parent["ts"])
    )
    assert link is not None and link.ticket_id == 1192
    assert [m["text"].split(" · ")[0] for m in bot_replies(slack, parent["ts"])] == [
        f"This thread is linked to #{OUTLOOK_TICKET}",
        "This thread is linked to #1192",
    ]


async def test_a_slow_psa_check_finishes_behind_a_checking_view(
    slack: Slack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(link_flow, "CHECK_BUDGET", 0.05)
    parent = say(slack, "Outlook again")
    await shortcut(slack, Shortcut.LINK_THREAD, parent)
    modal = slack.modal()

    with slack.sandbox.holding():  # ConnectWise answers nothing before the ack: the check is slow
        typed = {LinkThreadField.TICKET: {LinkThreadField.TICKET: str(OUTLOOK_TICKET)}}
        sent = await slack.submit(modal, values=typed, settle=False)
    await slack.settle()

    assert sent.body["response_action"] == "update"
    assert "Checking ticket #1594" in blocks_text(sent.body["view"])
    # The background check has finished: the modal now says it is linked.
    assert f"This thread is linked to #{OUTLOOK_TICKET}" in blocks_text(view_now(slack, modal["id"]))
    assert len(bot_replies(slack, parent["ts"])) == 1
    link = await slack.store.read(
        partial(thread_link_repo.get_thread_link, channel_id=CHANNEL, thread_ts=parent["ts"])
    )
    assert link is not None and link.ticket_id == OUTLOOK_TICKET


async def test_a_slow_check_of_a_missing_ticket_returns_to_the_form_with_the_number(
    slack: Slack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(link_flow, "CHECK_BUDGET", 0.05)
    parent = say(slack, "Outlook again")
    await shortcut(slack, Shortcut.LINK_THREAD, parent)
    modal = slack.modal()

    with slack.sandbox.holding():  # ConnectWise answers nothing before the ack: the check is slow
        typed = {LinkThreadField.TICKET: {LinkThreadField.TICKET: "88888"}}
        await slack.submit(modal, values=typed, settle=False)
    await slack.settle()

    view = view_now(slack, modal["id"])
    assert view["callback_id"] == Callback.LINK_THREAD
    assert "Ticket #88888 doesn't exist" in blocks_text(view)
    ticket_input = next(b for b in view["blocks"] if b.get("block_id") == LinkThreadField.TICKET)
    assert ticket_input["element"]["initial_value"] == "88888"
    assert bot_replies(slack, parent["ts"]) == []


async def test_link_shortcut_without_a_psa_connection_explains_it(
    make_slack: Callable[..., AbstractAsyncContextManager[Slack]],
) -> None:
    async with make_slack(connected=False) as slack:
        parent = say(slack, "Printer is jammed")
        await shortcut(slack, Shortcut.LINK_THREAD, parent)

        assert "ConnectWise is not connected" in blocks_text(slack.last_ephemeral())
        assert slack.fake.calls_to("views.open") == []


async def test_when_the_bot_cannot_post_in_the_channel_the_user_hears_it_in_a_dm(slack: Slack) -> None:
    parent = say(slack, "Outlook issue for Marcus")
    slack.fake.inject_error("chat.postMessage", "not_in_channel")

    await link_thread(slack, parent, str(OUTLOOK_TICKET))

    assert (
        await slack.store.read(
            partial(thread_link_repo.get_thread_link, channel_id=CHANNEL, thread_ts=parent["ts"])
        )
        is not None
    )
    [dm] = slack.fake.messages(slack.fake.dm_channel(DEMO))
    assert f"to #{OUTLOOK_TICKET}, but I can't post there (not_in_channel)" in dm["text"]


async def test_the_confirmation_escapes_the_tickets_summary(slack: Slack) -> None:
    parent = say(slack, "Server looks down")

    await link_thread(slack, parent, "1649")  # "<!channel> URGENT: server down"

    [confirmation] = bot_replies(slack, parent["ts"])
    shown = " ".join(mrkdwn_texts(confirmation))
    assert "&lt;!channel&gt; URGENT: server down" in shown and "<!channel>" not in shown

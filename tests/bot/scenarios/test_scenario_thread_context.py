"""Spin-off suggestions judge a new message against the thread as the app received it: the newest
messages, kept from events. Slack's history is read at most once per linked thread (for what was said
before the link), and Slack's limits on that read (non-Marketplace apps: 1 call a minute, 15 messages)
only mean less context, never an error or a retry. What the context leaves out is counted: Claude is
told how many earlier messages it does not see, and so is the thread."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from scenario_claude_kit import MessagesAPI, with_api_key
from scenario_harness import CHANNEL, DEMO, NEWBIE, Slack
from scenario_spinoff_kit import OUTLOOK_TICKET, link_thread, reply, say, suggestions

from ai import spinoff as spinoff_ai
from bot.flows.thread_context import KEPT, RETENTION
from bot.ids import DetailAction
from storage.repositories import thread_messages
from storage.repositories.thread_messages import ThreadMessage

MakeSlack = Callable[..., AbstractAsyncContextManager[Slack]]
DOCK = (
    "Separate issue.\n[ACTIONS]\n"
    '[{"label": "Create ticket: Dock not charging", "command": "create_spin_off_ticket", '
    '"description": "Marcus\'s docking station does not charge his laptop"}]\n[/ACTIONS]'
)


def frozen_clock() -> float:
    """The fake Slack's clock when a test needs every call inside one rate-limit minute."""
    return 1_000.0


def thread_lines(api: MessagesAPI, request: int = -1) -> list[str]:
    """The <thread> lines Claude was given in one request (oldest first; first, what was left out)."""
    prompt = api.requests[request]["messages"][0]["content"]
    block = prompt.split("<thread>\n", 1)[1].split("</thread>", 1)[0]
    return [line.removeprefix("- ") for line in block.splitlines() if line]


async def outlook_report(slack: Slack, *, before_link: list[str]) -> dict[str, Any]:
    """A report in #support with replies written before anyone linked it, then linked to the ticket."""
    parent = say(slack, "Marcus says Outlook stopped syncing this morning", user=NEWBIE)
    for text in before_link:
        say(slack, text, user=NEWBIE, thread_ts=parent["ts"])
    await link_thread(slack, parent, str(OUTLOOK_TICKET))
    return parent


def replies_calls(slack: Slack) -> list[int]:
    """Statuses of the app's conversations.replies calls."""
    return [call.status for call in slack.fake.calls_to("conversations.replies")]


async def test_a_long_linked_thread_is_judged_on_its_newest_messages(
    make_slack: MakeSlack, messages_api: MessagesAPI
) -> None:
    async with make_slack(configure=with_api_key) as slack:
        parent = await outlook_report(slack, before_link=[f"early guess {i}" for i in range(20)])
        for i in range(25):
            await reply(slack, parent["ts"], f"step {i}: rebuilt the profile, still not syncing")
        messages_api.answer_text = DOCK

        await reply(slack, parent["ts"], "unrelated: his dock won't charge the laptop anymore", user=NEWBIE)

        # The newest KEPT messages are kept, the new one among them: every one of them goes to Claude,
        # and how many came before: the parent, 20 replies before the link (Slack's one read gave 14 of
        # them), the app's link confirmation (a message of the thread too) and the oldest steps.
        earlier, shown = 1 + 20 + 1 + 25, KEPT - 1
        assert thread_lines(messages_api) == [
            f"… {earlier - shown} earlier messages not included",
            *[f"step {i}: rebuilt the profile, still not syncing" for i in range(25 - shown, 25)],
        ]
        [suggestion] = suggestions(slack, parent["ts"])
        assert suggestion["text"] == "Create ticket: Marcus's docking station does not charge his laptop"
        notice = f"The oldest {earlier - shown} of {earlier} earlier messages of this thread were left out"
        assert notice in str(suggestion["blocks"])
        assert replies_calls(slack) == [200]  # 26 messages judged, Slack's history read once


async def test_a_thread_longer_than_slacks_one_read_tells_claude_how_many_messages_it_did_not_get(
    make_slack: MakeSlack, messages_api: MessagesAPI
) -> None:
    before = [f"early guess {i}" for i in range(18)]
    async with make_slack(configure=with_api_key) as slack:
        parent = await outlook_report(slack, before_link=before)
        messages_api.answer_text = DOCK

        await reply(slack, parent["ts"], "unrelated: his dock won't charge the laptop anymore", user=NEWBIE)

        # Slack gave the parent and the first 14 replies; the 4 later ones and the app's link
        # confirmation are counted, not dropped.
        [read] = slack.fake.calls_to("conversations.replies")
        assert read.response["has_more"] is True and len(read.response["messages"]) == 15
        assert thread_lines(messages_api) == [
            "… 5 earlier messages not included",
            "Marcus says Outlook stopped syncing this morning",
            *before[:14],
        ]
        [suggestion] = suggestions(slack, parent["ts"])
        assert "The oldest 5 of 20 earlier messages of this thread were left out" in str(suggestion["blocks"])


async def test_a_long_reply_is_kept_whole_and_judged_whole(
    make_slack: MakeSlack, messages_api: MessagesAPI
) -> None:
    long_reply = "Checked his mailbox rules one by one: " + " ".join(f"rule {i} fine." for i in range(600))
    async with make_slack(configure=with_api_key) as slack:
        parent = await outlook_report(slack, before_link=[])
        await reply(slack, parent["ts"], long_reply)
        messages_api.answer_text = DOCK

        await reply(slack, parent["ts"], "unrelated: his dock won't charge the laptop anymore", user=NEWBIE)

        assert len(long_reply) > 4000 and thread_lines(messages_api)[-1] == long_reply


async def test_messages_that_do_not_fit_claudes_prompt_are_left_out_whole_and_the_suggestion_says_so(
    make_slack: MakeSlack, messages_api: MessagesAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spinoff_ai, "THREAD_PROMPT_BUDGET", 500)
    steps = [
        f"step {i}: " + "rebuilt the profile and re-ran the sync, " * 2 + "still failing" for i in range(8)
    ]
    async with make_slack(configure=with_api_key) as slack:
        parent = await outlook_report(slack, before_link=[])
        for text in steps:
            await reply(slack, parent["ts"], text)
        messages_api.answer_text = DOCK

        await reply(slack, parent["ts"], "unrelated: his dock won't charge the laptop anymore", user=NEWBIE)

        told, *given = thread_lines(messages_api)
        shown = len(given)
        assert (
            0 < shown < len(steps) + 1
            and given == (["Marcus says Outlook stopped syncing this morning", *steps])[-shown:]
        )
        [suggestion] = suggestions(slack, parent["ts"])
        left_out = len(steps) + 1 - shown  # the parent and the oldest steps, each whole or not at all
        assert told == f"… {left_out} earlier messages not included"
        notice = f"The oldest {left_out} of {len(steps) + 1} earlier messages of this thread were left out"
        assert notice in str(suggestion["blocks"])


async def test_what_was_said_before_the_link_is_read_once_and_kept_as_context(
    make_slack: MakeSlack, messages_api: MessagesAPI
) -> None:
    async with make_slack(configure=with_api_key) as slack:
        parent = await outlook_report(slack, before_link=["He is working from home on the VPN"])

        await reply(slack, parent["ts"], "Can you have him restart Outlook in safe mode?")
        await reply(slack, parent["ts"], "Restarted, still stuck on 'Updating inbox'", user=NEWBIE)
        await link_thread(slack, parent, str(OUTLOOK_TICKET))  # linked again: still one read
        await reply(slack, parent["ts"], "I'll rebuild his OST file")

        assert thread_lines(messages_api, 0) == [
            "Marcus says Outlook stopped syncing this morning",
            "He is working from home on the VPN",
        ]
        assert thread_lines(messages_api)[-2:] == [
            "Can you have him restart Outlook in safe mode?",
            "Restarted, still stuck on 'Updating inbox'",
        ]
        [read] = slack.fake.calls_to("conversations.replies")
        assert read.args["ts"] == parent["ts"] and int(read.args["limit"]) <= 15


async def test_a_rate_limited_history_read_still_gives_a_suggestion_from_received_messages(
    make_slack: MakeSlack, messages_api: MessagesAPI
) -> None:
    async with make_slack(configure=with_api_key, fake={"clock": frozen_clock}) as slack:
        first = await outlook_report(slack, before_link=[])
        await reply(slack, first["ts"], "Can you have him restart Outlook in safe mode?")
        # A second thread linked within the same minute: Slack refuses its history read (429).
        second = await outlook_report(slack, before_link=["Only Marcus is affected"])
        await reply(slack, second["ts"], "Restarted in safe mode, still not syncing", user=NEWBIE)
        messages_api.answer_text = DOCK

        await reply(slack, second["ts"], "unrelated: his dock won't charge the laptop anymore", user=NEWBIE)

        assert [m["text"] for m in suggestions(slack, second["ts"])] == [
            "Create ticket: Marcus's docking station does not charge his laptop"
        ]
        # Judged on what arrived as events; what Slack would not give is simply missing.
        assert thread_lines(messages_api) == ["Restarted in safe mode, still not syncing"]
        assert replies_calls(slack) == [200, 429]
        # While Slack asks to wait, a third linked thread does not even try.
        third = await outlook_report(slack, before_link=["Also on his laptop"])
        await reply(slack, third["ts"], "Same here since this morning", user=NEWBIE)
        assert replies_calls(slack) == [200, 429]
        # Nobody was told about any of it.
        assert slack.fake.calls_to("chat.postEphemeral") == []
        assert slack.ephemerals(DEMO, CHANNEL) == slack.ephemerals(NEWBIE, CHANNEL) == []


async def test_housekeeping_forgets_thread_context_after_a_week(slack: Slack) -> None:
    parent = await outlook_report(slack, before_link=[])
    await reply(slack, parent["ts"], "Restarted in safe mode, still not syncing", user=NEWBIE)
    week_ago = datetime.now(UTC) - RETENTION - timedelta(minutes=1)
    async with slack.deps.storage.session() as session:
        await thread_messages.keep_messages(
            session=session,
            team_id=slack.team,
            channel_id=CHANNEL,
            thread_ts="1700000000.000100",
            messages=[ThreadMessage(ts="1700000000.000200", text="an old thread")],
            keep=KEPT,
            now=week_ago,
        )

    await slack.deps.housekeep()

    async with slack.deps.storage.read_session() as session:
        old = await thread_messages.recent_messages(
            session=session, team_id=slack.team, channel_id=CHANNEL, thread_ts="1700000000.000100", limit=5
        )
        recent = await thread_messages.recent_messages(
            session=session, team_id=slack.team, channel_id=CHANNEL, thread_ts=parent["ts"], limit=5
        )
    assert old == []
    assert [m.text for m in recent] == [
        "Marcus says Outlook stopped syncing this morning",
        "Restarted in safe mode, still not syncing",
    ]


async def test_edited_and_deleted_replies_are_judged_as_their_authors_left_them(
    make_slack: MakeSlack, messages_api: MessagesAPI
) -> None:
    async with make_slack(configure=with_api_key) as slack:
        parent = await outlook_report(slack, before_link=[])
        typo = await reply(slack, parent["ts"], "Restarted in sfae mode", user=NEWBIE)
        oops = await reply(slack, parent["ts"], "his password is hunter2", user=NEWBIE)

        edited = {**typo, "text": "Restarted in safe mode, still not syncing", "edited": {"user": NEWBIE}}
        await slack.event(
            {
                "type": "message",
                "subtype": "message_changed",
                "channel": CHANNEL,
                "message": edited,
                "previous_message": typo,
                "hidden": True,
                "ts": "1765184999.000100",
            }
        )
        await slack.event(
            {
                "type": "message",
                "subtype": "message_deleted",
                "channel": CHANNEL,
                "deleted_ts": oops["ts"],
                "previous_message": oops,
                "hidden": True,
                "ts": "1765184999.000200",
            }
        )
        await reply(slack, parent["ts"], "I'll rebuild his OST file")

        assert thread_lines(messages_api) == [
            "Marcus says Outlook stopped syncing this morning",
            "Restarted in safe mode, still not syncing",
        ]


async def test_a_shared_ticket_cards_thread_never_reads_slack_history(slack: Slack) -> None:
    await slack.command(str(OUTLOOK_TICKET))
    await slack.click(DetailAction.SHARE, view=slack.modal())
    [card] = [m for m in slack.fake.messages(CHANNEL) if m.get("bot_id")]

    await reply(slack, card["ts"], "Restarted Outlook in safe mode, still not syncing", user=NEWBIE)
    await reply(slack, card["ts"], "btw can you also look at the VPN, it drops every 10 min", user=NEWBIE)

    assert [m["text"] for m in suggestions(slack, card["ts"])] == [
        "Create ticket: The VPN, it drops every 10 min"
    ]
    assert replies_calls(slack) == []  # the app started that thread: there was nothing earlier to read

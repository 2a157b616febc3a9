"""AI spin-off suggestions in linked threads: one per separate issue, none for follow-ups, never twice."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

from scenario_harness import CHANNEL, DEMO, NEWBIE, Slack, action_ids, blocks_text
from scenario_spinoff_kit import OUTLOOK_TICKET, deliver, link_thread, reply, say, suggestions

from bot.ids import DetailAction, SuggestionAction
from bot.local import payloads as p
from bot.views.suggestion import read_suggestion_value
from storage import SuggestionState
from storage.repositories import suggestions as suggestion_repo


async def linked_outlook_thread(slack: Slack) -> dict[str, Any]:
    """#support: a report about Marcus's Outlook, its thread linked to the Outlook ticket."""
    parent = say(slack, "Marcus says Outlook stopped syncing this morning", user=NEWBIE)
    await link_thread(slack, parent, str(OUTLOOK_TICKET))
    await reply(slack, parent["ts"], "On it - can you have him restart Outlook in safe mode?")
    return parent


async def test_a_clearly_separate_issue_gets_one_suggestion_in_the_thread(slack: Slack) -> None:
    parent = await linked_outlook_thread(slack)

    await reply(slack, parent["ts"], "Also, the printer on the 2nd floor is offline", user=NEWBIE)

    [suggestion] = suggestions(slack, parent["ts"])
    assert suggestion["text"] == "Create ticket: The printer on the 2nd floor is offline"
    assert action_ids(suggestion) == [SuggestionAction.CREATE, SuggestionAction.DISMISS]
    create = suggestion["blocks"][1]["elements"][0]
    assert create["style"] == "primary"
    assert create["text"]["text"] == "Create ticket: The printer on the 2nd floor is offline"
    suggestion_id, description = read_suggestion_value(create["value"])
    assert description == "The printer on the 2nd floor is offline"
    stored = await slack.store.read(partial(suggestion_repo.get_suggestion, suggestion_id=suggestion_id))
    assert stored is not None
    assert (stored.state, stored.message_ts, stored.thread_ts) == (
        SuggestionState.OPEN,
        suggestion["ts"],
        parent["ts"],
    )


async def test_follow_ups_thanks_and_tangential_mentions_get_no_suggestion(slack: Slack) -> None:
    parent = await linked_outlook_thread(slack)
    conversation = [
        (NEWBIE, "Did that, still stuck on 'Updating inbox'"),
        (DEMO, "OK, I'll rebuild his OST file"),
        (NEWBIE, "It's also not syncing on his phone"),
        (NEWBIE, "Also the mailbox is almost full, could that be it?"),
        (
            DEMO,
            "Could be related to the new firewall? Sarah also mentioned the VPN was slow yesterday "
            "but it's fine now",
        ),
        (NEWBIE, "btw the printer was acting up yesterday too, not sure if related"),
        (NEWBIE, "fyi the printer is also offline, but facilities is already handling that"),
        (NEWBIE, "Also, any update on this?"),
        (NEWBIE, "Thanks, that fixed it! Also thanks for the quick response"),
    ]
    for user, text in conversation:
        await reply(slack, parent["ts"], text, user=user)

    assert suggestions(slack, parent["ts"]) == []
    # …while a clearly separate issue in the same conversation is still noticed.
    await reply(slack, parent["ts"], "Separate issue: the conference room TV won't turn on", user=NEWBIE)
    assert [m["text"] for m in suggestions(slack, parent["ts"])] == [
        "Create ticket: The conference room TV won't turn on"
    ]


async def test_messages_outside_linked_threads_are_ignored(slack: Slack) -> None:
    unlinked = say(slack, "Outlook not syncing for Priya")
    await reply(slack, unlinked["ts"], "Also, the printer on the 2nd floor is offline")
    top_level = say(slack, "Also, the printer on the 2nd floor is offline")
    await deliver(slack, top_level)
    parent = await linked_outlook_thread(slack)
    edited = p.message_event(
        CHANNEL, user=DEMO, text="Also the VPN drops every 10 min", thread_ts=parent["ts"]
    )
    edited["subtype"] = "message_changed"
    await slack.event(edited)
    from_bot = p.message_event(CHANNEL, user="U0OTHERBOT", text="Also the VPN drops", thread_ts=parent["ts"])
    from_bot["bot_id"] = "B0OTHER"
    await slack.event(from_bot)

    assert suggestions(slack, unlinked["ts"]) == suggestions(slack, parent["ts"]) == []
    assert len(slack.fake.calls_to("chat.postMessage")) == 1  # only the link confirmation


async def test_a_second_separate_issue_while_one_is_open_posts_nothing_more(slack: Slack) -> None:
    parent = await linked_outlook_thread(slack)
    await reply(slack, parent["ts"], "Also, the printer on the 2nd floor is offline")

    await reply(slack, parent["ts"], "Oh and the VPN drops every 10 minutes for the whole sales team")

    assert [m["text"] for m in suggestions(slack, parent["ts"])] == [
        "Create ticket: The printer on the 2nd floor is offline"
    ]


async def test_slack_retries_and_duplicate_deliveries_never_double_post(slack: Slack) -> None:
    parent = await linked_outlook_thread(slack)
    message = say(slack, "Also, the printer on the 2nd floor is offline", user=NEWBIE, thread_ts=parent["ts"])

    await asyncio.gather(
        deliver(slack, message, event_id="Ev0PRINTER"), deliver(slack, message, event_id="Ev0PRINTER")
    )
    [suggestion] = suggestions(slack, parent["ts"])
    # Dismissed, the thread could take a new suggestion — but a retry of the same event is not new.
    await slack.click(
        SuggestionAction.DISMISS, suggestion["blocks"][1]["elements"][1]["value"], message=suggestion
    )
    await deliver(slack, message, event_id="Ev0PRINTER", retry_num=1)
    await deliver(slack, message, event_id="Ev0PRINTER", retry_num=2)

    assert suggestions(slack, parent["ts"]) == []
    assert len(slack.fake.calls_to("chat.postMessage")) == 2  # the link confirmation and one suggestion


async def test_dismiss_mutes_the_suggestion_and_frees_the_thread(slack: Slack) -> None:
    parent = await linked_outlook_thread(slack)
    await reply(slack, parent["ts"], "Also, the printer on the 2nd floor is offline")
    [suggestion] = suggestions(slack, parent["ts"])
    suggestion_id = suggestion["blocks"][1]["elements"][1]["value"]

    await slack.click(SuggestionAction.DISMISS, suggestion_id, message=suggestion, user=NEWBIE)

    shown = next(m for m in slack.fake.messages(CHANNEL) if m["ts"] == suggestion["ts"])
    assert blocks_text(shown).endswith(f"Ticket suggestion dismissed by <@{NEWBIE}>.")
    assert action_ids(shown) == []
    stored = await slack.store.read(partial(suggestion_repo.get_suggestion, suggestion_id=suggestion_id))
    assert stored is not None and stored.state == SuggestionState.DISMISSED
    # A later, different issue gets its own suggestion.
    await reply(slack, parent["ts"], "By the way, the shared drive is full and nobody can save files")
    assert [m["text"] for m in suggestions(slack, parent["ts"])] == [
        "Create ticket: The shared drive is full and nobody can save files"
    ]


async def test_a_suggestion_that_cannot_be_posted_does_not_block_the_thread(slack: Slack) -> None:
    parent = await linked_outlook_thread(slack)
    slack.fake.inject_error("chat.postMessage", "ratelimited")
    await reply(slack, parent["ts"], "Also, the printer on the 2nd floor is offline")
    assert suggestions(slack, parent["ts"]) == []

    await reply(slack, parent["ts"], "Oh and the VPN drops every 10 minutes for the whole sales team")

    assert [m["text"] for m in suggestions(slack, parent["ts"])] == [
        "Create ticket: The VPN drops every 10 minutes for the whole sales team"
    ]


async def test_a_shared_ticket_cards_thread_gets_suggestions_too(slack: Slack) -> None:
    await slack.command(str(OUTLOOK_TICKET))
    await slack.click(DetailAction.SHARE, view=slack.modal())
    [card] = [m for m in slack.fake.messages(CHANNEL) if m.get("bot_id")]
    await reply(slack, card["ts"], "Restarted Outlook in safe mode, still not syncing", user=NEWBIE)
    assert suggestions(slack, card["ts"]) == []

    await reply(slack, card["ts"], "btw can you also look at the VPN, it drops every 10 min", user=NEWBIE)

    assert [m["text"] for m in suggestions(slack, card["ts"])] == [
        "Create ticket: The VPN, it drops every 10 min"
    ]

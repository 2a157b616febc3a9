"""Spin-off tickets: the "Create spin-off ticket" shortcut and a suggestion's Create button open Quick Create
with the text in the prompt, company and board only from the thread's linked ticket."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

from scenario_harness import CHANNEL, NEWBIE, Slack, action_ids, find_block
from scenario_spinoff_kit import (
    OUTLOOK_TICKET,
    link_thread,
    reply,
    say,
    seed_ticket,
    shortcut,
    suggestions,
)
from waiting import wait_until

from bot.ids import Callback, CreateAction, CreateBlock, MessageAction, Shortcut, SuggestionAction
from bot.views.create_modal import PROMPT_MAX
from bot.views.suggestion import read_suggestion_value
from storage import SuggestionState
from storage.repositories import suggestions as suggestion_repo


def prompt_of(modal: dict[str, Any]) -> str | None:
    """What the Quick Create prompt input starts with."""
    block = find_block(modal, CreateBlock.PROMPT)
    assert block is not None, "the modal has no prompt input"
    return block["element"].get("initial_value")


def active_tab(modal: dict[str, Any]) -> str:
    """Which tab button is highlighted."""
    tabs = find_block(modal, CreateBlock.TABS)
    assert tabs is not None
    return next(e["value"] for e in tabs["elements"] if e.get("style") == "primary")


def selected(modal: dict[str, Any], prefix: CreateBlock) -> str | None:
    """The value a form select starts with (None when empty or not shown)."""
    for block in modal.get("blocks") or []:
        if str(block.get("block_id", "")).startswith(f"{prefix}."):
            option = block["element"].get("initial_option")
            return option["value"] if option else None
    return None


def summary_of(modal: dict[str, Any]) -> str | None:
    """The summary input's initial value (None when empty or not shown)."""
    for block in modal.get("blocks") or []:
        if str(block.get("block_id", "")).startswith(f"{CreateBlock.SUMMARY}."):
            return block["element"].get("initial_value")
    return None


async def test_spinoff_from_an_unlinked_message_puts_the_text_in_the_prompt_only(slack: Slack) -> None:
    message = say(slack, "The label printer in shipping keeps printing blank labels", user=NEWBIE)

    await shortcut(slack, Shortcut.CREATE_SPINOFF, message)

    modal = slack.modal()
    assert modal["callback_id"] == Callback.CREATE
    assert active_tab(modal) == "quick"
    assert prompt_of(modal) == "The label printer in shipping keeps printing blank labels"
    assert summary_of(modal) is None
    assert selected(modal, CreateBlock.COMPANY) is None and selected(modal, CreateBlock.BOARD) is None


async def test_spinoff_turns_slack_markup_into_plain_text(slack: Slack) -> None:
    text = (
        "<@U0NEWBIE|mchen> says the &lt;Finance&gt; share &amp; the "
        "<https://intranet.example.com/wiki|wiki page> are down, "
        "see <#C0SUPPORT|support>, cc <@U0DEMO> <!here>"
    )
    message = say(slack, text)

    await shortcut(slack, Shortcut.CREATE_SPINOFF, message)

    assert prompt_of(slack.modal()) == (
        "@mchen says the <Finance> share & the wiki page (https://intranet.example.com/wiki) are down, "
        "see #support, cc @Jane @here"
    )


async def test_a_very_long_message_is_trimmed_to_what_the_prompt_accepts(slack: Slack) -> None:
    message = say(slack, "Server room is warm. " * 400)

    await shortcut(slack, Shortcut.CREATE_SPINOFF, message)

    prompt = prompt_of(slack.modal())
    assert prompt is not None and len(prompt) == PROMPT_MAX and prompt.endswith("…")


async def test_spinoff_in_a_linked_thread_starts_with_the_tickets_company_and_board(slack: Slack) -> None:
    parent = say(slack, "Marcus says Outlook stopped syncing this morning", user=NEWBIE)
    await link_thread(slack, parent, str(OUTLOOK_TICKET))
    in_thread = say(
        slack, "Also his docking station doesn't charge the laptop", user=NEWBIE, thread_ts=parent["ts"]
    )
    # A slow PSA must not cost the 3 s trigger: the modal opens while ConnectWise answers nothing.
    with slack.sandbox.holding():
        opening = asyncio.create_task(shortcut(slack, Shortcut.CREATE_SPINOFF, in_thread))
        await wait_until(lambda: slack.fake.calls_to("views.open"), within=60, what="the modal")
    await opening

    modal = slack.modal()
    ticket = seed_ticket(slack.sandbox, OUTLOOK_TICKET)
    assert active_tab(modal) == "quick"
    assert prompt_of(modal) == "Also his docking station doesn't charge the laptop"
    assert selected(modal, CreateBlock.COMPANY) == str(ticket["company"]["id"])
    assert selected(modal, CreateBlock.BOARD) == str(ticket["board"]["id"])
    assert summary_of(modal) is None


async def test_the_suggestions_create_button_opens_quick_create_and_leaves_the_suggestion(
    slack: Slack,
) -> None:
    parent = say(slack, "Marcus says Outlook stopped syncing this morning", user=NEWBIE)
    await link_thread(slack, parent, str(OUTLOOK_TICKET))
    await reply(slack, parent["ts"], "Also, the printer on the 2nd floor is offline", user=NEWBIE)
    [suggestion] = suggestions(slack, parent["ts"])
    create = suggestion["blocks"][1]["elements"][0]

    await slack.click(SuggestionAction.CREATE, create["value"], message=suggestion)

    modal = slack.modal()
    ticket = seed_ticket(slack.sandbox, OUTLOOK_TICKET)
    assert active_tab(modal) == "quick"
    assert prompt_of(modal) == "The printer on the 2nd floor is offline"
    assert summary_of(modal) is None
    assert selected(modal, CreateBlock.COMPANY) == str(ticket["company"]["id"])
    # Opening (and then closing) the modal leaves the suggestion where it was.
    slack.fake.close_view(modal["id"])
    assert suggestions(slack, parent["ts"]) == [suggestion]
    stored = await slack.store.read(
        partial(suggestion_repo.get_suggestion, suggestion_id=read_suggestion_value(create["value"])[0])
    )
    assert stored is not None and stored.state == SuggestionState.OPEN


async def test_suggestion_to_created_ticket_replaces_the_suggestion_with_the_success_line(
    slack: Slack,
) -> None:
    parent = say(slack, "Marcus says Outlook stopped syncing this morning", user=NEWBIE)
    await link_thread(slack, parent, str(OUTLOOK_TICKET))
    await reply(slack, parent["ts"], "Also, the printer on the 2nd floor is offline", user=NEWBIE)
    [suggestion] = suggestions(slack, parent["ts"])
    suggestion_id = read_suggestion_value(suggestion["blocks"][1]["elements"][0]["value"])[0]
    await slack.click(
        SuggestionAction.CREATE, suggestion["blocks"][1]["elements"][0]["value"], message=suggestion
    )
    await slack.click(CreateAction.PARSE, view=slack.modal())

    await slack.submit(slack.modal())

    stored = await slack.store.read(partial(suggestion_repo.get_suggestion, suggestion_id=suggestion_id))
    assert stored is not None and stored.state == SuggestionState.CREATED and stored.ticket_id is not None
    created = seed_ticket(slack.sandbox, stored.ticket_id)
    linked = seed_ticket(slack.sandbox, OUTLOOK_TICKET)
    assert created["summary"] == "The printer on the 2nd floor is offline"
    assert (created["company"]["id"], created["board"]["id"]) == (
        linked["company"]["id"],
        linked["board"]["id"],
    )
    shown = next(m for m in slack.fake.messages(CHANNEL) if m["ts"] == suggestion["ts"])
    assert shown["text"] == f"Ticket #{stored.ticket_id} created in ConnectWise"
    assert action_ids(shown) == [MessageAction.OPEN_TICKET]
    assert suggestions(slack, parent["ts"]) == []
    posts = [
        r for r in slack.sandbox.requests if r.method == "POST" and r.path.rstrip("/") == "/service/tickets"
    ]
    assert len(posts) == 1  # (the description follows as the engineer's own note)

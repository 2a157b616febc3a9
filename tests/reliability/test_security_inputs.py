"""Every typed text has a limit the server checks too (a forged request is not bound by the modal's
max_length): over it, the user is told which field and by how much, and nothing reaches ConnectWise.
Nothing is shortened without saying so."""

from __future__ import annotations

from typing import Any

from create_driver import submit, values_for
from scenario_harness import ADMIN, CHANNEL, Slack, blocks_text
from scenario_spinoff_kit import say, shortcut

from bot import inputs
from bot.ids import (
    ConnectField,
    CreateAction,
    CreateBlock,
    DetailAction,
    LinkThreadField,
    ListAction,
    SearchModal,
    Shortcut,
    note_block_id,
)
from bot.state import ListState, Origin, TicketDraft
from bot.views.connect import connect_modal
from bot.views.create_modal import create_modal
from bot.views.link_thread import link_thread_modal
from bot.views.ticket_list import search_modal


def posts(slack: Slack, path_end: str) -> int:
    return sum(1 for r in slack.sandbox.requests if r.method == "POST" and r.path.endswith(path_end))


async def test_a_forged_100000_character_note_is_refused_naming_the_note(slack: Slack) -> None:
    await slack.command("1649")
    detail = slack.modal()
    slack.type_into(detail, {note_block_id(0): {DetailAction.NOTE_TEXT: "x" * 100_000}})

    await slack.click(DetailAction.ADD_NOTE, view=detail)

    shown = blocks_text(slack.modal())
    assert "The note is 100,000 characters long; it can be at most 3,000" in shown
    assert posts(slack, "/notes") == 0


async def test_a_note_at_the_limit_is_added(slack: Slack) -> None:
    await slack.command("1649")
    detail = slack.modal()
    slack.type_into(detail, {note_block_id(0): {DetailAction.NOTE_TEXT: "y" * inputs.NOTE.max_chars}})

    await slack.click(DetailAction.ADD_NOTE, view=detail)

    assert posts(slack, "/notes") == 1


async def _full_form(slack: Slack) -> dict[str, Any]:
    await slack.command("new")
    await slack.click(CreateAction.BOARD, "1", view=slack.modal())
    return slack.modal()


async def test_a_forged_summary_and_description_are_refused_next_to_their_fields(slack: Slack) -> None:
    form = await _full_form(slack)
    values = values_for(
        form,
        summary="s" * 500,
        description="d" * 20_000,
        company=("Acme Corp", "42"),
        board="1",
        priority="3",
    )

    sent = await submit(slack, form, values=values)

    errors = " ".join(sent.body["errors"].values())
    assert "The summary is 500 characters long; it can be at most 100" in errors
    assert "The description is 20,000 characters long; it can be at most 3,000" in errors
    assert posts(slack, "service/tickets") == 0


async def test_a_forged_prompt_is_refused_before_any_parse(slack: Slack) -> None:
    await slack.command("new")
    await slack.click(CreateAction.TAB_QUICK, "quick", view=slack.modal())
    modal = slack.modal()
    slack.type_into(modal, {CreateBlock.PROMPT: {CreateAction.PROMPT: "printer jam " * 1000}})
    slack.sandbox.clear_requests()

    await slack.click(CreateAction.PARSE, view=modal)

    assert "The Quick Create description is 12,000 characters long" in blocks_text(slack.modal())
    assert slack.sandbox.requests == []


async def test_a_long_tickets_new_text_opens_with_a_notice_of_what_was_left_out(slack: Slack) -> None:
    text = "Acme printer jammed again. " * 120  # 3,240 characters

    await slack.command(f"new {text}")

    modal = slack.modal()
    assert "The text was 3,239 characters long and the Quick Create description holds 2,000" in blocks_text(
        modal
    )


async def test_a_spin_off_from_a_long_message_says_it_was_shortened(slack: Slack) -> None:
    message = say(slack, "The VPN drops every few minutes. " * 200)

    await shortcut(slack, Shortcut.CREATE_SPINOFF, message)

    assert "only its beginning is below" in blocks_text(slack.modal())


async def test_a_typed_search_over_the_limit_is_refused_naming_the_search_text(slack: Slack) -> None:
    await slack.command("search " + "printer " * 50)

    assert "The search text is 399 characters long; it can be at most 200" in blocks_text(
        slack.last_ephemeral()
    )
    assert slack.sandbox.requests == []


async def test_the_search_modal_refuses_a_forged_long_search(slack: Slack) -> None:
    await slack.command("mine")
    await slack.click(ListAction.SEARCH, message=slack.last_ephemeral())
    modal = slack.modal()

    sent = await slack.submit(modal, values={SearchModal.BLOCK: {SearchModal.ACTION: "q" * 1000}})

    assert sent.body["response_action"] == "errors"
    assert "search text is 1,000 characters" in sent.body["errors"][SearchModal.BLOCK]


async def test_connect_fields_over_their_limits_are_refused(slack: Slack) -> None:
    await slack.command("connect", user=ADMIN)
    typed = {
        ConnectField.SITE_URL: "na.myconnectwise.net/" + "a" * 5000,
        ConnectField.COMPANY_ID: "c" * 101,
        ConnectField.PUBLIC_KEY: "pub",
        ConnectField.PRIVATE_KEY: "p" * 300,
        ConnectField.CLIENT_ID: "client",
    }

    sent = await slack.submit(slack.modal(ADMIN), user=ADMIN, values={k: {k: v} for k, v in typed.items()})

    errors = sent.body["errors"]
    assert "site URL is 5,021 characters" in errors[ConnectField.SITE_URL]
    assert "company ID is 101 characters" in errors[ConnectField.COMPANY_ID]
    assert "private key is 300 characters" in errors[ConnectField.PRIVATE_KEY]
    assert "p" * 50 not in str(sent.body)  # the key itself is never echoed
    assert slack.sandbox.requests == []


async def test_a_forged_ticket_number_of_a_thousand_digits_is_refused(slack: Slack) -> None:
    message = say(slack, "Printer is down")
    await shortcut(slack, Shortcut.LINK_THREAD, message)

    sent = await slack.submit(
        slack.modal(), values={LinkThreadField.TICKET: {LinkThreadField.TICKET: "9" * 1000}}
    )

    assert "ticket number is 1,000 characters" in sent.body["errors"][LinkThreadField.TICKET]
    assert slack.sandbox.requests == []


def test_every_text_input_of_the_modals_takes_its_limit_from_the_one_module() -> None:

    known = {limit.max_chars for limit in vars(inputs).values() if isinstance(limit, inputs.TextLimit)}
    draft = TicketDraft.start(tab="quick", prompt="x", origin=None)
    views = [
        connect_modal(),
        create_modal(draft, boards=[], statuses=[], priorities=[], members=[]),
        search_modal(ListState.mine(), list_id="L0", response_url=None),
        link_thread_modal(_origin()),
    ]
    inputs_seen = [
        block["element"]
        for view in views
        for block in view["blocks"]
        if block.get("type") == "input" and block["element"]["type"] == "plain_text_input"
    ]

    assert inputs_seen and all(e.get("max_length") in known for e in inputs_seen), inputs_seen


def _origin() -> Origin:
    return Origin(channel_id=CHANNEL, thread_ts="1.2")

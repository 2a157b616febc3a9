"""Mapping, connect, link-thread, suggestion, options and the small messages."""

from __future__ import annotations

from typing import Any

import pytest
from fuzz_budget import examples
from hypothesis import given, settings
from views_testkit import (
    MEMBERS,
    all_text,
    assert_no_live_mentions,
    find_block,
    hostile_text,
    make_ticket,
    slack_submit,
)

from bot.grammar import parse
from bot.ids import (
    ConnectField,
    LinkThreadField,
    MappingAction,
    MappingBlock,
    MessageAction,
    SuggestionAction,
)
from bot.state import Origin, StateError
from bot.views.connect import ConnectForm, ConnectionSummary, connect_errors, connect_modal, read_connect_form
from bot.views.limits import validate_message, validate_modal
from bot.views.link_thread import link_thread_errors, link_thread_modal, read_link_thread
from bot.views.mapping import mapping_modal, read_mapping
from bot.views.messages import (
    error_message,
    help_message,
    invalid_command_message,
    not_connected_message,
    notice_message,
    psa_unavailable_message,
    share_card,
    status_changed_message,
    ticket_created_message,
)
from bot.views.options import company_options, member_options
from bot.views.prompts import psa_error_message
from bot.views.suggestion import (
    read_suggestion_value,
    suggestion_blocks,
    suggestion_created_blocks,
    suggestion_dismissed_blocks,
)
from psa.errors import PSAError
from psa.models import Company, Member, PSATicketCreated, PSATicketStatusUpdate

STORED = ConnectionSummary(
    site_url="https://na.myconnectwise.net", company_id="acme", public_key="pubKEY", client_id="cid-1"
)


# ---------------------------------------------------------------- mapping


def test_mapping_modal_for_a_member_suggests_by_email_and_has_no_user_picker() -> None:
    view = mapping_modal(suggested=MEMBERS[0])
    validate_modal(view)
    assert "Suggested from your e-mail: *Jordan Doe*" in all_text(view)
    member = find_block(view, MappingBlock.MEMBER)["element"]
    assert member["type"] == "external_select" and member["initial_option"]["value"] == "101"
    assert not any(b.get("block_id") == MappingBlock.SLACK_USER for b in view["blocks"])


def test_mapping_modal_for_an_admin_can_pick_a_slack_user_and_unmap() -> None:
    view = mapping_modal(current=MEMBERS[1], is_admin=True, target_user_id="U42")
    validate_modal(view)
    assert find_block(view, MappingBlock.SLACK_USER)["element"]["initial_user"] == "U42"
    current = find_block(view, MappingBlock.CURRENT)
    assert current["accessory"]["action_id"] == MappingAction.UNMAP and current["accessory"]["value"] == "102"
    form = read_mapping(
        slack_submit(
            view,
            {
                MappingAction.MEMBER: {
                    "text": {"type": "plain_text", "text": "★ Casey Zed (@casey)"},
                    "value": "104",
                },
                MappingAction.SLACK_USER: "U77",
            },
        )
    )
    assert (form.member_id, form.slack_user_id) == (104, "U77")
    assert form.member_name == "Casey Zed (@casey)"


# ---------------------------------------------------------------- connect


def test_connect_modal_never_shows_the_stored_private_key() -> None:
    view = connect_modal(current=STORED)
    validate_modal(view)
    key = find_block(view, ConnectField.PRIVATE_KEY)
    assert "initial_value" not in key["element"]
    assert key["optional"] is True
    assert key["hint"]["text"] == "•••• stored — leave empty to keep the stored key"
    assert find_block(view, ConnectField.PUBLIC_KEY)["element"]["initial_value"] == "pubKEY"


def test_connect_modal_redisplay_keeps_typed_fields_but_not_the_key() -> None:
    typed = ConnectForm(site_url="https://x.example", company_id="c", public_key="p", client_id="id")
    view = connect_modal(
        values=typed, errors={"site_url": "Couldn't reach that site."}, error="Check the fields"
    )
    validate_modal(view)
    assert find_block(view, ConnectField.SITE_URL)["element"]["initial_value"] == "https://x.example"
    assert find_block(view, ConnectField.PRIVATE_KEY)["optional"] is False
    assert "⚠️ Couldn't reach that site." in all_text(view)
    assert connect_errors({"private_key": "Wrong key.", "nope": "x"}) == {
        ConnectField.PRIVATE_KEY: "Wrong key."
    }


def test_read_connect_form_trims_and_treats_an_empty_key_as_keep() -> None:
    view = slack_submit(
        connect_modal(current=STORED),
        {ConnectField.SITE_URL: "  https://na.myconnectwise.net ", ConnectField.PRIVATE_KEY: ""},
    )
    form = read_connect_form(view)
    assert form.site_url == "https://na.myconnectwise.net"
    assert form.private_key is None
    secret = read_connect_form(slack_submit(connect_modal(), {ConnectField.PRIVATE_KEY: "s3cret"}))
    assert secret.private_key is not None and secret.private_key.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(secret)


# ---------------------------------------------------------------- link thread


@pytest.mark.parametrize(
    ("typed", "ticket_id", "error"),
    [
        ("1042", 1042, None),
        ("#1042", 1042, None),
        (" # 77 ", 77, None),
        ("abc", None, "Type a ticket number, like 1042."),
        ("0", None, "That is not a valid ticket number."),
        ("", None, "Type a ticket number, like 1042."),
    ],
)
def test_link_thread_reads_the_ticket_number(typed: str, ticket_id: int | None, error: str | None) -> None:
    origin = Origin(channel_id="C1", thread_ts="1700000000.000100")
    view = link_thread_modal(origin, current_ticket_id=5)
    validate_modal(view)
    form = read_link_thread(slack_submit(view, {LinkThreadField.TICKET: typed}))
    assert form.origin == origin
    assert (form.ticket_id, form.error) == (ticket_id, error)
    if error:
        assert link_thread_errors(form) == {LinkThreadField.TICKET: error}


def test_link_thread_rejects_foreign_metadata() -> None:
    with pytest.raises(StateError):
        read_link_thread({"private_metadata": "nope", "state": {"values": {}}})


# ---------------------------------------------------------------- suggestion


def test_suggestion_offers_create_and_dismiss() -> None:
    message = suggestion_blocks("Printer offline on 2nd floor", "sug-1")
    validate_message(message)
    buttons = {e["action_id"]: e for e in message["blocks"][1]["elements"]}
    create = buttons[SuggestionAction.CREATE]
    assert create["text"]["text"] == "Create ticket: Printer offline on 2nd floor"
    assert create["style"] == "primary"
    assert read_suggestion_value(create["value"]) == ("sug-1", "Printer offline on 2nd floor")
    assert buttons[SuggestionAction.DISMISS]["value"] == "sug-1"
    with pytest.raises(StateError):
        read_suggestion_value("junk")


def test_a_suggestion_judged_without_some_earlier_messages_says_how_many() -> None:
    message = suggestion_blocks("Printer offline on 2nd floor", "sug-1", left_out=3, earlier=40)
    validate_message(message)
    assert "The oldest 3 of 40 earlier messages of this thread were left out of the context." in all_text(
        message
    )
    assert "left out" not in all_text(suggestion_blocks("Printer offline on 2nd floor", "sug-1"))


def test_suggestion_replacement_after_creation() -> None:
    message = suggestion_created_blocks(1042, "https://cw.example/t?id=1042&x=1")
    validate_message(message)
    assert message["text"] == "Ticket #1042 created in ConnectWise"
    assert "<https://cw.example/t?id=1042&amp;x=1|Ticket #1042> created in ConnectWise" in all_text(message)
    validate_message(suggestion_dismissed_blocks("U1"))


@settings(max_examples=examples(40), deadline=None)
@given(hostile_text)
def test_any_suggestion_fits(description: str) -> None:
    message = suggestion_blocks(description * 300 or "x", "s" * 64)
    validate_message(message)
    assert_no_live_mentions(message)
    create = message["blocks"][1]["elements"][0]
    assert (description * 300 or "x").startswith(read_suggestion_value(create["value"])[1])


# ---------------------------------------------------------------- messages


def test_error_messages_say_what_to_do() -> None:
    message = psa_unavailable_message()
    validate_message(message)
    assert message["text"] == "ConnectWise is not answering; nothing was changed. Try again in a minute."
    member = not_connected_message(is_admin=False)
    assert "Ask a workspace admin to run `/tickets connect`." in all_text(member)
    assert "Run `/tickets connect`" in all_text(not_connected_message(is_admin=True))
    escaped = error_message("Company <!here> & co not found", "Check the name.")
    assert "Company &lt;!here&gt; &amp; co not found" in all_text(escaped)


@pytest.mark.parametrize("blank", ["", " ", "\n\t "])
def test_a_blank_error_or_notice_still_says_something(blank: str) -> None:
    for message in (
        error_message(blank, blank),
        notice_message(blank),
        help_message(error=blank),
        psa_error_message(PSAError(blank)),
    ):
        validate_message(message)
        assert message["text"].strip()
    assert error_message(blank)["text"] == "Something went wrong."
    assert help_message(error=blank) == help_message()


def test_status_change_and_created_confirmations() -> None:
    changed = status_changed_message(
        PSATicketStatusUpdate(ticket_id=1042, previous_status="New", new_status="In Progress")
    )
    validate_message(changed)
    assert "Status: New → In Progress" in all_text(changed)
    created = ticket_created_message(
        PSATicketCreated(
            id=1042,
            summary="Printer",
            board_name="Help Desk",
            status_name="New",
            priority_name="High",
            company_name="Acme",
            url="https://cw.example/1042",
        )
    )
    validate_message(created)
    assert created["text"] == "Ticket #1042 created in ConnectWise"
    assert "<https://cw.example/1042|Ticket #1042> created in ConnectWise" in all_text(created)
    assert created["blocks"][0]["accessory"]["action_id"] == MessageAction.OPEN_TICKET


def test_help_and_invalid_command_messages() -> None:
    help_msg = help_message()
    validate_message(help_msg)
    assert "/tickets search TEXT" in all_text(help_msg)
    bad = invalid_command_message(parse("search statsu:New"))  # type: ignore[arg-type]
    validate_message(bad)
    assert all_text(bad).startswith("⚠️ Unknown filter “statsu:”.")


def test_share_card() -> None:
    card = share_card(
        make_ticket(1042, summary="VPN <!channel>"), url="https://cw.example/1042", shared_by="U777"
    )
    validate_message(card)
    assert card["blocks"][0]["text"]["text"] == "#1042 · VPN <!channel>"  # plain text header: shown literally
    assert_no_live_mentions(card)
    buttons = {e["action_id"]: e for e in card["blocks"][2]["elements"]}
    assert buttons[MessageAction.OPEN_TICKET]["value"] == "1042"
    assert buttons[MessageAction.OPEN_IN_PSA]["url"] == "https://cw.example/1042"
    assert "Shared by <@U777>" in all_text(card)


# ---------------------------------------------------------------- external select options


def test_member_options_put_slack_users_first_and_filter() -> None:
    options = member_options(MEMBERS, slack_names={104: "casey"})
    assert [o["text"]["text"] for o in options] == ["★ Casey Zed (@casey)", "Alex Smith", "Jordan Doe"]
    assert [o["value"] for o in member_options(MEMBERS, query="smi")] == ["102"]
    assert [o["value"] for o in member_options(MEMBERS, slack_names={104: "casey"}, query="CASEY")] == ["104"]
    many = [Member(id=i, identifier=f"m{i}", name="M" * 200) for i in range(300)]
    assert len(member_options(many)) == 100


def test_company_options() -> None:
    companies = [
        Company(id=1, name="Acme"),
        Company(id=1, name="Acme"),
        Company(id=2, identifier="glob", name=""),
    ]
    options: list[dict[str, Any]] = company_options(companies, include_any=True)
    assert [(o["text"]["text"], o["value"]) for o in options] == [
        ("Any company", "any"),
        ("Acme", "1"),
        ("glob", "2"),
    ]

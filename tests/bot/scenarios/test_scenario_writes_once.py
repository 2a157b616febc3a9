"""Every write from the detail modal, the list and the thread shortcut lands once: a double click, a
replayed signed request (re-signed, so the replay guard lets it through) → one effect, one outcome;
the same note typed twice on purpose → two notes; Done saves a typed note before the modal closes."""

from __future__ import annotations

import asyncio
import time
from functools import partial
from typing import Any

import pytest
from scenario_harness import CHANNEL, DEMO, DEMO_MEMBER_ID, Slack, blocks_text, find_block
from scenario_spinoff_kit import OUTLOOK_TICKET, bot_replies, say, shortcut
from test_scenario_detail import TICKET, open_entries, open_ticket

from bot.flows import detail_done
from bot.ids import (
    Callback,
    DetailAction,
    DetailBlock,
    LinkThreadField,
    ListAction,
    Shortcut,
    assignee_block_id,
    note_block_id,
    note_internal_block_id,
)
from bot.local import payloads as p
from storage import AuditAction
from storage.repositories import audit as audit_repo
from storage.repositories import thread_links as thread_link_repo

NOTE = "Swapped the PSU; server back up"


def notes_saying(slack: Slack, text: str, ticket_id: int = TICKET) -> list[dict[str, Any]]:
    rows = slack.sandbox.state.store.tables["notes"].values()
    return [n for n in rows if n["ticketId"] == ticket_id and n["text"] == text]


async def audited(slack: Slack, action: AuditAction, ticket_id: int = TICKET) -> list[Any]:
    events = await slack.store.read(partial(audit_repo.list_events, ticket_id=ticket_id))
    return [e for e in events if e.action == action]


def click_body(slack: Slack, action_id: str, value: Any = None, **kwargs: Any) -> tuple[str, str]:
    """One signed-request body of a click on the modal as it is now (sent as often as a test likes)."""
    view = slack.fake.view(kwargs.pop("view")["id"])
    assert view is not None
    return p.block_actions(
        action_id, value, user=DEMO, view=view, trigger_id=slack.fake.new_trigger_id(DEMO), **kwargs
    )


async def replay(slack: Slack, body: tuple[str, str]) -> None:
    """Slack's delivery, then a copy of it re-signed a minute and a half earlier (inside the 5 minutes)."""
    await slack.sender.send(*body)
    await slack.settle()
    await slack.sender.send(*body, timestamp=int(time.time()) - 90)
    await slack.settle()


async def double_click(slack: Slack, body: tuple[str, str]) -> None:
    """Two deliveries of the same click at once (signed a second apart, as two clicks would be)."""
    now = int(time.time())
    await asyncio.gather(slack.sender.send(*body, timestamp=now), slack.sender.send(*body, timestamp=now - 1))
    await slack.settle()


def type_note(slack: Slack, view: dict[str, Any], text: str, *, rev: int = 0, internal: bool = True) -> None:
    slack.type_into(
        view,
        {
            note_block_id(rev): {DetailAction.NOTE_TEXT: text},
            note_internal_block_id(rev): {DetailAction.NOTE_INTERNAL: ["internal"] if internal else []},
        },
    )


def notice(slack: Slack) -> str:
    return blocks_text({"blocks": [find_block(slack.modal(DEMO), DetailBlock.NOTICE) or {}]})


@pytest.mark.parametrize("deliver", [replay, double_click])
async def test_add_note_delivered_twice_adds_one_note_and_one_audit_row(slack: Slack, deliver: Any) -> None:
    view = await open_ticket(slack)
    type_note(slack, view, NOTE)

    await deliver(slack, click_body(slack, DetailAction.ADD_NOTE, view=view))

    assert len(notes_saying(slack, NOTE)) == 1
    rows = await audited(slack, AuditAction.NOTE)
    assert len(rows) == 1
    row = rows[0]
    assert (row.slack_user_id, row.psa_member_id, row.attribution) == (DEMO, DEMO_MEMBER_ID, "named")
    assert rows[0].ledger_key is not None and rows[0].ledger_key.startswith("note:")
    assert "Internal note added" in notice(slack)


async def test_the_same_note_typed_twice_on_purpose_is_two_notes(slack: Slack) -> None:
    view = await open_ticket(slack)
    type_note(slack, view, NOTE)
    await slack.click(DetailAction.ADD_NOTE, view=view)
    type_note(slack, view, NOTE, rev=1)  # the composer the saved note left behind

    await slack.click(DetailAction.ADD_NOTE, view=view)

    assert len(notes_saying(slack, NOTE)) == 2
    assert len(await audited(slack, AuditAction.NOTE)) == 2


async def test_an_unconfirmed_note_tried_again_is_checked_first_and_added_once(slack: Slack) -> None:
    view = await open_ticket(slack)
    type_note(slack, view, NOTE)
    slack.sandbox.inject_fault(method="POST", path_pattern="notes$", status=502)
    await slack.click(DetailAction.ADD_NOTE, view=view)
    error = blocks_text({"blocks": [find_block(slack.modal(DEMO), DetailBlock.ERROR) or {}]})
    assert "didn't confirm the note" in error and "Check the ticket's notes" in error
    kept = slack.fake.view(view["id"])["state"]["values"][note_block_id(0)]  # type: ignore[index]
    assert kept[DetailAction.NOTE_TEXT]["value"] == NOTE

    await slack.click(DetailAction.ADD_NOTE, view=view)

    assert len(notes_saying(slack, NOTE)) == 1
    assert "Internal note added" in notice(slack)


@pytest.mark.parametrize("deliver", [replay, double_click])
async def test_status_change_delivered_twice_is_made_once(slack: Slack, deliver: Any) -> None:
    view = await open_ticket(slack)
    slack.sandbox.clear_requests()

    await deliver(slack, click_body(slack, DetailAction.STATUS, "129", view=view))

    assert slack.sandbox.request_count("PATCH", "/service/tickets/") == 1
    assert len(await audited(slack, AuditAction.STATUS_CHANGE)) == 1
    assert "Status: Escalated → In Progress" in notice(slack)


async def test_changing_the_status_back_and_forth_makes_each_change(slack: Slack) -> None:
    view = await open_ticket(slack)
    await slack.click(DetailAction.STATUS, "129", view=view)
    await slack.click(DetailAction.STATUS, "128", view=view)

    await slack.click(DetailAction.STATUS, "129", view=view)

    assert len(await audited(slack, AuditAction.STATUS_CHANGE)) == 3
    assert slack.sandbox.state.store.tables["tickets"][TICKET]["status"]["id"] == 129


@pytest.mark.parametrize("deliver", [replay, double_click])
async def test_assignee_add_and_remove_delivered_twice_are_made_once(slack: Slack, deliver: Any) -> None:
    view = await open_ticket(slack)
    slack.sandbox.clear_requests()

    await deliver(slack, click_body(slack, DetailAction.ADD_ASSIGNEE, ("Ming Chen", "2"), view=view))

    assert slack.sandbox.request_count("POST", "/schedule/entries") == 1
    assert 2 in open_entries(slack)
    assert len(await audited(slack, AuditAction.ASSIGNEE_ADD)) == 1

    remove = click_body(slack, DetailAction.REMOVE_ASSIGNEE, view=view, block_id=assignee_block_id(2))
    await deliver(slack, remove)

    assert 2 not in open_entries(slack)
    assert len(await audited(slack, AuditAction.ASSIGNEE_REMOVE)) == 1
    assert "Removed" in notice(slack)


def cards(slack: Slack) -> list[dict[str, Any]]:
    return [m for m in slack.fake.messages(CHANNEL) if m.get("bot_id") and not m.get("thread_ts")]


@pytest.mark.parametrize("deliver", [replay, double_click])
async def test_share_from_the_detail_delivered_twice_posts_one_card(slack: Slack, deliver: Any) -> None:
    view = await open_ticket(slack)

    await deliver(slack, click_body(slack, DetailAction.SHARE, view=view))

    assert len(cards(slack)) == 1
    assert len(await audited(slack, AuditAction.SHARE)) == 1
    assert "Shared #1649 in the channel" in notice(slack)


@pytest.mark.parametrize("deliver", [replay, double_click])
async def test_share_from_a_list_row_delivered_twice_posts_one_card(slack: Slack, deliver: Any) -> None:
    await slack.command("mine")
    message = slack.last_ephemeral(DEMO)
    message["blocks"].append(
        {
            "type": "actions",
            "block_id": "menu",
            "elements": [
                {
                    "type": "overflow",
                    "action_id": ListAction.ROW_MENU,
                    "options": [{"text": {"type": "plain_text", "text": "Share"}, "value": "share:1649"}],
                }
            ],
        }
    )
    body = p.block_actions(
        ListAction.ROW_MENU,
        "share:1649",
        user=DEMO,
        message=message,
        channel=CHANNEL,
        response_url=slack.fake.new_response_url(CHANNEL, DEMO, message.get("ts")),
        trigger_id=slack.fake.new_trigger_id(DEMO),
    )

    await deliver(slack, body)

    assert len(cards(slack)) == 1
    assert len(await audited(slack, AuditAction.SHARE)) == 1


@pytest.mark.parametrize("deliver", [replay, double_click])
async def test_link_thread_submitted_twice_links_and_confirms_once(slack: Slack, deliver: Any) -> None:
    parent = say(slack, "Outlook keeps asking for the password")
    await shortcut(slack, Shortcut.LINK_THREAD, parent)
    modal = slack.modal(DEMO)
    assert modal["callback_id"] == Callback.LINK_THREAD
    values = {LinkThreadField.TICKET: {LinkThreadField.TICKET: f"#{OUTLOOK_TICKET}"}}
    body = p.view_submission(modal, user=DEMO, values=values, trigger_id=slack.fake.new_trigger_id(DEMO))

    await deliver(slack, body)

    assert len(bot_replies(slack, parent["ts"])) == 1
    assert len(await audited(slack, AuditAction.LINK_THREAD, OUTLOOK_TICKET)) == 1
    link = await slack.store.read(
        partial(thread_link_repo.get_thread_link, channel_id=CHANNEL, thread_ts=parent["ts"])
    )
    assert link is not None and link.ticket_id == OUTLOOK_TICKET


# -- Done -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("internal", [True, False])
async def test_done_saves_the_typed_note_with_its_visibility_then_closes(
    slack: Slack, internal: bool
) -> None:
    view = await open_ticket(slack)
    type_note(slack, view, NOTE, internal=internal)

    sent = await slack.submit(view)

    assert sent.status == 200 and not sent.body  # an empty ack closes the modal
    (saved,) = notes_saying(slack, NOTE)
    assert saved["internalAnalysisFlag"] is internal
    assert saved["member"]["id"] == DEMO_MEMBER_ID
    assert not slack.fake.is_view_open(view["id"])


async def test_done_without_a_note_just_closes(slack: Slack) -> None:
    view = await open_ticket(slack)
    slack.sandbox.clear_requests()

    sent = await slack.submit(view)

    assert sent.status == 200 and not sent.body
    assert slack.sandbox.request_count("POST") == 0


@pytest.mark.parametrize(
    ("status", "told"), [(400, "Couldn't save the note"), (503, "ConnectWise didn't confirm the note")]
)
async def test_done_keeps_the_modal_and_the_note_when_it_cannot_be_saved(
    slack: Slack, status: int, told: str
) -> None:
    view = await open_ticket(slack)
    type_note(slack, view, NOTE, internal=False)
    slack.sandbox.inject_fault(method="POST", path_pattern="notes$", status=status)

    sent = await slack.submit(view)

    assert sent.body["response_action"] == "errors"
    assert told in sent.body["errors"][note_block_id(0)]
    assert slack.fake.is_view_open(view["id"])
    values = slack.fake.view(view["id"])["state"]["values"]  # type: ignore[index]
    assert values[note_block_id(0)][DetailAction.NOTE_TEXT]["value"] == NOTE
    assert values[note_internal_block_id(0)][DetailAction.NOTE_INTERNAL]["selected_options"] == []
    assert notes_saying(slack, NOTE) == []


async def test_done_after_add_note_saved_it_adds_no_second_note(slack: Slack) -> None:
    view = await open_ticket(slack)
    type_note(slack, view, NOTE)
    body = click_body(slack, DetailAction.ADD_NOTE, view=view)
    submitted = p.view_submission(slack.fake.view(view["id"]) or view, user=DEMO)
    # The click's refresh is lost: Slack still shows the composer with the typed note when Done comes.
    slack.fake.inject_error("views.update", "hash_conflict")
    await slack.sender.send(*body)
    await slack.settle()

    sent = await slack.sender.send(*submitted)
    await slack.settle()

    assert sent.status_code == 200 and not sent.content
    assert len(notes_saying(slack, NOTE)) == 1


async def test_done_pressed_again_after_an_unconfirmed_note_checks_first_and_closes(slack: Slack) -> None:
    view = await open_ticket(slack)
    type_note(slack, view, NOTE)
    slack.sandbox.inject_fault(method="POST", path_pattern="notes$", status=503)
    first = await slack.submit(view)
    assert "didn't confirm the note" in first.body["errors"][note_block_id(0)]

    again = await slack.submit(view)

    assert again.status == 200 and not again.body
    assert len(notes_saying(slack, NOTE)) == 1
    assert not slack.fake.is_view_open(view["id"])


async def test_done_slower_than_slack_allows_says_saving_then_shows_the_saved_note(
    slack: Slack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(detail_done, "SAVE_BUDGET", 0.05)  # the slow path, however fast the machine
    view = await open_ticket(slack)
    type_note(slack, view, NOTE, internal=False)
    submitted = p.view_submission(slack.fake.view(view["id"]) or view, user=DEMO)

    with slack.sandbox.holding():  # ConnectWise holds the note's POST until the user saw "Saving…"
        sent = await slack.sender.send(*submitted)
        ack = sent.json()
        assert ack["response_action"] == "update"
        slack.fake.apply_view_response(view["id"], ack)
        saving = slack.modal(DEMO)
        assert detail_done.SAVING in blocks_text(saving)
        kept = saving["blocks"]
        composer = next(b for b in kept if b.get("block_id") == note_block_id(0))
        assert composer["element"]["initial_value"] == NOTE  # what was typed stays while it saves

    await slack.settle()

    assert len(notes_saying(slack, NOTE)) == 1
    shown = slack.modal(DEMO)
    assert "Discussion note added" in notice(slack)
    assert find_block(shown, note_block_id(1)) is not None

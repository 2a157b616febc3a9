"""The ticket detail modal: hydration, status, assignees, notes, share, related, spin-off."""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from typing import Any

import pytest
from scenario_harness import (
    CHANNEL,
    DEMO,
    NEWBIE,
    Slack,
    action_ids,
    blocks_text,
    find_block,
    mrkdwn_texts,
)
from waiting import wait_until

from bot.ids import (
    Callback,
    DetailAction,
    DetailBlock,
    MessageAction,
    assignee_block_id,
    note_block_id,
    note_internal_block_id,
    related_block_id,
)
from bot.local import payloads as p
from storage import AuditAction
from storage.repositories import audit as audit_repo
from storage.repositories import thread_links as thread_link_repo

TICKET = 1649  # "<!channel> URGENT: server down", Escalations board, owner jdoe, status Escalated


async def open_ticket(slack: Slack, ticket_id: int = TICKET) -> dict[str, Any]:
    await slack.command(str(ticket_id))
    view = slack.modal(DEMO)
    assert view["callback_id"] == Callback.DETAIL
    return view


def sandbox_ticket(slack: Slack, ticket_id: int = TICKET) -> dict[str, Any]:
    return dict(slack.sandbox.state.store.tables["tickets"][ticket_id])


def open_entries(slack: Slack, ticket_id: int = TICKET) -> set[int]:
    entries = slack.sandbox.state.store.tables["schedule_entries"].values()
    return {
        e["member"]["id"]
        for e in entries
        if e["objectId"] == ticket_id and e["type"]["identifier"] == "S" and not e["doneFlag"]
    }


async def audit_actions(slack: Slack) -> list[str]:
    return [e.action for e in await slack.store.read(partial(audit_repo.list_events, ticket_id=TICKET))]


async def test_detail_shows_every_section_of_the_ticket(slack: Slack) -> None:
    view = await open_ticket(slack)

    text = blocks_text(view)
    for expected in ("Acme Corp", "Escalations", "Escalated", "Marcus Webb", "Jordan Doe", "ACME-DC01"):
        assert expected in text
    assert "Notes" in text and "Related tickets" in text
    assert {DetailAction.STATUS, DetailAction.ADD_ASSIGNEE, DetailAction.ADD_NOTE, DetailAction.SHARE} <= set(
        action_ids(view)
    )
    psa_button = next(
        e
        for b in view["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == DetailAction.OPEN_IN_PSA
    )
    assert str(TICKET) in psa_button["url"]


async def test_detail_escapes_ticket_text(slack: Slack) -> None:
    view = await open_ticket(slack, 1646)  # "R&D share inaccessible <script>"

    for text in mrkdwn_texts(view):
        assert "<script>" not in text
        assert "<!channel>" not in text
    assert any("R&amp;D" in t or "&lt;script&gt;" in t for t in mrkdwn_texts(view))


async def test_status_change_updates_psa_shows_the_transition_and_is_audited(slack: Slack) -> None:
    view = await open_ticket(slack)

    await slack.click(DetailAction.STATUS, "129", view=view)  # In Progress (Escalations)

    assert sandbox_ticket(slack)["status"]["id"] == 129
    updated = slack.modal(DEMO)
    notice = find_block(updated, DetailBlock.NOTICE)
    assert notice is not None and "Status: Escalated → In Progress" in blocks_text({"blocks": [notice]})
    assert AuditAction.STATUS_CHANGE in await audit_actions(slack)


async def test_add_assignee_offers_mapped_members_first_and_assigns_the_pick(slack: Slack) -> None:
    view = await open_ticket(slack)

    options = await slack.options(DetailAction.ADD_ASSIGNEE, "", view=view)
    assert options[0]["text"]["text"].startswith("★ Jordan Doe")
    assert len(options) >= 20
    narrowed = await slack.options(DetailAction.ADD_ASSIGNEE, "chen", view=view)
    assert [o["value"] for o in narrowed] == ["2"]

    await slack.click(DetailAction.ADD_ASSIGNEE, ("Ming Chen", "2"), view=view)

    assert 2 in open_entries(slack)
    updated = slack.modal(DEMO)
    assert find_block(updated, assignee_block_id(2)) is not None
    assert "Assigned" in blocks_text({"blocks": [find_block(updated, DetailBlock.NOTICE)]})
    assert AuditAction.ASSIGNEE_ADD in await audit_actions(slack)


async def test_remove_assignee_unassigns_them(slack: Slack) -> None:
    view = await open_ticket(slack)
    await slack.click(DetailAction.ADD_ASSIGNEE, ("Ming Chen", "2"), view=view)
    assert 2 in open_entries(slack)

    await slack.click(DetailAction.REMOVE_ASSIGNEE, view=slack.modal(DEMO), block_id=assignee_block_id(2))

    assert 2 not in open_entries(slack)
    updated = slack.modal(DEMO)
    assert find_block(updated, assignee_block_id(2)) is None
    assert "Removed" in blocks_text({"blocks": [find_block(updated, DetailBlock.NOTICE)]})
    assert AuditAction.ASSIGNEE_REMOVE in await audit_actions(slack)


def _notes(slack: Slack, ticket_id: int = TICKET) -> list[dict[str, Any]]:
    return [n for n in slack.sandbox.state.store.tables["notes"].values() if n["ticketId"] == ticket_id]


@pytest.mark.parametrize(("internal", "kind"), [([], "Discussion note"), (["internal"], "Internal note")])
async def test_add_note_posts_it_and_clears_the_composer(
    slack: Slack, internal: list[str], kind: str
) -> None:
    view = await open_ticket(slack)
    before = len(_notes(slack))
    slack.type_into(
        view,
        {
            note_block_id(0): {DetailAction.NOTE_TEXT: "Replaced disk 4 <!here> as well"},
            note_internal_block_id(0): {DetailAction.NOTE_INTERNAL: internal},
        },
    )

    await slack.click(DetailAction.ADD_NOTE, view=view)

    notes = _notes(slack)
    assert len(notes) == before + 1
    added = max(notes, key=lambda n: n["id"])
    assert added["text"] == "Replaced disk 4 <!here> as well"
    assert added["internalAnalysisFlag"] is bool(internal)
    updated = slack.modal(DEMO)
    assert kind + " added" in blocks_text({"blocks": [find_block(updated, DetailBlock.NOTICE)]})
    assert find_block(updated, note_block_id(1)) is not None  # a fresh, empty composer
    assert not (slack.fake.view(updated["id"]) or {})["state"]["values"].get(note_block_id(1))
    assert any("Replaced disk 4 &lt;!here&gt; as well" in t for t in mrkdwn_texts(updated))
    assert AuditAction.NOTE in await audit_actions(slack)


async def test_empty_note_is_refused_without_calling_the_psa(slack: Slack) -> None:
    view = await open_ticket(slack)
    slack.sandbox.clear_requests()

    await slack.click(DetailAction.ADD_NOTE, view=view)

    assert slack.sandbox.request_count("POST") == 0
    error = find_block(slack.modal(DEMO), DetailBlock.ERROR)
    assert error is not None and "Type the note first" in blocks_text({"blocks": [error]})


@pytest.mark.parametrize(
    ("status", "told"),
    [(400, "Couldn't save the note"), (500, "ConnectWise didn't confirm the note: it may have been saved")],
)
async def test_failed_note_keeps_what_was_typed(slack: Slack, status: int, told: str) -> None:
    view = await open_ticket(slack)
    typed = {note_block_id(0): {DetailAction.NOTE_TEXT: "Long analysis the user must not lose"}}
    slack.type_into(view, typed)
    slack.sandbox.inject_fault(method="POST", path_pattern="notes", status=status)

    await slack.click(DetailAction.ADD_NOTE, view=view)

    current = slack.fake.view(view["id"])
    assert current is not None
    error = find_block(current, DetailBlock.ERROR)
    assert error is not None and told in blocks_text({"blocks": [error]})
    kept = current["state"]["values"][note_block_id(0)][DetailAction.NOTE_TEXT]["value"]
    assert kept == "Long analysis the user must not lose"


async def test_share_posts_a_card_in_the_channel_and_links_its_thread(slack: Slack) -> None:
    view = await open_ticket(slack)

    await slack.click(DetailAction.SHARE, view=view)

    cards = [m for m in slack.fake.messages(CHANNEL) if m.get("bot_id")]
    assert len(cards) == 1
    card_text = blocks_text(cards[0])
    assert f"#{TICKET}" in card_text
    assert "<!channel>" not in " ".join(mrkdwn_texts(cards[0]))
    link = await slack.store.read(
        partial(thread_link_repo.get_thread_link, channel_id=CHANNEL, thread_ts=cards[0]["ts"])
    )
    assert link is not None and link.ticket_id == TICKET and link.linked_by == DEMO
    assert "Shared" in blocks_text({"blocks": [find_block(slack.modal(DEMO), DetailBlock.NOTICE)]})


async def test_share_into_a_channel_the_bot_is_not_in_explains_how_to_fix_it(slack: Slack) -> None:
    slack.fake.inject_error("chat.postMessage", "not_in_channel")
    view = await open_ticket(slack)

    await slack.click(DetailAction.SHARE, view=view)

    error = find_block(slack.modal(DEMO), DetailBlock.ERROR)
    assert error is not None and "/invite" in blocks_text({"blocks": [error]})


async def test_related_ticket_opens_its_own_detail_on_top(slack: Slack) -> None:
    view = await open_ticket(slack)

    await slack.click(DetailAction.RELATED_OPEN, view=view, block_id=related_block_id(1642))

    pushed = slack.fake.calls_to("views.push")
    assert len(pushed) == 1
    top = slack.modal(DEMO)
    assert top["previous_view_id"] == view["id"]
    assert "Printer" in blocks_text(top) and "Loading details" not in blocks_text(top)
    assert slack.fake.is_view_open(view["id"])


async def test_open_in_connectwise_is_only_acknowledged(slack: Slack) -> None:
    view = await open_ticket(slack)
    seq = slack.fake.last_seq

    sent = await slack.click(DetailAction.OPEN_IN_PSA, str(TICKET), view=view)

    assert sent.status == 200
    assert slack.fake.calls_after(seq) == []


async def test_spin_off_hands_over_to_ticket_creation(slack: Slack) -> None:
    view = await open_ticket(slack)

    await slack.click(DetailAction.SPINOFF, view=view)

    created = slack.modal(DEMO)
    assert created["callback_id"] == Callback.CREATE
    assert (await slack.draft(created)).parent_ticket_id == TICKET  # the parent ticket travels with the draft


async def test_done_closes_the_modal(slack: Slack) -> None:
    view = await open_ticket(slack)

    sent = await slack.submit(view)

    assert sent.status == 200
    assert not slack.fake.is_view_open(view["id"])


async def test_status_change_answered_5xx_is_told_as_unconfirmed_never_as_failed(slack: Slack) -> None:
    view = await open_ticket(slack)
    slack.sandbox.inject_fault(method="PATCH", path_pattern="tickets", status=503, count=5)

    await slack.click(DetailAction.STATUS, "129", view=view)

    assert sandbox_ticket(slack)["status"]["name"] == "Escalated"
    error = blocks_text({"blocks": [find_block(slack.modal(DEMO), DetailBlock.ERROR)]})
    assert "ConnectWise didn't confirm the status change" in error and "Check the ticket's status" in error
    assert "Couldn't" not in error
    assert AuditAction.STATUS_CHANGE not in await audit_actions(slack)


async def test_closed_modal_and_hash_conflict_are_quiet(
    slack: Slack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    view = await open_ticket(slack)
    slack.fake.inject_error("views.update", "hash_conflict")

    await slack.click(DetailAction.STATUS, "129", view=view)
    slack.fake.close_view(view["id"])
    await slack.click(DetailAction.STATUS, "130", view=view)

    updates = slack.fake.calls_to("views.update")
    errors = [u.response.get("error") for u in updates]  # type: ignore[union-attr]
    assert "hash_conflict" in errors and errors[-1] == "not_found"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("bot")]


async def test_modal_closed_while_hydrating_is_skipped_quietly(
    slack: Slack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    body = p.slash_command(
        "/tickets",
        str(TICKET),
        user=DEMO,
        channel=CHANNEL,
        trigger_id=slack.fake.new_trigger_id(DEMO),
        response_url=slack.fake.new_response_url(CHANNEL, DEMO),
    )
    # The notes are not answered before the user has closed the modal, however busy the machine.
    with slack.sandbox.holding("GET", f"/service/tickets/{TICKET}/notes"):
        sending = asyncio.create_task(slack.sender.send(*body))
        opened = await wait_until(lambda: slack.fake.calls_to("views.open"), within=60, what="the modal")
        slack.fake.close_view(opened[0].response["view"]["id"])  # type: ignore[index]
    await sending
    await slack.settle()

    update = slack.fake.calls_to("views.update")[-1]
    assert update.response["error"] == "not_found"  # type: ignore[index]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("bot")]


async def test_the_shared_cards_open_button_opens_the_detail(slack: Slack) -> None:
    await slack.click(DetailAction.SHARE, view=await open_ticket(slack))
    card = next(m for m in slack.fake.messages(CHANNEL) if m.get("bot_id"))

    await slack.click(MessageAction.OPEN_TICKET, message=card, user=NEWBIE)

    view = slack.modal(NEWBIE)
    assert view["callback_id"] == Callback.DETAIL and "Marcus Webb" in blocks_text(view)


async def test_throttled_change_says_so_in_the_modal(slack: Slack) -> None:
    view = await open_ticket(slack)
    slack.sandbox.inject_fault(method="POST", path_pattern="schedule/entries", status=429, retry_after=60)

    await slack.click(DetailAction.ADD_ASSIGNEE, ("Ming Chen", "2"), view=view)

    error = find_block(slack.modal(DEMO), DetailBlock.ERROR)
    assert error is not None and "throttling" in blocks_text({"blocks": [error]})
    assert 2 not in open_entries(slack)


async def test_assignee_options_are_empty_not_an_error_when_the_psa_fails(slack: Slack) -> None:
    view = await open_ticket(slack)
    slack.sandbox.inject_fault(path_pattern="system/members", status=500, count=None)

    assert await slack.options(DetailAction.ADD_ASSIGNEE, "", view=view) == []

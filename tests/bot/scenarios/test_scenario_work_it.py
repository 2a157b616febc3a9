"""The Work it modal: time, note, next status and the contact's e-mail in one Save, each part once."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

from round_trips import Since, sent_together
from scenario_harness import CHANNEL, DEMO, DEMO_MEMBER_ID, NEWBIE, Slack, action_ids, blocks_text, find_block

from bot import inputs
from bot.ids import Callback, DetailAction, DetailBlock, MessageAction, Shortcut, TimeAction, WorkField
from bot.local import payloads as p
from storage import AuditAction
from storage.repositories import audit as audit_repo
from storage.repositories import thread_links as thread_link_repo

TICKET = 1604  # "Printer offline on 4th floor", Help Desk, In Progress, owner jdoe, contact set
CANCELLED = 1042  # Cancelled: ConnectWise refuses time until the status changes
WAITING = "103"  # Help Desk "Waiting on Client"
CLOSED = "107"  # Help Desk "Closed"


def entries(slack: Slack, ticket_id: int = TICKET) -> dict[int, dict[str, Any]]:
    rows = slack.sandbox.state.store.tables["time_entries"].values()
    return {e["id"]: dict(e) for e in rows if e["chargeToId"] == ticket_id}


def status_of(slack: Slack, ticket_id: int) -> int:
    return int(slack.sandbox.state.store.tables["tickets"][ticket_id]["status"]["id"])


def work_modal(slack: Slack, user: str = DEMO) -> dict[str, Any]:
    view = slack.modal(user)
    assert view["callback_id"] == Callback.WORK, blocks_text(view)
    return view


def typed(**fields: Any) -> dict[str, Any]:
    """{block_id: {action_id: value}} for the Work it inputs (block id and action id are the same)."""
    return {str(k): {str(k): v} for k, v in fields.items()}


async def open_from_detail(slack: Slack, ticket_id: int = TICKET) -> dict[str, Any]:
    await slack.command(str(ticket_id))
    detail = slack.modal(DEMO)
    assert detail["callback_id"] == Callback.DETAIL
    assert TimeAction.WORK in action_ids(detail)
    await slack.click(TimeAction.WORK, str(ticket_id), view=detail)
    return work_modal(slack)


async def test_log_time_from_the_detail_offers_the_engineers_defaults_and_the_boards_statuses(
    slack: Slack,
) -> None:
    view = await open_from_detail(slack)

    assert "views.push" in slack.methods()
    work_type = find_block(view, WorkField.WORK_TYPE)
    assert (
        work_type is not None and work_type["element"]["initial_option"]["text"]["text"] == "Remote Support"
    )
    statuses = [o["text"]["text"] for o in find_block(view, WorkField.STATUS)["element"]["options"]]  # type: ignore[index]
    assert (
        statuses[0] == "Keep: In Progress"
        and "Waiting on Client" in statuses
        and "Closed (closed)" in statuses
    )
    assert "E-mail the note to" in blocks_text(view)


async def test_one_save_logs_time_writes_the_note_sets_the_status_and_emails_the_contact(
    slack: Slack,
) -> None:
    view = await open_from_detail(slack)
    before = entries(slack)
    since = Since(slack.sandbox)

    await slack.submit(
        view,
        values=typed(
            **{
                WorkField.DURATION: "1h15",
                WorkField.NOTE: "Replaced the toner, printed a test page.",
                WorkField.NOTE_TARGET: "discussion",
                WorkField.STATUS: WAITING,
                WorkField.EMAIL: ["email"],
            }
        ),
    )

    writes = [r for r in since.trips().records if r.method != "GET"]
    assert sorted(f"{r.method} {r.path}" for r in writes) == [
        "PATCH /service/tickets/1604",
        "POST /time/entries",
    ]
    [entry] = [e for i, e in entries(slack).items() if i not in before]
    assert entry["actualHours"] == 1.25 and entry["member"]["id"] == DEMO_MEMBER_ID
    assert entry["notes"] == "Replaced the toner, printed a test page."
    assert entry["addToDetailDescriptionFlag"] is True and entry["emailContactFlag"] is True
    assert status_of(slack, TICKET) == int(WAITING)
    done = slack.fake.view(view["id"])
    assert done is not None
    text = blocks_text(done)
    assert "Time: 1h 15m logged (Remote Support · Billable)" in text and "contact e-mailed" in text
    assert "Status: In Progress → Waiting on Client" in text
    events = await slack.store.read(partial(audit_repo.list_events, ticket_id=TICKET))
    mine = {e.action: e for e in events}
    assert mine[AuditAction.TIME_ENTRY].psa_member_id == DEMO_MEMBER_ID
    assert mine[AuditAction.STATUS_CHANGE].psa_member_id == DEMO_MEMBER_ID


async def test_the_detail_under_the_modal_shows_what_was_saved(slack: Slack) -> None:
    await slack.command(str(TICKET))
    detail = slack.modal(DEMO)
    await slack.click(TimeAction.WORK, str(TICKET), view=detail)
    view = work_modal(slack)

    await slack.submit(view, values=typed(**{WorkField.STATUS: WAITING}))

    refreshed = slack.fake.view(detail["id"])
    assert refreshed is not None
    notice = find_block(refreshed, DetailBlock.NOTICE)
    assert notice is not None and "Status: In Progress → Waiting on Client" in blocks_text(
        {"blocks": [notice]}
    )


async def test_a_note_alone_is_a_ticket_note_by_the_engineer(slack: Slack) -> None:
    view = await open_from_detail(slack)
    notes_before = set(slack.sandbox.state.store.tables["notes"])
    before = entries(slack)

    await slack.submit(
        view,
        values=typed(
            **{WorkField.NOTE: "Called Paul, waiting for the part.", WorkField.NOTE_TARGET: "internal"}
        ),
    )

    [note] = [n for i, n in slack.sandbox.state.store.tables["notes"].items() if i not in notes_before]
    assert note["text"] == "Called Paul, waiting for the part." and note["internalAnalysisFlag"] is True
    assert note["member"]["id"] == DEMO_MEMBER_ID
    assert entries(slack) == before
    assert "Note: added (Internal)" in blocks_text(slack.fake.view(view["id"]) or {})


async def test_status_is_changed_first_when_the_current_one_refuses_time(slack: Slack) -> None:
    await slack.command(f"work {CANCELLED}")
    view = work_modal(slack)
    before = entries(slack, CANCELLED)

    await slack.submit(view, values=typed(**{WorkField.DURATION: "30m", WorkField.STATUS: "102"}))

    assert status_of(slack, CANCELLED) == 102
    assert len(entries(slack, CANCELLED)) == len(before) + 1
    assert "Saved on #1042" in blocks_text(slack.fake.view(view["id"]) or {})


async def test_a_partial_failure_says_what_was_done_keeps_the_typing_and_a_retry_redoes_only_the_rest(
    slack: Slack,
) -> None:
    view = await open_from_detail(slack)
    before = entries(slack)
    slack.sandbox.inject_fault(method="POST", path_pattern=r"/time/entries$", status=400, count=1)
    values = typed(
        **{WorkField.DURATION: "45m", WorkField.NOTE: "Swapped the fuser.", WorkField.STATUS: WAITING}
    )

    await slack.submit(view, values=values)

    again = slack.fake.view(view["id"])
    assert again is not None and again["callback_id"] == Callback.WORK
    banner = blocks_text({"blocks": [find_block(again, DetailBlock.ERROR)]})
    assert "Done: Status: In Progress → Waiting on Client" in banner and "Not done: Time: not saved" in banner
    assert find_block(again, WorkField.DURATION)["element"]["initial_value"] == "45m"  # type: ignore[index]
    assert find_block(again, WorkField.NOTE)["element"]["initial_value"] == "Swapped the fuser."  # type: ignore[index]
    assert entries(slack) == before and status_of(slack, TICKET) == int(WAITING)

    since = Since(slack.sandbox)
    await slack.submit(again)  # Save again, as it is

    assert [f"{r.method} {r.path}" for r in since.trips().records if r.method != "GET"] == [
        "POST /time/entries"
    ]
    assert len(entries(slack)) == len(before) + 1
    text = blocks_text(slack.fake.view(view["id"]) or {})
    assert (
        "Saved on #1604" in text
        and "Time: 45m logged" in text
        and "Status: In Progress → Waiting on Client" in text
    )


async def test_a_lost_answer_is_found_in_connectwise_instead_of_logged_twice(slack: Slack) -> None:
    view = await open_from_detail(slack)
    before = entries(slack)
    # ConnectWise makes the entry but the answer never arrives.
    slack.sandbox.inject_fault(
        method="POST", path_pattern=r"/time/entries$", status=None, drop_connection=True
    )
    values = typed(**{WorkField.DURATION: "20m"})

    await slack.submit(view, values=values)
    again = slack.fake.view(view["id"])
    assert again is not None
    assert "didn't confirm" in blocks_text({"blocks": [find_block(again, DetailBlock.ERROR)]})

    await slack.submit(again)

    assert len(entries(slack)) - len(before) <= 1
    assert "Saved on #1604" in blocks_text(slack.fake.view(view["id"]) or {})


async def test_two_deliveries_of_one_save_log_the_time_once(slack: Slack) -> None:
    await slack.command(f"work {TICKET}")
    view = work_modal(slack)
    before = entries(slack)
    values = typed(**{WorkField.DURATION: "1:30", WorkField.STATUS: WAITING})
    first = p.view_submission(view, user=DEMO, values=values, trigger_id=slack.fake.new_trigger_id(DEMO))
    second = p.view_submission(view, user=DEMO, values=values, trigger_id=slack.fake.new_trigger_id(DEMO))

    await asyncio.gather(slack.sender.send(*first), slack.sender.send(*second))
    await slack.settle()

    assert len(entries(slack)) == len(before) + 1
    assert slack.sandbox.request_count("PATCH", "/service/tickets/1604") == 1


async def test_what_cannot_be_saved_is_said_next_to_its_field(slack: Slack) -> None:
    await slack.command(f"work {TICKET}")
    view = work_modal(slack)
    before = entries(slack)
    cases = [
        ({WorkField.DURATION: "25h"}, WorkField.DURATION, "at most 24 hours"),
        ({WorkField.DURATION: "45"}, WorkField.DURATION, "needs a unit"),
        ({}, WorkField.DURATION, "Nothing to save yet"),
        ({WorkField.EMAIL: ["email"]}, WorkField.EMAIL, "goes out with a time entry"),
        (
            {WorkField.NOTE: "Fixed.", WorkField.NOTE_TARGET: "resolution"},
            WorkField.NOTE_TARGET,
            "resolution",
        ),
    ]
    for fields, block, words in cases:
        sent = await slack.submit(view, values=typed(**fields))
        assert sent.body["response_action"] == "errors", fields
        assert words in sent.body["errors"][block], sent.body
    assert entries(slack) == before


async def test_work_command_opens_the_modal_in_two_rounds_at_most(slack: Slack) -> None:
    with sent_together(slack.sandbox, 5, 1) as since:
        await slack.command(f"work {TICKET}")

    view = work_modal(slack)
    assert "Printer offline on 4th floor" in blocks_text(view)
    # The ticket, work types, roles, the member's defaults and priorities together; then the board's statuses.
    assert since.trips().rounds == 2, since.trips()


async def test_unmapped_user_asking_to_work_a_ticket_gets_the_mapping_prompt(slack: Slack) -> None:
    await slack.command(f"work {TICKET}", user=NEWBIE)

    assert MessageAction.MAP in action_ids(slack.last_ephemeral(NEWBIE))
    assert slack.fake.last_view(NEWBIE) is None


async def test_log_time_on_a_linked_thread_fills_the_note_with_the_message(slack: Slack) -> None:
    thread_ts = "1712345678.000100"
    await slack.store.write(
        partial(
            thread_link_repo.link_thread,
            channel_id=CHANNEL,
            thread_ts=thread_ts,
            ticket_id=TICKET,
            linked_by=DEMO,
        )
    )
    message = {
        "ts": "1712345699.000200",
        "thread_ts": thread_ts,
        "text": "Toner swapped, <@U0DEMO> tested it",
        "user": DEMO,
    }

    await slack.send(
        p.message_shortcut(
            Shortcut.LOG_TIME, message, CHANNEL, DEMO, trigger_id=slack.fake.new_trigger_id(DEMO)
        )
    )

    view = work_modal(slack)
    assert find_block(view, WorkField.NOTE)["element"]["initial_value"].startswith("Toner swapped, @")  # type: ignore[index]
    assert "#1604" in blocks_text(view)


async def test_log_time_on_an_unlinked_thread_says_to_link_it_first(slack: Slack) -> None:
    message = {"ts": "1712345699.000300", "text": "printer is fine now", "user": DEMO}

    await slack.send(
        p.message_shortcut(
            Shortcut.LOG_TIME, message, CHANNEL, DEMO, trigger_id=slack.fake.new_trigger_id(DEMO)
        )
    )

    assert "isn't linked to a ticket" in blocks_text(slack.modal(DEMO))


async def test_detail_log_time_is_a_primary_action(slack: Slack) -> None:
    await slack.command(str(TICKET))
    detail = slack.modal(DEMO)
    actions = find_block(detail, DetailBlock.ACTIONS)
    assert actions is not None
    first = actions["elements"][0]
    assert first["action_id"] == TimeAction.WORK and first["style"] == "primary"
    assert DetailAction.SHARE in action_ids(detail)


async def test_a_note_over_its_limit_is_refused_next_to_it_and_everything_typed_stays(slack: Slack) -> None:
    await slack.command(f"work {TICKET}")
    view = work_modal(slack)
    before = entries(slack)
    since = Since(slack.sandbox)
    too_long = "x" * (inputs.TIME_NOTE.max_chars + 1)  # a forged submission: Slack's max_length bypassed
    fields = {WorkField.DURATION: "45m", WorkField.NOTE: too_long, WorkField.STATUS: WAITING}

    sent = await slack.submit(view, values=typed(**fields))

    assert sent.body["response_action"] == "errors"  # the modal stays open as typed
    assert set(sent.body["errors"]) == {WorkField.NOTE}
    said = sent.body["errors"][WorkField.NOTE]
    assert "time entry note is 3,001 characters" in said and "at most 3,000" in said
    assert slack.fake.is_view_open(view["id"])
    assert entries(slack) == before and not [r for r in since.trips().records if r.method != "GET"]
    assert find_block(view, WorkField.NOTE)["element"]["max_length"] == inputs.TIME_NOTE.max_chars  # type: ignore[index]

    without_time = {WorkField.NOTE: "y" * (inputs.NOTE.max_chars + 1)}  # a ticket note: the note's limit
    sent = await slack.submit(view, values=typed(**without_time))
    assert "The note is 3,001 characters" in sent.body["errors"][WorkField.NOTE]

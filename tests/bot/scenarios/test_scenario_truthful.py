"""What the user is told is true: notes that could not be read never read "No notes yet", and no
exception class name reaches a user, whatever ConnectWise does."""

from __future__ import annotations

import re

import pytest
from scenario_harness import DEMO, Slack, blocks_text, find_block
from test_scenario_detail import TICKET, open_ticket

from bot.ids import DetailAction, DetailBlock, note_block_id

# What httpx and the app's own code call their failures: none of it is for users.
CLASS_NAME = re.compile(r"\b(\w*(Timeout|Error|Exception)|RemoteProtocol\w*|ConnectError)\b")


def shown_everywhere(slack: Slack) -> str:
    """Every text the app sent to Slack so far (modals, messages, ephemeral replies)."""
    texts = []
    for call in slack.fake.calls:
        args = call.args
        view = args.get("view") if isinstance(args.get("view"), dict) else None
        texts.append(blocks_text(view if view is not None else {"blocks": args.get("blocks") or []}))
        texts.append(str(args.get("text") or ""))
        for error in (
            (call.args.get("errors") or {}).values() if isinstance(call.args.get("errors"), dict) else ()
        ):
            texts.append(str(error))
    return "\n".join(texts)


async def test_notes_that_could_not_be_read_say_so_with_retry_never_no_notes(slack: Slack) -> None:
    slack.sandbox.inject_fault(method="GET", path_pattern=r"/notes$", status=503, count=None)

    view = await open_ticket(slack)

    notes = blocks_text({"blocks": [find_block(view, DetailBlock.NOTES)]})
    assert "Couldn't load notes" in notes and "No notes yet" not in blocks_text(view)
    assert find_block(view, DetailBlock.NOTES)["accessory"]["action_id"] == DetailAction.RETRY  # type: ignore[index]

    slack.sandbox.clear_faults()
    await slack.click(DetailAction.RETRY, "notes", view=view)

    again = slack.modal(DEMO)
    assert "Couldn't load" not in blocks_text(again)
    assert "Notes" in blocks_text({"blocks": [find_block(again, DetailBlock.NOTES)]})


@pytest.mark.parametrize(
    "fault",
    [
        {"status": None, "drop_connection": True},  # RemoteProtocolError in httpx
        {"status": 503},
        {"status": 400},
    ],
)
async def test_no_exception_name_reaches_the_user_when_a_write_or_a_read_fails(
    slack: Slack, fault: dict[str, object]
) -> None:
    view = await open_ticket(slack)
    slack.type_into(view, {note_block_id(0): {DetailAction.NOTE_TEXT: "Checked the event log"}})
    slack.sandbox.inject_fault(method="*", path_pattern=r"/service/tickets", count=None, **fault)  # type: ignore[arg-type]

    await slack.click(DetailAction.ADD_NOTE, view=view)
    await slack.click(DetailAction.STATUS, "129", view=view)
    await slack.command(str(TICKET))
    await slack.command("mine")
    await slack.submit(slack.fake.view(view["id"]) or view)

    shown = shown_everywhere(slack)
    assert "Couldn't" in shown or "didn't confirm" in shown
    assert not CLASS_NAME.search(shown), CLASS_NAME.search(shown)

"""Block Kit samples shared by the toolkit tests (a create-ticket modal with one of each input)."""

from __future__ import annotations

from typing import Any


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text), "value": value}


def input_block(block_id: str, element: dict[str, Any], *, dispatch: bool = False) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": plain(block_id.title()),
        "element": element,
    }
    if dispatch:
        block["dispatch_action"] = True
    return block


BOARDS = [option("Help Desk", "1"), option("Projects", "2")]
FLAGS = [option("Urgent", "urgent"), option("Billable", "billable")]
KINDS = [option("Incident", "incident"), option("Request", "request")]


def create_modal(**extra: Any) -> dict[str, Any]:
    """A modal holding one element of each kind the app uses."""
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": "create_ticket",
        "title": plain("New ticket"),
        "submit": plain("Create"),
        "private_metadata": '{"draft":"d1"}',
        "blocks": [
            input_block("summary", {"type": "plain_text_input", "action_id": "value"}),
            input_block(
                "board",
                {
                    "type": "static_select",
                    "action_id": "value",
                    "options": BOARDS,
                    "initial_option": BOARDS[0],
                },
                dispatch=True,
            ),
            input_block("company", {"type": "external_select", "action_id": "value", "min_query_length": 0}),
            input_block("assignee", {"type": "users_select", "action_id": "value"}),
            input_block("flags", {"type": "checkboxes", "action_id": "value", "options": FLAGS}),
            input_block("kind", {"type": "radio_buttons", "action_id": "value", "options": KINDS}),
            input_block("due", {"type": "datepicker", "action_id": "value"}),
        ],
    }
    view.update(extra)
    return view


def list_message_blocks() -> list[dict[str, Any]]:
    """An ephemeral ticket list page with paging buttons and an overflow menu."""
    return [
        {"type": "section", "block_id": "row_1042", "text": {"type": "mrkdwn", "text": "#1042 Printer jam"}},
        {
            "type": "actions",
            "block_id": "paging",
            "elements": [
                {"type": "button", "action_id": "ticket_next", "text": plain("Next"), "value": '{"page":2}'},
                {
                    "type": "overflow",
                    "action_id": "ticket_more",
                    "options": [option("Share", "share"), option("Open", "open")],
                },
                {"type": "static_select", "action_id": "ticket_status", "options": KINDS},
            ],
        },
    ]

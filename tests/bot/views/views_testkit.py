"""Shared data, DTO builders and a stand-in for the `view.state.values` Slack sends back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from psa.models import Board, BoardStatus, Member, Priority, PSATicketSearchResult, Ref

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)

PRIORITIES = [
    Priority(id=1, name="Priority 1 - Emergency", sort=1, color="Red"),
    Priority(id=2, name="Priority 2 - Quick", sort=2, color="Orange"),
    Priority(id=3, name="Priority 3 - Normal", sort=3, color="Yellow", default=True),
    Priority(id=4, name="Priority 4 - Scheduled", sort=4, color="Blue"),
    Priority(id=5, name="Priority 5 - Next time", sort=5, color="Green"),
]
BOARDS = [Board(id=1, name="Help Desk"), Board(id=2, name="Projects"), Board(id=3, name="Old", inactive=True)]
STATUSES = [
    BoardStatus(id=11, name="New", board_id=1, sort_order=1, default=True),
    BoardStatus(id=12, name="In Progress", board_id=1, sort_order=2),
    BoardStatus(id=13, name="Closed", board_id=1, sort_order=9, closed=True),
    BoardStatus(id=21, name="New", board_id=2, sort_order=1),
    BoardStatus(id=22, name="Scoping", board_id=2, sort_order=2),
]
MEMBERS = [
    Member(id=101, identifier="jdoe", name="Jordan Doe", email="jdoe@msp.example"),
    Member(id=102, identifier="asmith", name="Alex Smith"),
    Member(id=103, identifier="bgone", name="Bee Gone", inactive=True),
    Member(id=104, identifier="cz", name="Casey Zed"),
]

# Text that Slack would turn into pings, links or markup if it were not escaped.
HOSTILE = [
    "<!channel>",
    "<!here>",
    "<@U123>",
    "&",
    "&amp;",
    "<",
    ">",
    "*bold*",
    "_it_",
    "`x`",
    "\n",
    "😀",
    "|",
]
hostile_text = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=30)), max_size=12).map("".join)


def make_ticket(ticket_id: int = 1042, **changes: Any) -> PSATicketSearchResult:
    """A realistic row; keyword arguments override fields."""
    data: dict[str, Any] = {
        "id": ticket_id,
        "summary": f"Outlook not syncing ({ticket_id})",
        "company": Ref(id=7, name="Acme Corp"),
        "board": Ref(id=1, name="Help Desk"),
        "status": Ref(id=11, name="New"),
        "priority": PRIORITIES[0],
        "date_entered": NOW - timedelta(days=3, hours=4),
    }
    data.update(changes)
    return PSATicketSearchResult(**data)


def _input_state(element: dict[str, Any]) -> dict[str, Any]:
    kind = element["type"]
    if kind == "plain_text_input":
        return {"type": kind, "value": element.get("initial_value")}
    if kind in ("static_select", "external_select"):
        return {"type": kind, "selected_option": element.get("initial_option")}
    if kind == "checkboxes":
        return {"type": kind, "selected_options": element.get("initial_options", [])}
    if kind == "users_select":
        return {"type": kind, "selected_user": element.get("initial_user")}
    raise AssertionError(f"no state stand-in for {kind}")


def slack_submit(view: dict[str, Any], typed: dict[str, Any] | None = None) -> dict[str, Any]:
    """The view as Slack sends it back: `state.values` from the inputs' initial values + what was typed.

    `typed` maps action_id → a string (text inputs), an option dict / None (selects) or a list of
    options (checkboxes).
    """
    typed = typed or {}
    values: dict[str, dict[str, Any]] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        entry = _input_state(element)
        action_id = element["action_id"]
        if action_id in typed:
            new = typed[action_id]
            if entry["type"] == "plain_text_input":
                entry["value"] = new
            elif entry["type"] == "checkboxes":
                entry["selected_options"] = new
            elif entry["type"] == "users_select":
                entry["selected_user"] = new
            else:
                entry["selected_option"] = new
        values[block["block_id"]] = {action_id: entry}
    return {**view, "id": "V123", "hash": "h1", "state": {"values": values}}


def option_values(element: dict[str, Any]) -> list[str]:
    """The option values of a select."""
    return [o["value"] for o in element["options"]]


def find_block(view: dict[str, Any], block_id_prefix: str) -> dict[str, Any]:
    """The first block whose block_id starts with the prefix."""
    for block in view["blocks"]:
        if block.get("block_id", "").startswith(block_id_prefix):
            return block
    raise AssertionError(f"no block {block_id_prefix!r}")


def all_text(payload: dict[str, Any], kinds: tuple[str, ...] = ("plain_text", "mrkdwn")) -> str:
    """Every text a person sees in the payload, joined (for 'is it shown' assertions)."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in kinds and isinstance(node.get("text"), str):
                out.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(payload.get("blocks", []))
    return "\n".join(out)


def mrkdwn_text(payload: dict[str, Any]) -> str:
    """Only the texts Slack parses for mentions and links: mrkdwn objects and a message's `text`."""
    return all_text(payload, ("mrkdwn",)) + "\n" + str(payload.get("text", ""))


def assert_no_live_mentions(payload: dict[str, Any]) -> None:
    """No user text can ping anyone: no raw <!…> / <@…> / <#…> left in mrkdwn after escaping."""
    text = mrkdwn_text(payload)
    for needle in ("<!channel>", "<!here>", "<@U123>"):
        assert needle not in text, needle

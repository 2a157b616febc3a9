"""Helpers for the ticket-creation scenarios: reading the New Ticket modal and submitting it like Slack."""

from __future__ import annotations

import re
from typing import Any

import httpx
from scenario_harness import DEMO, Sent, Slack, _parsed, blocks_text

from bot.ids import CreateAction, CreateBlock
from bot.local import payloads as p
from bot.views import limits

FIELDS = {
    "summary": (CreateBlock.SUMMARY, CreateAction.SUMMARY),
    "company": (CreateBlock.COMPANY, CreateAction.COMPANY),
    "board": (CreateBlock.BOARD, CreateAction.BOARD),
    "status": (CreateBlock.STATUS, CreateAction.STATUS),
    "priority": (CreateBlock.PRIORITY, CreateAction.PRIORITY),
    "assignee": (CreateBlock.ASSIGNEE, CreateAction.ASSIGNEE),
    "description": (CreateBlock.DESCRIPTION, CreateAction.DESCRIPTION),
    "prompt": (CreateBlock.PROMPT, CreateAction.PROMPT),
}


def field_block(view: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The input block of a form field (its block id carries a revision suffix), or None when not shown."""
    prefix, action_id = FIELDS[name]
    for block in view.get("blocks") or []:
        block_id = str(block.get("block_id", ""))
        element = block.get("element") or {}
        if block.get("type") == "input" and block_id.split(".")[:2] == prefix.split(".")[:2]:
            if element.get("action_id") == action_id:
                return block
    return None


def shown(view: dict[str, Any], name: str) -> Any:
    """What a field shows right now: typed/selected state first, else its initial value (None: empty)."""
    block = field_block(view, name)
    assert block is not None, f"{name} is not in the modal: {blocks_text(view)}"
    action_id = FIELDS[name][1]
    state = ((view.get("state") or {}).get("values") or {}).get(block["block_id"], {}).get(action_id)
    element = block["element"]
    if state:
        if "value" in state:
            return state["value"]
        option = state.get("selected_option")
        if option:
            return option["value"]
    if "initial_value" in element:
        return element["initial_value"]
    option = element.get("initial_option")
    return option["value"] if option else None


def label(view: dict[str, Any], name: str) -> str:
    """The label of a field's input."""
    block = field_block(view, name)
    assert block is not None
    return str(block["label"]["text"])


def options(view: dict[str, Any], name: str) -> list[tuple[str, str]]:
    """(text, value) of a static select's options."""
    block = field_block(view, name)
    assert block is not None
    return [(o["text"]["text"], o["value"]) for o in block["element"].get("options") or []]


def values_for(view: dict[str, Any], **fields: Any) -> dict[str, dict[str, Any]]:
    """Submission values {block_id: {action_id: value}} for named fields of the modal as it is now."""
    out: dict[str, dict[str, Any]] = {}
    for name, value in fields.items():
        block = field_block(view, name)
        assert block is not None, f"{name} is not in the modal"
        out[block["block_id"]] = {FIELDS[name][1]: value}
    return out


async def fire(
    slack: Slack,
    view: dict[str, Any],
    *,
    user: str = DEMO,
    values: dict[str, Any] | None = None,
    as_is: bool = False,
) -> Sent:
    """One view_submission over HTTP, as Slack sends it; does not wait for the app's background work.

    The modal as it is now, or `as_is` the given copy (a delivery of a form the user saw earlier).
    """
    current = view if as_is else (slack.fake.view(view["id"]) or view)
    body = p.view_submission(
        current, user=user, values=values, trigger_id=slack.fake.new_trigger_id(user, view_id=current["id"])
    )
    resp: httpx.Response = await slack.sender.send(*body)
    return _parsed(resp)


def apply(slack: Slack, view_id: str, sent: Sent) -> None:
    """Slack applies the ack's response_action to the modal as soon as the ack arrives."""
    response = sent.body if isinstance(sent.body, dict) else None
    if response and response.get("response_action") == "update":
        limits.validate_modal(response["view"])
    if sent.status == 200 and slack.fake.is_view_open(view_id):
        slack.fake.apply_view_response(view_id, response)


async def submit(
    slack: Slack, view: dict[str, Any], *, user: str = DEMO, values: dict[str, Any] | None = None
) -> Sent:
    """Press Create ticket: the ack is applied first (as Slack does), then the app's follow-up runs out."""
    return await slack.submit(view, user=user, values=values)


def post_count(slack: Slack) -> int:
    """How many tickets the app asked ConnectWise to create."""
    return sum(
        1
        for r in slack.sandbox.requests
        if r.method == "POST" and r.path.rstrip("/").endswith("/service/tickets")
    )


def success_posts(slack: Slack) -> list[dict[str, Any]]:
    """Every "Ticket #N created in ConnectWise" the app posted or put in place of a message."""
    found = []
    for call in slack.fake.calls:
        ok = isinstance(call.response, dict) and call.response.get("ok")
        if call.method in ("chat.postMessage", "chat.update") and ok:
            if "created in ConnectWise" in str(call.args.get("text") or ""):
                found.append(call.args)
    return found


def sandbox_ticket(slack: Slack, ticket_id: int) -> dict[str, Any]:
    """The ticket as the ConnectWise sandbox stored it."""
    store = slack.sandbox.state.store
    with store.lock:
        return dict(store.tables["tickets"][ticket_id])


def created_id(surface: dict[str, Any]) -> int:
    """The ticket number in a "Ticket #N created in ConnectWise" message or view."""
    found = re.search(r"Ticket #(\d+)", blocks_text(surface))
    assert found, blocks_text(surface)
    return int(found.group(1))

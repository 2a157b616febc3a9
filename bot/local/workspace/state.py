"""What the browser typed, turned into the `state.values` Slack would report for a surface."""

from __future__ import annotations

from typing import Any

from bot.local.block_state import STATEFUL_TYPES, view_state

TEXT_TYPES = frozenset({"plain_text_input", "email_text_input", "url_text_input", "number_input"})


def _elements(block: dict[str, Any]) -> list[Any]:
    kind = block.get("type")
    if kind == "input":
        return [block.get("element")]
    if kind == "section":
        return [block.get("accessory")]
    if kind == "actions":
        return list(block.get("elements") or [])
    return []


def present_inputs(surface: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """Every stateful element a surface shows, by (block_id, action_id)."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for block in surface.get("blocks") or []:
        if not isinstance(block, dict) or not block.get("block_id"):
            continue
        for element in _elements(block):
            if isinstance(element, dict) and element.get("type") in STATEFUL_TYPES and "action_id" in element:
                found[(str(block["block_id"]), str(element["action_id"]))] = element
    return found


def ui_values(surface: dict[str, Any], values: dict[str, Any] | None) -> dict[str, Any]:
    """The browser's `{block_id: {action_id: value}}` limited to inputs the surface still shows.

    A view can change under the member (the app updates it); inputs it no longer has are dropped,
    as Slack drops them. Empty text stays out so the element reports no value.
    """
    present = present_inputs(surface)
    kept: dict[str, Any] = {}
    for block_id, actions in (values or {}).items():
        if not isinstance(actions, dict):
            continue
        for action_id, value in actions.items():
            element = present.get((block_id, action_id))
            if element is None or value is None:
                continue
            if element.get("type") in TEXT_TYPES and value == "":
                continue
            kept.setdefault(block_id, {})[action_id] = value
    return kept


def surface_state(surface: dict[str, Any], values: dict[str, Any] | None) -> dict[str, Any]:
    """Slack-shaped `state.values` for a surface after the member filled in `values`."""
    kept = ui_values(surface, values)
    state = view_state(surface, kept)
    present = present_inputs(surface)
    # An input the member emptied reports null, not its initial value.
    for block_id, actions in (values or {}).items():
        for action_id, value in (actions or {}).items() if isinstance(actions, dict) else []:
            element = present.get((block_id, action_id))
            if element is None or block_id not in state or action_id not in state[block_id]:
                continue
            if element.get("type") in TEXT_TYPES and value == "":
                state[block_id][action_id]["value"] = None
    return state

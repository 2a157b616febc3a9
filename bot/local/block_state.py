"""What Slack reports for a member's input: `view.state.values` entries and action value shapes."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

# element type -> (state field, the element's initial_* field)
_FIELDS: dict[str, tuple[str, str]] = {
    "plain_text_input": ("value", "initial_value"),
    "email_text_input": ("value", "initial_value"),
    "url_text_input": ("value", "initial_value"),
    "number_input": ("value", "initial_value"),
    "static_select": ("selected_option", "initial_option"),
    "external_select": ("selected_option", "initial_option"),
    "radio_buttons": ("selected_option", "initial_option"),
    "multi_static_select": ("selected_options", "initial_options"),
    "multi_external_select": ("selected_options", "initial_options"),
    "checkboxes": ("selected_options", "initial_options"),
    "users_select": ("selected_user", "initial_user"),
    "multi_users_select": ("selected_users", "initial_users"),
    "conversations_select": ("selected_conversation", "initial_conversation"),
    "multi_conversations_select": ("selected_conversations", "initial_conversations"),
    "channels_select": ("selected_channel", "initial_channel"),
    "multi_channels_select": ("selected_channels", "initial_channels"),
    "datepicker": ("selected_date", "initial_date"),
    "timepicker": ("selected_time", "initial_time"),
    "datetimepicker": ("selected_date_time", "initial_date_time"),
    "rich_text_input": ("rich_text_value", "initial_value"),
    "file_input": ("files", "initial_files"),
}
STATEFUL_TYPES = frozenset(_FIELDS)


def _elements(block: dict[str, Any]) -> list[Any]:
    kind = block.get("type")
    if kind == "input":
        return [block.get("element")]
    if kind == "section":
        return [block.get("accessory")]
    if kind in ("actions", "context_actions"):
        return list(block.get("elements") or [])
    return []


def _interactive(blocks: list[Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for block in blocks:
        if not isinstance(block, dict):
            continue
        for element in _elements(block):
            if isinstance(element, dict) and "action_id" in element:
                yield str(block.get("block_id", "")), element


def find_element(
    blocks: list[Any], action_id: str, block_id: str | None = None
) -> tuple[str, dict[str, Any]]:
    """Return (block_id, element) for the element a member interacts with; ValueError if it is not shown."""
    for found_block, element in _interactive(blocks):
        if element["action_id"] == action_id and (block_id is None or found_block == block_id):
            return found_block, element
    where = f" in block {block_id!r}" if block_id else ""
    raise ValueError(f"no element with action_id {action_id!r}{where}")


def _all_options(element: dict[str, Any]) -> list[dict[str, Any]]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options") or []
    return options


def _pick(element: dict[str, Any], value: Any) -> dict[str, Any]:
    """The option a member picks: from the element's options, or (external selects) any text/value."""
    if element.get("type", "").endswith("external_select"):
        if isinstance(value, dict):
            return value
        text, val = value if isinstance(value, tuple) else (str(value), str(value))
        return {"text": {"type": "plain_text", "text": text, "emoji": True}, "value": val}
    wanted = value.get("value") if isinstance(value, dict) else value
    for option in _all_options(element):
        if option.get("value") == wanted:
            return copy.deepcopy(option)
    offered = [o.get("value") for o in _all_options(element)]
    raise ValueError(f"{element.get('action_id')!r} offers no option {wanted!r} (offered: {offered})")


def _rich_text(value: str) -> dict[str, Any]:
    section = {"type": "rich_text_section", "elements": [{"type": "text", "text": value}]}
    return {"type": "rich_text", "elements": [section]}


def element_state(element: dict[str, Any], value: Any) -> dict[str, Any]:
    """Return the state entry Slack reports for `element` holding `value` (None: its initial value)."""
    kind = str(element.get("type"))
    if kind not in _FIELDS:
        raise ValueError(f"{kind!r} elements hold no value")
    field, initial = _FIELDS[kind]
    if value is None:
        return {"type": kind, field: copy.deepcopy(element.get(initial))}
    if field == "selected_option":
        picked: Any = _pick(element, value)
    elif field == "selected_options":
        picked = [_pick(element, v) for v in (value if isinstance(value, list) else [value])]
    elif field == "value":
        picked = str(value)
    elif field == "rich_text_value":
        picked = _rich_text(value) if isinstance(value, str) else value
    elif field == "selected_date_time":
        picked = int(value)
    else:
        picked = copy.deepcopy(value)
    return {"type": kind, field: picked}


def view_state(surface: dict[str, Any] | list[Any], values: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build `state.values` for a view (or message, or blocks) after a member filled in `values`.

    `values` is `{block_id: {action_id: value}}`; untouched elements keep the view's recorded state or
    their initial value. Naming an element the surface does not show raises ValueError.
    """
    blocks = surface if isinstance(surface, list) else surface.get("blocks") or []
    recorded = {} if isinstance(surface, list) else (surface.get("state") or {}).get("values") or {}
    values = values or {}
    result: dict[str, Any] = {}
    seen: set[tuple[str, str]] = set()
    for block_id, element in _interactive(blocks):
        kind = element.get("type")
        if kind not in _FIELDS or not block_id:
            continue
        action_id = element["action_id"]
        seen.add((block_id, action_id))
        if action_id in values.get(block_id, {}):
            entry = element_state(element, values[block_id][action_id])
        elif action_id in recorded.get(block_id, {}):
            entry = copy.deepcopy(recorded[block_id][action_id])
        else:
            entry = element_state(element, None)
        result.setdefault(block_id, {})[action_id] = entry
    unknown = [(b, a) for b, actions in values.items() for a in actions if (b, a) not in seen]
    if unknown:
        raise ValueError(f"the surface has no input {unknown}")
    return result

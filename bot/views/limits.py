"""The one validator every builder's output is checked with, against Slack's limits (`bot.slack_limits`)."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.slack_limits import (
    ACTIONS_ELEMENTS_MAX,
    BUTTON_TEXT_MAX,
    BUTTON_VALUE_MAX,
    CHECKBOX_OPTIONS_MAX,
    CONFIRM_BUTTON_MAX,
    CONFIRM_TEXT_MAX,
    CONFIRM_TITLE_MAX,
    CONTEXT_ELEMENTS_MAX,
    CONTEXT_TEXT_MAX,
    FIELD_TEXT_MAX,
    FIELDS_MAX,
    HEADER_TEXT_MAX,
    HINT_MAX,
    HOME_BLOCKS_MAX,
    ID_MAX,
    INPUT_VALUE_MAX,
    LABEL_MAX,
    MARKDOWN_BLOCK_MAX,
    MESSAGE_BLOCKS_MAX,
    MESSAGE_TEXT_MAX,
    METADATA_MAX,
    MODAL_BLOCKS_MAX,
    OPTION_TEXT_MAX,
    OPTION_VALUE_MAX,
    OPTIONS_MAX,
    OVERFLOW_OPTIONS_MAX,
    PLACEHOLDER_MAX,
    SECTION_TEXT_MAX,
    SUBMIT_MAX,
    TITLE_MAX,
    URL_MAX,
    VIEW_BYTES_MAX,
)

__all__ = [
    "ACTIONS_ELEMENTS_MAX",
    "BUTTON_TEXT_MAX",
    "BUTTON_VALUE_MAX",
    "CHECKBOX_OPTIONS_MAX",
    "CONFIRM_BUTTON_MAX",
    "CONFIRM_TEXT_MAX",
    "CONFIRM_TITLE_MAX",
    "CONTEXT_ELEMENTS_MAX",
    "CONTEXT_TEXT_MAX",
    "FIELDS_MAX",
    "FIELD_TEXT_MAX",
    "HEADER_TEXT_MAX",
    "HINT_MAX",
    "HOME_BLOCKS_MAX",
    "ID_MAX",
    "INPUT_VALUE_MAX",
    "LABEL_MAX",
    "MARKDOWN_BLOCK_MAX",
    "MESSAGE_BLOCKS_MAX",
    "MESSAGE_TEXT_MAX",
    "METADATA_MAX",
    "MODAL_BLOCKS_MAX",
    "OPTIONS_MAX",
    "OPTION_TEXT_MAX",
    "OPTION_VALUE_MAX",
    "OVERFLOW_OPTIONS_MAX",
    "PLACEHOLDER_MAX",
    "SECTION_TEXT_MAX",
    "SUBMIT_MAX",
    "TITLE_MAX",
    "URL_MAX",
    "VIEW_BYTES_MAX",
]

_ACCESSORY_TYPES = {
    "button",
    "checkboxes",
    "datepicker",
    "image",
    "overflow",
    "radio_buttons",
    "static_select",
    "external_select",
    "users_select",
    "conversations_select",
    "channels_select",
    "multi_static_select",
    "multi_external_select",
    "multi_users_select",
    "multi_conversations_select",
    "multi_channels_select",
    "timepicker",
}
_ACTIONS_TYPES = _ACCESSORY_TYPES - {"image"} | {"datetimepicker"}
_INPUT_TYPES = {
    "plain_text_input",
    "static_select",
    "external_select",
    "users_select",
    "conversations_select",
    "channels_select",
    "multi_static_select",
    "multi_external_select",
    "multi_users_select",
    "multi_conversations_select",
    "multi_channels_select",
    "checkboxes",
    "radio_buttons",
    "datepicker",
    "timepicker",
    "datetimepicker",
    "email_text_input",
    "url_text_input",
    "number_input",
    "rich_text_input",
}
_KNOWN_BLOCKS = {
    "section",
    "divider",
    "header",
    "context",
    "actions",
    "input",
    "markdown",
    "image",
    "rich_text",
}


class SlackLimitError(ValueError):
    """A payload Slack would reject (or silently mangle); `path` points at the offending part."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def validate_message(payload: dict[str, Any]) -> None:
    """Check a chat message payload (`text` fallback + ≤ 50 blocks) against Slack's limits."""
    text = payload.get("text")
    if not isinstance(text, str) or not text.strip():
        raise SlackLimitError("text", "a message needs a non-empty `text` fallback")
    if len(text) > MESSAGE_TEXT_MAX:
        raise SlackLimitError("text", f"longer than {MESSAGE_TEXT_MAX}")
    blocks = payload.get("blocks") or []
    if len(blocks) > MESSAGE_BLOCKS_MAX:
        raise SlackLimitError("blocks", f"{len(blocks)} blocks; a message holds at most {MESSAGE_BLOCKS_MAX}")
    _check_blocks(blocks, "blocks", surface="message")


def validate_modal(view: dict[str, Any]) -> None:
    """Check a modal view against Slack's limits."""
    if view.get("type") != "modal":
        raise SlackLimitError("type", "a modal's type must be 'modal'")
    _check_view(view, MODAL_BLOCKS_MAX)
    title = _text_of(view.get("title"), "title", plain_only=True)
    if not 1 <= len(title) <= TITLE_MAX:
        raise SlackLimitError("title", f"must be 1–{TITLE_MAX} characters, is {len(title)}")
    for key in ("submit", "close"):
        if view.get(key) is not None:
            value = _text_of(view[key], key, plain_only=True)
            if not 1 <= len(value) <= SUBMIT_MAX:
                raise SlackLimitError(key, f"must be 1–{SUBMIT_MAX} characters, is {len(value)}")
    if any(b.get("type") == "input" for b in view.get("blocks") or []) and view.get("submit") is None:
        raise SlackLimitError("submit", "a modal with input blocks needs a submit button")
    _check_blocks(view.get("blocks") or [], "blocks", surface="modal")
    _check_sdk_view(view)


def validate_home(view: dict[str, Any]) -> None:
    """Check an App Home view against Slack's limits."""
    if view.get("type") != "home":
        raise SlackLimitError("type", "a Home view's type must be 'home'")
    for key in ("submit", "close", "title"):
        if key in view:
            raise SlackLimitError(key, "a Home view has no title/submit/close")
    _check_view(view, HOME_BLOCKS_MAX)
    if any(b.get("type") == "input" for b in view.get("blocks") or []):
        raise SlackLimitError("blocks", "input blocks do not belong in a Home view here")
    _check_blocks(view.get("blocks") or [], "blocks", surface="home")
    _check_sdk_view(view)


def _check_view(view: dict[str, Any], max_blocks: int) -> None:
    blocks = view.get("blocks")
    if not isinstance(blocks, list) or not blocks:
        raise SlackLimitError("blocks", "a view needs at least one block")
    if len(blocks) > max_blocks:
        raise SlackLimitError("blocks", f"{len(blocks)} blocks; at most {max_blocks}")
    _check_len(view.get("private_metadata"), METADATA_MAX, "private_metadata")
    _check_len(view.get("callback_id"), ID_MAX, "callback_id")
    _check_len(view.get("external_id"), ID_MAX, "external_id")
    size = len(json.dumps(view, ensure_ascii=False).encode())
    if size > VIEW_BYTES_MAX:
        raise SlackLimitError("view", f"{size} bytes; Slack refuses views over {VIEW_BYTES_MAX}")


def _check_sdk_view(view: dict[str, Any]) -> None:
    try:
        View(**view).to_dict()
    except (SlackObjectFormationError, TypeError) as exc:
        raise SlackLimitError("view", f"slack_sdk rejects it: {exc}") from exc


def _check_len(value: Any, limit: int, path: str) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        raise SlackLimitError(path, "must be a string")
    if len(value) > limit:
        raise SlackLimitError(path, f"{len(value)} characters; at most {limit}")


def _text_of(obj: Any, path: str, *, plain_only: bool = False, limit: int | None = None) -> str:
    if not isinstance(obj, dict):
        raise SlackLimitError(path, "must be a text object")
    kind = obj.get("type")
    if kind not in ("plain_text", "mrkdwn"):
        raise SlackLimitError(f"{path}.type", f"unknown text type {kind!r}")
    if plain_only and kind != "plain_text":
        raise SlackLimitError(f"{path}.type", "must be plain_text here")
    if kind == "plain_text" and "verbatim" in obj:
        raise SlackLimitError(f"{path}.verbatim", "only mrkdwn takes verbatim")
    if kind == "mrkdwn" and "emoji" in obj:
        raise SlackLimitError(f"{path}.emoji", "only plain_text takes emoji")
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        raise SlackLimitError(f"{path}.text", "must be a string with something visible in it")
    if limit is not None and len(text) > limit:
        raise SlackLimitError(f"{path}.text", f"{len(text)} characters; at most {limit}")
    return text


def _check_blocks(blocks: list[Any], path: str, *, surface: str) -> None:
    seen: set[str] = set()
    for i, block in enumerate(blocks):
        where = f"{path}[{i}]"
        if not isinstance(block, dict):
            raise SlackLimitError(where, "a block must be an object")
        kind = block.get("type")
        if kind not in _KNOWN_BLOCKS:
            raise SlackLimitError(f"{where}.type", f"unknown block type {kind!r}")
        block_id = block.get("block_id")
        if block_id is not None:
            _check_len(block_id, ID_MAX, f"{where}.block_id")
            if not block_id:
                raise SlackLimitError(f"{where}.block_id", "must not be empty")
            if block_id in seen:
                raise SlackLimitError(f"{where}.block_id", f"duplicate block_id {block_id!r}")
            seen.add(block_id)
        _check_block(block, where, surface)
        sdk_block = Block.parse(block)
        if sdk_block is None:
            raise SlackLimitError(where, "slack_sdk does not recognise this block")
        try:
            sdk_block.to_dict()
        except (SlackObjectFormationError, TypeError) as exc:
            raise SlackLimitError(where, f"slack_sdk rejects it: {exc}") from exc


def _check_block(block: dict[str, Any], where: str, surface: str) -> None:
    kind = block["type"]
    if kind == "section":
        if block.get("text") is None and not block.get("fields"):
            raise SlackLimitError(where, "a section needs text or fields")
        if block.get("text") is not None:
            _text_of(block["text"], f"{where}.text", limit=SECTION_TEXT_MAX)
        fields = block.get("fields") or []
        if len(fields) > FIELDS_MAX:
            raise SlackLimitError(f"{where}.fields", f"{len(fields)} fields; at most {FIELDS_MAX}")
        for j, field in enumerate(fields):
            _text_of(field, f"{where}.fields[{j}]", limit=FIELD_TEXT_MAX)
        if block.get("accessory") is not None:
            _check_element(block["accessory"], f"{where}.accessory", _ACCESSORY_TYPES)
    elif kind == "header":
        _text_of(block.get("text"), f"{where}.text", plain_only=True, limit=HEADER_TEXT_MAX)
    elif kind == "context":
        elements = block.get("elements") or []
        if not 1 <= len(elements) <= CONTEXT_ELEMENTS_MAX:
            raise SlackLimitError(f"{where}.elements", f"{len(elements)} elements; 1–{CONTEXT_ELEMENTS_MAX}")
        for j, element in enumerate(elements):
            if element.get("type") == "image":
                _check_len(element.get("image_url"), URL_MAX, f"{where}.elements[{j}].image_url")
            else:
                _text_of(element, f"{where}.elements[{j}]", limit=CONTEXT_TEXT_MAX)
    elif kind == "actions":
        elements = block.get("elements") or []
        if not 1 <= len(elements) <= ACTIONS_ELEMENTS_MAX:
            raise SlackLimitError(f"{where}.elements", f"{len(elements)} elements; 1–{ACTIONS_ELEMENTS_MAX}")
        action_ids: set[str] = set()
        for j, element in enumerate(elements):
            _check_element(element, f"{where}.elements[{j}]", _ACTIONS_TYPES)
            action_id = element.get("action_id")
            if action_id is not None:
                if action_id in action_ids:
                    raise SlackLimitError(f"{where}.elements[{j}].action_id", f"duplicate {action_id!r}")
                action_ids.add(action_id)
    elif kind == "input":
        if surface == "message":
            raise SlackLimitError(where, "input blocks do not belong in messages here")
        _text_of(block.get("label"), f"{where}.label", plain_only=True, limit=LABEL_MAX)
        if block.get("hint") is not None:
            _text_of(block["hint"], f"{where}.hint", plain_only=True, limit=HINT_MAX)
        _check_element(block.get("element"), f"{where}.element", _INPUT_TYPES)
    elif kind == "markdown":
        _check_len(block.get("text"), MARKDOWN_BLOCK_MAX, f"{where}.text")


def _check_element(element: Any, where: str, allowed: set[str]) -> None:
    if not isinstance(element, dict):
        raise SlackLimitError(where, "an element must be an object")
    kind = element.get("type")
    if kind not in allowed:
        raise SlackLimitError(f"{where}.type", f"{kind!r} is not allowed here")
    _check_len(element.get("action_id"), ID_MAX, f"{where}.action_id")
    if element.get("placeholder") is not None:
        _text_of(element["placeholder"], f"{where}.placeholder", plain_only=True, limit=PLACEHOLDER_MAX)
    if element.get("confirm") is not None:
        _check_confirm(element["confirm"], f"{where}.confirm")
    if kind == "button":
        _text_of(element.get("text"), f"{where}.text", plain_only=True, limit=BUTTON_TEXT_MAX)
        _check_len(element.get("value"), BUTTON_VALUE_MAX, f"{where}.value")
        _check_len(element.get("url"), URL_MAX, f"{where}.url")
        if element.get("style") not in (None, "primary", "danger"):
            raise SlackLimitError(f"{where}.style", "must be primary or danger")
    elif kind in ("static_select", "multi_static_select", "overflow", "checkboxes", "radio_buttons"):
        _check_options_element(element, where, kind)
    elif kind in ("external_select", "multi_external_select"):
        if element.get("initial_option") is not None:
            _check_option(element["initial_option"], f"{where}.initial_option")
        mql = element.get("min_query_length")
        if mql is not None and (not isinstance(mql, int) or mql < 0):
            raise SlackLimitError(f"{where}.min_query_length", "must be a non-negative integer")
    elif kind == "plain_text_input":
        max_length = element.get("max_length")
        for key in ("max_length", "min_length"):
            value = element.get(key)
            if value is not None and (not isinstance(value, int) or not 0 <= value <= INPUT_VALUE_MAX):
                raise SlackLimitError(f"{where}.{key}", f"must be 0–{INPUT_VALUE_MAX}")
        _check_len(element.get("initial_value"), max_length or INPUT_VALUE_MAX, f"{where}.initial_value")


def _check_options_element(element: dict[str, Any], where: str, kind: str) -> None:
    limit = {"overflow": OVERFLOW_OPTIONS_MAX, "checkboxes": CHECKBOX_OPTIONS_MAX, "radio_buttons": 10}.get(
        kind, OPTIONS_MAX
    )
    options = element.get("options")
    groups = element.get("option_groups")
    all_options: list[dict[str, Any]] = []
    if groups is not None:
        if kind not in ("static_select", "multi_static_select"):
            raise SlackLimitError(f"{where}.option_groups", "not allowed here")
        if not 1 <= len(groups) <= OPTIONS_MAX:
            raise SlackLimitError(f"{where}.option_groups", f"{len(groups)} groups; 1–{OPTIONS_MAX}")
        for g, group in enumerate(groups):
            _text_of(group.get("label"), f"{where}.option_groups[{g}].label", plain_only=True, limit=75)
            group_options = group.get("options") or []
            if not 1 <= len(group_options) <= OPTIONS_MAX:
                raise SlackLimitError(f"{where}.option_groups[{g}].options", f"1–{OPTIONS_MAX} options")
            for j, option in enumerate(group_options):
                _check_option(option, f"{where}.option_groups[{g}].options[{j}]")
            all_options.extend(group_options)
    else:
        if not isinstance(options, list) or not 1 <= len(options) <= limit:
            count = len(options) if isinstance(options, list) else 0
            raise SlackLimitError(f"{where}.options", f"{count} options; 1–{limit}")
        for j, option in enumerate(options):
            _check_option(option, f"{where}.options[{j}]", allow_url=kind == "overflow")
        all_options = options
    values = [o.get("value") for o in all_options]
    if len(set(values)) != len(values):
        raise SlackLimitError(f"{where}.options", "option values must be unique")
    initial = element.get("initial_option")
    if initial is not None and initial not in all_options:
        raise SlackLimitError(f"{where}.initial_option", "must be exactly one of the options")
    for j, option in enumerate(element.get("initial_options") or []):
        if option not in all_options:
            raise SlackLimitError(f"{where}.initial_options[{j}]", "must be exactly one of the options")


def _check_option(option: Any, where: str, *, allow_url: bool = False) -> None:
    if not isinstance(option, dict):
        raise SlackLimitError(where, "an option must be an object")
    _text_of(option.get("text"), f"{where}.text", limit=OPTION_TEXT_MAX)
    value = option.get("value")
    if not isinstance(value, str) or not value:
        raise SlackLimitError(f"{where}.value", "must be a non-empty string")
    _check_len(value, OPTION_VALUE_MAX, f"{where}.value")
    if option.get("description") is not None:
        _text_of(option["description"], f"{where}.description", limit=OPTION_TEXT_MAX)
    if option.get("url") is not None:
        if not allow_url:
            raise SlackLimitError(f"{where}.url", "only overflow options take a url")
        _check_len(option["url"], URL_MAX, f"{where}.url")


def _check_confirm(confirm: Any, where: str) -> None:
    if not isinstance(confirm, dict):
        raise SlackLimitError(where, "must be an object")
    _text_of(confirm.get("title"), f"{where}.title", plain_only=True, limit=CONFIRM_TITLE_MAX)
    _text_of(confirm.get("text"), f"{where}.text", limit=CONFIRM_TEXT_MAX)
    _text_of(confirm.get("confirm"), f"{where}.confirm", plain_only=True, limit=CONFIRM_BUTTON_MAX)
    _text_of(confirm.get("deny"), f"{where}.deny", plain_only=True, limit=CONFIRM_BUTTON_MAX)

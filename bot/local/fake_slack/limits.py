"""Block Kit and surface limits, checked the way Slack checks them (at least as strictly)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from bot.slack_limits import (
    ID_MAX,
    MESSAGE_BLOCKS_MAX,
    MESSAGE_TEXT_MAX,
    METADATA_MAX,
    MODAL_BLOCKS_MAX,
    SUBMIT_MAX,
    TITLE_MAX,
    VIEW_BYTES_MAX,
)

KNOWN_BLOCKS = frozenset(
    {
        "actions",
        "context",
        "context_actions",
        "divider",
        "file",
        "header",
        "image",
        "input",
        "markdown",
        "rich_text",
        "section",
        "table",
        "video",
    }
)
INPUT_ELEMENTS = frozenset(
    {
        "plain_text_input",
        "static_select",
        "multi_static_select",
        "external_select",
        "multi_external_select",
        "users_select",
        "multi_users_select",
        "conversations_select",
        "multi_conversations_select",
        "channels_select",
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
        "file_input",
    }
)
INTERACTIVE_ELEMENTS = INPUT_ELEMENTS | {"button", "overflow", "workflow_button", "feedback_buttons"}
CONTEXT_ELEMENTS = frozenset({"image", "plain_text", "mrkdwn"})


class _Checker:
    """Collects Slack-style error strings (`reason [json-pointer:/path]`) for one surface."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self._block_ids: set[str] = set()

    def fail(self, reason: str, path: str) -> None:
        self.errors.append(f"{reason} [json-pointer:{path}]")

    def text(self, obj: Any, path: str, *, max_len: int, plain_only: bool = False) -> None:
        if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
            self.fail("must be a text object of type plain_text or mrkdwn", path)
            return
        if plain_only and obj["type"] != "plain_text":
            self.fail("must be a plain_text text object", path + "/type")
        text = obj.get("text")
        if not isinstance(text, str) or not text:
            self.fail("must be more than 0 characters", path + "/text")
        elif len(text) > max_len:
            self.fail(f"must be less than {max_len + 1} characters", path + "/text")

    def max_len(self, value: Any, limit: int, path: str) -> None:
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            self.fail(f"must be a string of at most {limit} characters", path)

    def options(self, options: Any, path: str, *, max_items: int, min_items: int = 1) -> list[Any]:
        if not isinstance(options, list) or not min_items <= len(options) <= max_items:
            self.fail(f"must provide between {min_items} and {max_items} items", path)
            return []
        for i, option in enumerate(options):
            p = f"{path}/{i}"
            if not isinstance(option, dict):
                self.fail("must be an option object", p)
                continue
            self.text(option.get("text"), p + "/text", max_len=75)
            value = option.get("value")
            if not isinstance(value, str) or not value:
                self.fail("must be more than 0 characters", p + "/value")
            else:
                self.max_len(value, 150, p + "/value")
            if "description" in option:
                self.text(option["description"], p + "/description", max_len=75)
        return [o.get("value") for o in options if isinstance(o, dict)]

    def element(self, el: Any, path: str, action_ids: set[str]) -> None:
        if not isinstance(el, dict) or not isinstance(el.get("type"), str):
            self.fail("must be an element object with a type", path)
            return
        kind = el["type"]
        if kind not in INTERACTIVE_ELEMENTS and kind != "image":
            self.fail(f"unsupported element type {kind!r}", path + "/type")
            return
        action_id = el.get("action_id")
        if action_id is not None:
            self.max_len(action_id, ID_MAX, path + "/action_id")
            if action_id in action_ids:
                self.fail("action_id must be unique within its block", path + "/action_id")
            action_ids.add(action_id)
        if "placeholder" in el:
            self.text(el["placeholder"], path + "/placeholder", max_len=150, plain_only=True)
        if kind == "button":
            self.text(el.get("text"), path + "/text", max_len=75, plain_only=True)
            self.max_len(el.get("value"), 2000, path + "/value")
            self.max_len(el.get("url"), 3000, path + "/url")
            if el.get("style") not in (None, "primary", "danger"):
                self.fail("must be primary or danger", path + "/style")
        elif kind in ("static_select", "multi_static_select"):
            self._static_select(el, path)
        elif kind in ("radio_buttons", "checkboxes", "overflow"):
            limit = 5 if kind == "overflow" else 10
            values = self.options(el.get("options"), path + "/options", max_items=limit)
            self._initial_options(el, values, path)
        elif kind == "plain_text_input":
            for key in ("min_length", "max_length"):
                if key in el and not (isinstance(el[key], int) and 0 <= el[key] <= 3000):
                    self.fail("must be an integer between 0 and 3000", f"{path}/{key}")

    def _static_select(self, el: dict[str, Any], path: str) -> None:
        if "options" in el and "option_groups" in el:
            self.fail("must provide either options or option_groups, not both", path)
        values: list[Any] = []
        if "option_groups" in el:
            groups = el["option_groups"]
            if not isinstance(groups, list) or not 1 <= len(groups) <= 100:
                self.fail("must provide between 1 and 100 items", path + "/option_groups")
            else:
                for i, group in enumerate(groups):
                    p = f"{path}/option_groups/{i}"
                    group = group if isinstance(group, dict) else {}
                    self.text(group.get("label"), p + "/label", max_len=75, plain_only=True)
                    values += self.options(group.get("options"), p + "/options", max_items=100)
        else:
            values = self.options(el.get("options"), path + "/options", max_items=100)
        self._initial_options(el, values, path)

    def _initial_options(self, el: dict[str, Any], values: list[Any], path: str) -> None:
        initial = [el["initial_option"]] if "initial_option" in el else el.get("initial_options") or []
        for option in initial:
            if not isinstance(option, dict) or option.get("value") not in values:
                self.fail("initial option must exactly match one of the options", path + "/initial_option")

    def blocks(self, blocks: Any, path: str, *, max_blocks: int, min_blocks: int = 0) -> None:
        if not isinstance(blocks, list):
            self.fail("must be an array of blocks", path)
            return
        if len(blocks) > max_blocks:
            self.fail(f"no more than {max_blocks} items allowed", path)
        if len(blocks) < min_blocks:
            self.fail(f"must provide at least {min_blocks} item", path)
        for i, block in enumerate(blocks):
            self.block(block, f"{path}/{i}")

    def block(self, block: Any, path: str) -> None:
        kind = block.get("type") if isinstance(block, dict) else None
        if not isinstance(block, dict) or not isinstance(kind, str) or kind not in KNOWN_BLOCKS:
            self.fail(f"unsupported block type {kind!r}", path + "/type")
            return
        block_id = block.get("block_id")
        if block_id is not None:
            self.max_len(block_id, ID_MAX, path + "/block_id")
            if block_id in self._block_ids:
                self.fail("block_id must be unique", path + "/block_id")
            self._block_ids.add(block_id)
        action_ids: set[str] = set()
        if kind == "section":
            if "text" not in block and "fields" not in block:
                self.fail("must provide text or fields", path)
            if "text" in block:
                self.text(block["text"], path + "/text", max_len=3000)
            if "fields" in block:
                fields = block["fields"]
                if not isinstance(fields, list) or not 1 <= len(fields) <= 10:
                    self.fail("must provide between 1 and 10 items", path + "/fields")
                else:
                    for i, field in enumerate(fields):
                        self.text(field, f"{path}/fields/{i}", max_len=2000)
            if "accessory" in block:
                self.element(block["accessory"], path + "/accessory", action_ids)
        elif kind == "header":
            self.text(block.get("text"), path + "/text", max_len=150, plain_only=True)
        elif kind == "markdown":
            text = block.get("text")
            if not isinstance(text, str) or not 1 <= len(text) <= 12000:
                self.fail("must be between 1 and 12000 characters", path + "/text")
        elif kind in ("actions", "context"):
            self._container(block, path, kind, action_ids)
        elif kind == "input":
            self.text(block.get("label"), path + "/label", max_len=2000, plain_only=True)
            if "hint" in block:
                self.text(block["hint"], path + "/hint", max_len=2000, plain_only=True)
            element = block.get("element")
            if not isinstance(element, dict) or element.get("type") not in INPUT_ELEMENTS:
                self.fail("must provide an input element", path + "/element")
            else:
                self.element(element, path + "/element", action_ids)

    def _container(self, block: dict[str, Any], path: str, kind: str, action_ids: set[str]) -> None:
        limit = 25 if kind == "actions" else 10
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= limit:
            self.fail(f"must provide between 1 and {limit} items", path + "/elements")
            return
        for i, el in enumerate(elements):
            p = f"{path}/elements/{i}"
            if kind == "context":
                if not isinstance(el, dict) or el.get("type") not in CONTEXT_ELEMENTS:
                    self.fail("context elements must be text or image", p)
                elif el["type"] != "image":
                    self.text(el, p, max_len=3000)
            else:
                self.element(el, p, action_ids)


def check_message(text: Any, blocks: Any, attachments: Any = None) -> tuple[str, list[str]] | None:
    """Return (error, details) for an invalid message body, or None when Slack would accept it."""
    has_blocks = isinstance(blocks, list) and len(blocks) > 0
    # Slack treats a whitespace-only text like no text: without blocks or attachments that is `no_text`.
    has_text = isinstance(text, str) and text.strip() != ""
    if not has_text and not has_blocks and not attachments:
        return "no_text", []
    if isinstance(text, str) and len(text) > MESSAGE_TEXT_MAX:
        return "msg_too_long", []
    if blocks is not None:
        checker = _Checker()
        checker.blocks(blocks, "/blocks", max_blocks=MESSAGE_BLOCKS_MAX)
        if checker.errors:
            return "invalid_blocks", checker.errors
    return None


def check_view(view: Any, *, allowed_types: Iterable[str]) -> tuple[str, list[str]] | None:
    """Return (error, details) for a view Slack would reject, or None when it is acceptable."""
    if not isinstance(view, dict):
        return "invalid_arguments", ["must be a view object [json-pointer:/view]"]
    if len(json.dumps(view, separators=(",", ":")).encode()) > VIEW_BYTES_MAX:
        return "view_too_large", []
    checker = _Checker()
    kind = view.get("type")
    if kind not in set(allowed_types):
        checker.fail(f"view type {kind!r} is not allowed here", "/view/type")
    if kind == "modal":
        checker.text(view.get("title"), "/view/title", max_len=TITLE_MAX, plain_only=True)
        for key in ("submit", "close"):
            if key in view and view[key] is not None:
                checker.text(view[key], f"/view/{key}", max_len=SUBMIT_MAX, plain_only=True)
        blocks = view.get("blocks")
        has_inputs = isinstance(blocks, list) and any(
            isinstance(b, dict) and b.get("type") == "input" for b in blocks
        )
        if has_inputs and not view.get("submit"):
            checker.fail("a submit button is required when the view has input blocks", "/view/submit")
    elif kind == "home" and ("submit" in view or "close" in view):
        checker.fail("home views cannot have submit or close", "/view")
    checker.max_len(view.get("private_metadata"), METADATA_MAX, "/view/private_metadata")
    checker.max_len(view.get("callback_id"), ID_MAX, "/view/callback_id")
    checker.max_len(view.get("external_id"), ID_MAX, "/view/external_id")
    checker.blocks(view.get("blocks"), "/view/blocks", max_blocks=MODAL_BLOCKS_MAX, min_blocks=1)
    if checker.errors:
        return "invalid_arguments", checker.errors
    return None

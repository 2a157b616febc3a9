"""Small Block Kit constructors that keep every fixed-size part within Slack's limits.

Texts passed as `mrkdwn` must already be escaped (see `bot.text.escape`); plain_text parts are
shown literally by Slack and are only truncated here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.text import clip, mrkdwn, plain_text, truncate
from bot.views import limits

Block = dict[str, Any]
Element = dict[str, Any]


def _nonblank(text: str) -> str:
    # Slack rejects empty text objects; a dash keeps the block instead of failing the whole call
    return text if text.strip() else "—"


def header(text: str, *, block_id: str | None = None) -> Block:
    """A header block (plain text, ≤ 150 chars)."""
    block: Block = {"type": "header", "text": plain_text(_nonblank(truncate(text, limits.HEADER_TEXT_MAX)))}
    if block_id:
        block["block_id"] = block_id
    return block


def section(
    text: str | None = None,
    *,
    block_id: str | None = None,
    accessory: Element | None = None,
    fields: Iterable[str] | None = None,
) -> Block:
    """A section with escaped mrkdwn text (clipped to 3000) and/or fields (≤ 10 × 2000)."""
    block: Block = {"type": "section"}
    if text is not None:
        block["text"] = mrkdwn(_nonblank(clip(text, limits.SECTION_TEXT_MAX)))
    if fields is not None:
        block["fields"] = [
            mrkdwn(_nonblank(clip(f, limits.FIELD_TEXT_MAX))) for f in list(fields)[: limits.FIELDS_MAX]
        ]
    if block_id:
        block["block_id"] = block_id
    if accessory is not None:
        block["accessory"] = accessory
    return block


def context(*texts: str, block_id: str | None = None) -> Block:
    """A context block of escaped mrkdwn texts (≤ 10)."""
    elements = [mrkdwn(clip(t, limits.CONTEXT_TEXT_MAX)) for t in texts if t.strip()]
    block: Block = {"type": "context", "elements": elements[: limits.CONTEXT_ELEMENTS_MAX] or [mrkdwn("—")]}
    if block_id:
        block["block_id"] = block_id
    return block


def divider() -> Block:
    """A divider."""
    return {"type": "divider"}


def actions(*elements: Element, block_id: str | None = None) -> Block:
    """An actions block (≤ 25 elements)."""
    block: Block = {"type": "actions", "elements": list(elements)[: limits.ACTIONS_ELEMENTS_MAX]}
    if block_id:
        block["block_id"] = block_id
    return block


def button(
    text: str,
    action_id: str,
    *,
    value: str | None = None,
    url: str | None = None,
    style: str | None = None,
    confirm: dict[str, Any] | None = None,
) -> Element:
    """A button; its text is cut to 75 chars. `value` must already fit (≤ 2000)."""
    element: Element = {
        "type": "button",
        "action_id": action_id,
        "text": plain_text(_nonblank(truncate(text, limits.BUTTON_TEXT_MAX))),
    }
    if value is not None:
        element["value"] = value
    if url is not None:
        element["url"] = url
    if style is not None:
        element["style"] = style
    if confirm is not None:
        element["confirm"] = confirm
    return element


def confirm_dialog(title: str, text: str, confirm: str, deny: str = "Cancel") -> dict[str, Any]:
    """A confirmation dialog object; `text` is escaped mrkdwn."""
    return {
        "title": plain_text(truncate(title, limits.CONFIRM_TITLE_MAX)),
        "text": mrkdwn(clip(text, limits.CONFIRM_TEXT_MAX)),
        "confirm": plain_text(truncate(confirm, limits.CONFIRM_BUTTON_MAX)),
        "deny": plain_text(truncate(deny, limits.CONFIRM_BUTTON_MAX)),
    }


def option(text: str, value: str, *, description: str | None = None) -> dict[str, Any]:
    """An option with plain text ≤ 75 chars; `value` must be ≤ 150 chars."""
    opt: dict[str, Any] = {
        "text": plain_text(_nonblank(truncate(text, limits.OPTION_TEXT_MAX))),
        "value": value,
    }
    if description and description.strip():
        opt["description"] = plain_text(truncate(description, limits.OPTION_TEXT_MAX))
    return opt


def static_select(
    action_id: str,
    placeholder: str,
    options: list[dict[str, Any]],
    *,
    initial_value: str | None = None,
) -> Element:
    """A static select of ≤ 100 options; `initial_value` selects the option with that value if present."""
    options = options[: limits.OPTIONS_MAX]
    element: Element = {
        "type": "static_select",
        "action_id": action_id,
        "placeholder": plain_text(truncate(placeholder, limits.PLACEHOLDER_MAX)),
        "options": options,
    }
    initial = next((o for o in options if o["value"] == initial_value), None) if initial_value else None
    if initial is not None:
        element["initial_option"] = initial
    return element


def external_select(
    action_id: str,
    placeholder: str,
    *,
    initial_option: dict[str, Any] | None = None,
    min_query_length: int = 0,
) -> Element:
    """An external select (options served by an `@app.options` listener)."""
    element: Element = {
        "type": "external_select",
        "action_id": action_id,
        "placeholder": plain_text(truncate(placeholder, limits.PLACEHOLDER_MAX)),
        "min_query_length": min_query_length,
    }
    if initial_option is not None:
        element["initial_option"] = initial_option
    return element


def text_input(
    action_id: str,
    *,
    multiline: bool = False,
    initial_value: str | None = None,
    max_length: int | None = None,
    placeholder: str | None = None,
) -> Element:
    """A plain_text_input; an initial value longer than allowed is cut rather than rejected."""
    element: Element = {"type": "plain_text_input", "action_id": action_id, "multiline": multiline}
    cap = max_length or limits.INPUT_VALUE_MAX
    if max_length is not None:
        element["max_length"] = max_length
    if initial_value:
        element["initial_value"] = initial_value[:cap]
    if placeholder:
        element["placeholder"] = plain_text(truncate(placeholder, limits.PLACEHOLDER_MAX))
    return element


def input_block(
    block_id: str,
    label: str,
    element: Element,
    *,
    optional: bool = False,
    hint: str | None = None,
    dispatch_action: bool = False,
) -> Block:
    """An input block (modals only)."""
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain_text(truncate(label, limits.LABEL_MAX)),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain_text(truncate(hint, limits.HINT_MAX))
    if dispatch_action:
        block["dispatch_action"] = True
    return block


def modal(
    *,
    title: str,
    blocks: list[Block],
    callback_id: str,
    private_metadata: str | None = None,
    submit: str | None = None,
    close: str = "Close",
    external_id: str | None = None,
) -> dict[str, Any]:
    """A modal view; the title is cut to 24 chars."""
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain_text(truncate(title, limits.TITLE_MAX)),
        "close": plain_text(truncate(close, limits.SUBMIT_MAX)),
        "blocks": blocks,
    }
    if submit:
        view["submit"] = plain_text(truncate(submit, limits.SUBMIT_MAX))
    if private_metadata is not None:
        view["private_metadata"] = private_metadata
    if external_id is not None:
        view["external_id"] = external_id
    return view

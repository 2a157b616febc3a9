"""The workspace renders any Block Kit the app could send, safely, and reads inputs back as Slack does."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from e2e_kit import DEMO, SAM, RunningStack, modal, open_workspace
from playwright.sync_api import Page, expect
from waiting import wait_until_blocking

pytestmark = pytest.mark.browser


def _text(kind: str, text: str) -> dict[str, Any]:
    return {"type": kind, "text": text}


def _button(text: str, action_id: str, **extra: Any) -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "text": _text("plain_text", text), **extra}


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": _text("plain_text", text), "value": value}


MESSAGE_BLOCKS: list[dict[str, Any]] = [
    {"type": "header", "text": _text("plain_text", "Kitchen sink")},
    {
        "type": "section",
        "block_id": "formatting",
        "text": _text(
            "mrkdwn",
            "*bold words* _slanted words_ ~struck words~ `inline code` <https://example.com/x|Example link> "
            "<javascript:alert(1)|not a link> <@U0DEMO> <!here> &lt;!channel&gt; Tom &amp; Jerry\n"
            "```block of code```",
        ),
        "accessory": {
            "type": "overflow",
            "action_id": "sink.overflow",
            "options": [_option("Edit", "edit"), _option("Archive", "archive")],
        },
    },
    {
        "type": "section",
        "fields": [_text("mrkdwn", "*Company*\nAcme"), _text("mrkdwn", "*Board*\nHelp Desk")],
    },
    {"type": "divider"},
    {"type": "context", "elements": [_text("mrkdwn", "context line"), _text("plain_text", "plain context")]},
    {"type": "image", "image_url": "{base}static/tickets-icon.svg", "alt_text": "a chart"},
    {
        "type": "rich_text",
        "elements": [
            {
                "type": "rich_text_list",
                "style": "bullet",
                "elements": [
                    {
                        "type": "rich_text_section",
                        "elements": [{"type": "text", "text": "first item", "style": {"bold": True}}],
                    }
                ],
            }
        ],
    },
    {"type": "table", "block_id": "future", "rows": [[{"type": "raw_text", "text": "cell"}]]},
    {
        "type": "actions",
        "block_id": "buttons",
        "elements": [
            _button("Approve", "sink.approve", style="primary", value="yes"),
            _button("Delete", "sink.delete", style="danger", value="no"),
            _button("Docs", "sink.docs", url="{docs}"),
        ],
    },
]

MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "kitchen",
    "title": _text("plain_text", "Kitchen form"),
    "submit": _text("plain_text", "Send"),
    "blocks": [
        {
            "type": "input",
            "block_id": "title",
            "label": _text("plain_text", "Title"),
            "element": {"type": "plain_text_input", "action_id": "v"},
        },
        {
            "type": "input",
            "block_id": "body",
            "optional": True,
            "label": _text("plain_text", "Body"),
            "element": {
                "type": "plain_text_input",
                "action_id": "v",
                "multiline": True,
                "initial_value": "x",
            },
        },
        {
            "type": "input",
            "block_id": "kind",
            "label": _text("plain_text", "Kind"),
            "element": {
                "type": "static_select",
                "action_id": "v",
                "option_groups": [
                    {"label": _text("plain_text", "Hardware"), "options": [_option("Printer", "printer")]},
                    {"label": _text("plain_text", "Software"), "options": [_option("Outlook", "outlook")]},
                ],
            },
        },
        {
            "type": "input",
            "block_id": "who",
            "label": _text("plain_text", "Who"),
            "element": {"type": "users_select", "action_id": "v"},
        },
        {
            "type": "input",
            "block_id": "flags",
            "optional": True,
            "label": _text("plain_text", "Flags"),
            "element": {
                "type": "checkboxes",
                "action_id": "v",
                "options": [_option("Urgent", "urgent"), _option("VIP", "vip")],
            },
        },
        {
            "type": "input",
            "block_id": "when",
            "label": _text("plain_text", "When"),
            "element": {
                "type": "radio_buttons",
                "action_id": "v",
                "options": [_option("Today", "today"), _option("Later", "later")],
                "initial_option": _option("Later", "later"),
            },
        },
    ],
}


def _web_api(stack: RunningStack, method: str, body: dict[str, Any]) -> dict[str, Any]:
    """Call the fake Slack Web API as the app would."""
    response = httpx.post(
        stack.fake.api_url + method,
        json=body,
        headers={"Authorization": f"Bearer {stack.fake.identity.bot_token}"},
        timeout=5,
    )
    answer: dict[str, Any] = response.json()
    assert answer["ok"], answer
    return answer


def test_messages_render_mrkdwn_and_every_block_safely(page: Page, stack: RunningStack) -> None:
    docs = f"{stack.url}static/app.css"
    blocks = json.loads(json.dumps(MESSAGE_BLOCKS).replace("{docs}", docs).replace("{base}", stack.url))
    _web_api(stack, "chat.postMessage", {"channel": "C0GENERAL", "text": "sink", "blocks": blocks})
    open_workspace(page, stack, where="C0GENERAL")
    message = page.locator("#messages .msg").filter(has_text="Kitchen sink")

    expect(message.locator("b", has_text="bold words")).to_have_count(1)
    expect(message.locator("i", has_text="slanted words")).to_have_count(1)
    expect(message.locator("s", has_text="struck words")).to_have_count(1)
    expect(message.locator("code", has_text="inline code")).to_have_count(1)
    expect(message.locator("pre", has_text="block of code")).to_have_count(1)
    link = message.get_by_role("link", name="Example link")
    expect(link).to_have_attribute("href", "https://example.com/x")
    expect(link).to_have_attribute("target", "_blank")
    expect(message.get_by_role("link", name="not a link")).to_have_count(0)  # no javascript: links
    expect(message).to_contain_text("@Jordan Doe")
    expect(message.locator(".broadcast")).to_have_text(["@here"])  # only the real broadcast
    expect(message).to_contain_text("<!channel> Tom & Jerry")  # escaped text shown literally
    expect(message).to_contain_text("Help Desk")
    expect(message.get_by_role("img", name="a chart")).to_have_count(1)
    expect(message.locator("li b", has_text="first item")).to_have_count(1)
    expect(message).to_contain_text("Unsupported block: table")
    expect(message.get_by_role("button", name="Approve")).to_have_class("bk-button primary")
    expect(message.get_by_role("button", name="Delete")).to_have_class("bk-button danger")

    message.get_by_role("button", name="More options").click()
    expect(page.get_by_role("menuitem")).to_have_text(["Edit", "Archive"])
    page.keyboard.press("Escape")

    with page.context.expect_page() as opened:
        message.get_by_role("button", name="Docs").click()
    assert opened.value.url == docs


def test_modal_inputs_validate_and_submit_as_slack_state(page: Page, stack: RunningStack) -> None:
    open_workspace(page, stack)
    trigger = stack.fake.new_trigger_id(DEMO)
    view_id = _web_api(stack, "views.open", {"trigger_id": trigger, "view": MODAL})["view"]["id"]
    dialog = modal(page)
    expect(dialog).to_contain_text("Kitchen form")
    expect(dialog.get_by_role("textbox", name="Title")).to_be_focused()

    dialog.get_by_role("button", name="Send").click()
    required = dialog.locator("[data-block-id='title'] .bk-error")
    expect(required).to_have_text("Please complete this required field.")
    assert stack.fake.is_view_open(view_id)

    dialog.get_by_role("textbox", name="Title").fill("Printer on fire")
    dialog.get_by_role("textbox", name="Body").fill("")
    dialog.get_by_role("combobox", name="Kind").select_option("printer")
    dialog.get_by_role("combobox", name="Who").select_option(SAM)
    dialog.get_by_role("checkbox", name="VIP").check()
    dialog.get_by_role("button", name="Send").click()
    expect(dialog).to_have_count(0)

    wait_until_blocking(
        lambda: not stack.fake.is_view_open(view_id), what="the submission to close the modal"
    )
    view = stack.fake.view(view_id)
    assert view is not None
    values = view["state"]["values"]
    assert values["title"]["v"]["value"] == "Printer on fire"
    assert values["body"]["v"]["value"] is None  # emptied, not its initial value
    assert values["kind"]["v"]["selected_option"]["value"] == "printer"
    assert values["who"]["v"]["selected_user"] == SAM
    assert [o["value"] for o in values["flags"]["v"]["selected_options"]] == ["vip"]
    assert values["when"]["v"]["selected_option"]["value"] == "later"

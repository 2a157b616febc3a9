"""The validator rejects every kind of payload Slack would refuse, and says where."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from bot.views import kit
from bot.views.limits import SlackLimitError, validate_home, validate_message, validate_modal


def good_modal() -> dict[str, Any]:
    return kit.modal(
        title="Ticket #1",
        callback_id="cb",
        submit="Save",
        private_metadata="{}",
        blocks=[
            kit.section("hello", block_id="s1", accessory=kit.button("Open", "open", value="1")),
            kit.actions(
                kit.static_select(
                    "pick", "Pick", [kit.option("A", "a"), kit.option("B", "b")], initial_value="a"
                ),
                kit.button("Go", "go"),
                block_id="a1",
            ),
            kit.input_block("i1", "Summary", kit.text_input("summary", max_length=100, initial_value="x")),
            kit.context("ctx"),
        ],
    )


def test_a_good_modal_passes() -> None:
    validate_modal(good_modal())


Mutation = Callable[[dict[str, Any]], None]


def _set(path: list[Any], value: Any) -> Mutation:
    def mutate(view: dict[str, Any]) -> None:
        node = view
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return mutate


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (_set(["title", "text"], "x" * 25), "title"),
        (_set(["title", "text"], ""), "title.text"),
        (_set(["submit", "text"], "y" * 25), "submit"),
        (_set(["private_metadata"], "m" * 3001), "private_metadata"),
        (_set(["callback_id"], "c" * 256), "callback_id"),
        (_set(["blocks"], [kit.divider()] * 101), "blocks"),
        (_set(["blocks", 0, "text", "text"], "t" * 3001), "blocks[0].text.text"),
        (_set(["blocks", 0, "block_id"], "b" * 256), "blocks[0].block_id"),
        (_set(["blocks", 1, "block_id"], "s1"), "blocks[1].block_id"),
        (_set(["blocks", 0, "accessory", "text", "text"], "b" * 76), "blocks[0].accessory.text.text"),
        (_set(["blocks", 0, "accessory", "value"], "v" * 2001), "blocks[0].accessory.value"),
        (_set(["blocks", 0, "accessory", "url"], "https://" + "u" * 3000), "blocks[0].accessory.url"),
        (_set(["blocks", 0, "accessory", "style"], "fancy"), "blocks[0].accessory.style"),
        (_set(["blocks", 0, "accessory", "action_id"], "a" * 256), "blocks[0].accessory.action_id"),
        (_set(["blocks", 0, "accessory", "type"], "plain_text_input"), "blocks[0].accessory.type"),
        (_set(["blocks", 0, "text", "type"], "markdown"), "blocks[0].text.type"),
        (
            _set(["blocks", 1, "elements", 0, "options", 0, "text", "text"], "o" * 76),
            "blocks[1].elements[0].options[0].text.text",
        ),
        (
            _set(["blocks", 1, "elements", 0, "options", 0, "value"], "v" * 151),
            "blocks[1].elements[0].options[0].value",
        ),
        (
            _set(["blocks", 1, "elements", 0, "options"], [kit.option(str(i), str(i)) for i in range(101)]),
            "blocks[1].elements[0].options",
        ),
        (_set(["blocks", 1, "elements", 0, "options"], []), "blocks[1].elements[0].options"),
        (
            _set(["blocks", 1, "elements", 0, "initial_option"], kit.option("Z", "z")),
            "blocks[1].elements[0].initial_option",
        ),
        (
            _set(["blocks", 1, "elements", 0, "placeholder", "text"], "p" * 151),
            "blocks[1].elements[0].placeholder.text",
        ),
        (_set(["blocks", 1, "elements", 1, "action_id"], "pick"), "blocks[1].elements[1].action_id"),
        (
            _set(["blocks", 1, "elements"], [kit.button(str(i), f"b{i}") for i in range(26)]),
            "blocks[1].elements",
        ),
        (_set(["blocks", 2, "label", "text"], "l" * 2001), "blocks[2].label.text"),
        (_set(["blocks", 2, "label", "type"], "mrkdwn"), "blocks[2].label.type"),
        (_set(["blocks", 2, "element", "initial_value"], "i" * 101), "blocks[2].element.initial_value"),
        (_set(["blocks", 2, "element", "max_length"], 3001), "blocks[2].element.max_length"),
        (_set(["blocks", 2, "element", "type"], "button"), "blocks[2].element.type"),
        (_set(["blocks", 3, "elements"], [{"type": "mrkdwn", "text": "x"}] * 11), "blocks[3].elements"),
        (_set(["blocks", 3, "type"], "carousel"), "blocks[3].type"),
        (_set(["blocks", 3, "elements", 0, "emoji"], True), "blocks[3].elements[0].emoji"),
    ],
)
def test_each_violation_is_caught_with_its_path(mutate: Mutation, path: str) -> None:
    view = copy.deepcopy(good_modal())
    mutate(view)
    with pytest.raises(SlackLimitError) as caught:
        validate_modal(view)
    assert caught.value.path == path


def test_modal_with_inputs_needs_submit() -> None:
    view = good_modal()
    del view["submit"]
    with pytest.raises(SlackLimitError, match="submit"):
        validate_modal(view)


def test_header_and_fields_limits() -> None:
    message: dict[str, Any] = {"text": "t", "blocks": [kit.header("h")]}
    validate_message(message)
    message["blocks"][0]["text"]["text"] = "h" * 151
    with pytest.raises(SlackLimitError) as caught:
        validate_message(message)
    assert caught.value.path == "blocks[0].text.text"
    fields = {"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}
    with pytest.raises(SlackLimitError, match="11 fields"):
        validate_message({"text": "t", "blocks": [fields]})
    long_field = {"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}
    with pytest.raises(SlackLimitError) as caught:
        validate_message({"text": "t", "blocks": [long_field]})
    assert caught.value.path == "blocks[0].fields[0].text"


def test_message_limits() -> None:
    with pytest.raises(SlackLimitError) as caught:
        validate_message({"text": "t", "blocks": [kit.divider()] * 51})
    assert caught.value.path == "blocks"
    with pytest.raises(SlackLimitError) as caught:
        validate_message({"blocks": [kit.divider()]})
    assert caught.value.path == "text"
    with pytest.raises(SlackLimitError, match="input blocks"):
        validate_message({"text": "t", "blocks": [kit.input_block("i", "L", kit.text_input("a"))]})


def test_home_limits() -> None:
    home = {"type": "home", "blocks": [kit.section("x")]}
    validate_home(home)
    with pytest.raises(SlackLimitError) as caught:
        validate_home({**home, "submit": {"type": "plain_text", "text": "no"}})
    assert caught.value.path == "submit"
    with pytest.raises(SlackLimitError) as caught:
        validate_home({"type": "home", "blocks": [kit.divider()] * 101})
    assert caught.value.path == "blocks"


def test_overflow_checkbox_and_confirm_limits() -> None:
    overflow = {
        "type": "overflow",
        "action_id": "o",
        "options": [kit.option(str(i), str(i)) for i in range(6)],
    }
    with pytest.raises(SlackLimitError) as caught:
        validate_message({"text": "t", "blocks": [kit.section("x", accessory=overflow)]})
    assert caught.value.path == "blocks[0].accessory.options"
    confirm = kit.confirm_dialog("T", "body", "Yes")
    confirm["confirm"]["text"] = "c" * 31
    with pytest.raises(SlackLimitError) as caught:
        validate_message({"text": "t", "blocks": [kit.actions(kit.button("x", "x", confirm=confirm))]})
    assert caught.value.path == "blocks[0].elements[0].confirm.confirm.text"
    dup = {
        "type": "static_select",
        "action_id": "s",
        "placeholder": {"type": "plain_text", "text": "p"},
        "options": [kit.option("A", "a"), kit.option("B", "a")],
    }
    with pytest.raises(SlackLimitError, match="unique"):
        validate_message({"text": "t", "blocks": [kit.actions(dup)]})


def test_whitespace_only_text_is_refused() -> None:
    with pytest.raises(SlackLimitError) as caught:
        validate_message(
            {"text": "t", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "  "}}]}
        )
    assert caught.value.path == "blocks[0].text.text"


@pytest.mark.parametrize("text", ["", " ", "\n\t "])
def test_a_message_with_a_blank_fallback_text_is_refused(text: str) -> None:
    with pytest.raises(SlackLimitError) as caught:
        validate_message({"text": text, "blocks": [kit.section("Visible")]})
    assert caught.value.path == "text"


def test_oversized_view_payload_is_refused() -> None:
    blocks = [kit.section("é" * 2900, block_id=f"b{i}") for i in range(95)]
    view = kit.modal(title="Big", callback_id="cb", blocks=blocks)
    with pytest.raises(SlackLimitError, match="bytes"):
        validate_modal(view)


def test_slack_sdk_models_are_consulted() -> None:
    # image blocks are only checked by slack_sdk: alt_text is mandatory there
    with pytest.raises(SlackLimitError, match="slack_sdk"):
        validate_message(
            {
                "text": "t",
                "blocks": [{"type": "image", "image_url": "https://x.example/a.png", "alt_text": "a" * 2001}],
            }
        )


def test_kit_keeps_fixed_size_parts_within_limits() -> None:
    long = "&<>" * 1000
    message = {
        "text": "t",
        "blocks": [
            kit.header(long),
            kit.section(
                long, accessory=kit.button(long, "b", confirm=kit.confirm_dialog(long, long, long, long))
            ),
            kit.section(fields=[long] * 12),
            kit.context(*([long] * 12)),
            kit.actions(kit.static_select("s", long, [kit.option(long, "v", description=long)])),
        ],
    }
    validate_message(message)
    view = kit.modal(
        title=long,
        callback_id="c",
        submit=long,
        close=long,
        blocks=[
            kit.input_block("i", long, kit.text_input("a", initial_value=long, max_length=10), hint=long)
        ],
    )
    validate_modal(view)

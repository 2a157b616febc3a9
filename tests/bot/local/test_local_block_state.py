"""`view_state` reports a member's input in the shape Slack uses for each element type."""

from __future__ import annotations

from typing import Any

import pytest
from fakeslack_samples import BOARDS, FLAGS, KINDS, create_modal, input_block, option

from bot.local import element_state, view_state


def test_untouched_inputs_report_their_initial_values() -> None:
    values = view_state(create_modal())
    assert values["summary"]["value"] == {"type": "plain_text_input", "value": None}
    assert values["board"]["value"] == {"type": "static_select", "selected_option": BOARDS[0]}
    assert values["company"]["value"] == {"type": "external_select", "selected_option": None}
    assert values["assignee"]["value"] == {"type": "users_select", "selected_user": None}
    assert values["flags"]["value"] == {"type": "checkboxes", "selected_options": None}
    assert values["due"]["value"] == {"type": "datepicker", "selected_date": None}


def test_each_element_type_gets_its_own_value_shape() -> None:
    typed = view_state(
        create_modal(),
        {
            "summary": {"value": "Printer jam"},
            "board": {"value": "2"},
            "company": {"value": "Acme"},
            "assignee": {"value": "U0ENGINEER"},
            "flags": {"value": ["urgent", "billable"]},
            "kind": {"value": "request"},
            "due": {"value": "2026-08-01"},
        },
    )
    assert typed["summary"]["value"]["value"] == "Printer jam"
    assert typed["board"]["value"]["selected_option"] == BOARDS[1]
    assert typed["company"]["value"]["selected_option"] == {
        "text": {"type": "plain_text", "text": "Acme", "emoji": True},
        "value": "Acme",
    }
    assert typed["assignee"]["value"]["selected_user"] == "U0ENGINEER"
    assert typed["flags"]["value"]["selected_options"] == FLAGS
    assert typed["kind"]["value"] == {"type": "radio_buttons", "selected_option": KINDS[1]}
    assert typed["due"]["value"]["selected_date"] == "2026-08-01"


@pytest.mark.parametrize(
    ("element", "value", "expected"),
    [
        ({"type": "multi_users_select"}, ["U1", "U2"], {"selected_users": ["U1", "U2"]}),
        ({"type": "conversations_select"}, "C1", {"selected_conversation": "C1"}),
        ({"type": "channels_select"}, "C1", {"selected_channel": "C1"}),
        ({"type": "number_input", "is_decimal_allowed": False}, 3, {"value": "3"}),
        ({"type": "timepicker"}, "09:30", {"selected_time": "09:30"}),
        ({"type": "datetimepicker"}, "1767225600", {"selected_date_time": 1767225600}),
        ({"type": "multi_static_select", "options": BOARDS}, ["2"], {"selected_options": [BOARDS[1]]}),
        (
            {"type": "rich_text_input"},
            "hi",
            {
                "rich_text_value": {
                    "type": "rich_text",
                    "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": "hi"}]}],
                }
            },
        ),
    ],
)
def test_other_input_elements(element: dict[str, Any], value: Any, expected: dict[str, Any]) -> None:
    element = {**element, "action_id": "a"}
    assert element_state(element, value) == {"type": element["type"], **expected}


def test_recorded_state_is_kept_unless_overwritten() -> None:
    view = create_modal()
    view["state"] = {"values": {"summary": {"value": {"type": "plain_text_input", "value": "typed before"}}}}
    values = view_state(view, {"kind": {"value": "incident"}})
    assert values["summary"]["value"]["value"] == "typed before"
    assert values["kind"]["value"]["selected_option"] == KINDS[0]


def test_values_the_member_could_not_enter_are_refused() -> None:
    with pytest.raises(ValueError, match="no input"):
        view_state(create_modal(), {"sumary": {"value": "typo in block id"}})
    with pytest.raises(ValueError, match="offers no option '9'"):
        view_state(create_modal(), {"board": {"value": "9"}})
    with pytest.raises(ValueError, match="hold no value"):
        element_state({"type": "button", "action_id": "b"}, "x")


def test_option_groups_and_section_accessories_count() -> None:
    grouped = {
        "type": "static_select",
        "action_id": "pick",
        "option_groups": [{"label": {"type": "plain_text", "text": "G"}, "options": [option("Deep", "d")]}],
    }
    blocks = [
        {"type": "section", "block_id": "s", "text": {"type": "mrkdwn", "text": "x"}, "accessory": grouped},
        input_block("plain", {"type": "plain_text_input", "action_id": "v", "initial_value": "pre"}),
    ]
    values = view_state(blocks, {"s": {"pick": "d"}})
    assert values["s"]["pick"]["selected_option"]["value"] == "d"
    assert values["plain"]["v"]["value"] == "pre"

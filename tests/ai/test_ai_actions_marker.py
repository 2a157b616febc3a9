"""The `[ACTIONS]` marker parser: the spec's format, what models really emit, and never an exception."""

from __future__ import annotations

import json

from fuzz_budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from ai.actions import (
    DESCRIPTION_MAX,
    LABEL_MAX,
    SPIN_OFF_COMMAND,
    Action,
    format_actions_marker,
    parse_actions_marker,
)

SPEC_EXAMPLE = """Looks like the printer is a separate problem.
[ACTIONS]
[
{
"label": "Create ticket: Printer offline on 2nd floor",
"command": "create_spin_off_ticket",
"description": "Printer offline on 2nd floor"
}
]
[/ACTIONS]"""

PRINTER = Action(
    label="Create ticket: Printer offline on 2nd floor",
    command=SPIN_OFF_COMMAND,
    description="Printer offline on 2nd floor",
)


def test_the_spec_example_gives_one_spin_off_action() -> None:
    assert parse_actions_marker(SPEC_EXAMPLE) == [PRINTER]


def test_format_and_parse_round_trip() -> None:
    assert parse_actions_marker(format_actions_marker([PRINTER])) == [PRINTER]


def test_a_missing_closing_marker_still_parses() -> None:
    text = '[ACTIONS]\n[{"label": "Create ticket: VPN drops", "command": "create_spin_off_ticket", '
    text += '"description": "VPN drops every 10 minutes"}]'
    assert [a.description for a in parse_actions_marker(text)] == ["VPN drops every 10 minutes"]


def test_code_fences_and_trailing_commas_are_tolerated() -> None:
    text = (
        "[ACTIONS]\n```json\n"
        '[{"label": "Create ticket: Printer offline on 2nd floor", "command": "create_spin_off_ticket", '
        '"description": "Printer offline on 2nd floor",},]\n```\n[/ACTIONS]'
    )
    assert parse_actions_marker(text) == [PRINTER]


def test_a_single_object_instead_of_an_array_is_accepted() -> None:
    body = json.dumps(PRINTER.model_dump())
    assert parse_actions_marker(f"[ACTIONS] {body} [/ACTIONS]") == [PRINTER]


def test_prose_around_and_inside_the_block_is_ignored() -> None:
    body = json.dumps([PRINTER.model_dump()])
    text = f"I think so.\n[ACTIONS]\nHere you go: {body}\nHope that helps!\n[/ACTIONS]\nAnything else?"
    assert parse_actions_marker(text) == [PRINTER]


def test_unknown_commands_are_dropped_and_known_ones_kept() -> None:
    items = [
        {"label": "Delete all tickets", "command": "delete_everything", "description": "x"},
        PRINTER.model_dump(),
        {"label": "Run", "command": "shell", "description": "rm -rf /"},
    ]
    assert parse_actions_marker(f"[ACTIONS]{json.dumps(items)}[/ACTIONS]") == [PRINTER]


def test_over_long_fields_are_trimmed_to_fit_a_slack_button() -> None:
    item = {"label": "Create ticket: " + "x" * 300, "command": SPIN_OFF_COMMAND, "description": "y" * 5000}
    (action,) = parse_actions_marker(f"[ACTIONS][{json.dumps(item)}][/ACTIONS]")
    assert len(action.label) <= LABEL_MAX and action.label.endswith("…")
    assert len(action.description) <= DESCRIPTION_MAX


def test_a_missing_label_is_built_from_the_description_and_vice_versa() -> None:
    no_label = {"command": SPIN_OFF_COMMAND, "description": "Scanner offline at reception"}
    no_description = {"command": SPIN_OFF_COMMAND, "label": "Create ticket: Wifi slow in warehouse"}
    actions = parse_actions_marker(f"[ACTIONS]{json.dumps([no_label, no_description])}[/ACTIONS]")
    assert [(a.label, a.description) for a in actions] == [
        ("Create ticket: Scanner offline at reception", "Scanner offline at reception"),
        ("Create ticket: Wifi slow in warehouse", "Wifi slow in warehouse"),
    ]


def test_python_style_quotes_from_a_sloppy_model_are_understood() -> None:
    text = "[ACTIONS]\n[{'label': 'Create ticket: VPN', 'command': 'create_spin_off_ticket', "
    text += "'description': 'VPN'}]"
    assert [a.description for a in parse_actions_marker(text)] == ["VPN"]


def test_garbage_and_empty_answers_give_no_actions() -> None:
    for text in [
        "",
        "Nothing separate here.",
        "[ACTIONS][/ACTIONS]",
        "[ACTIONS] {{{ [/ACTIONS]",
        "[ACTIONS] null",
    ]:
        assert parse_actions_marker(text) == []
    assert parse_actions_marker(None) == []
    assert parse_actions_marker('[ACTIONS] ["a", 1, null, {"command": 5}] [/ACTIONS]') == []


def test_without_the_marker_a_bare_json_array_is_not_an_action() -> None:
    assert parse_actions_marker(json.dumps([PRINTER.model_dump()])) == []


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
_fragments = st.sampled_from(
    [
        "[ACTIONS]",
        "[/ACTIONS]",
        "```json",
        "```",
        "[",
        "]",
        "{",
        "}",
        ",",
        '"',
        "'",
        ":",
        "\n",
        "label",
        "command",
    ]
)


@settings(max_examples=examples(150), deadline=None)
@given(st.lists(st.one_of(st.text(max_size=40), _fragments), max_size=30).map("".join))
def test_never_raises_on_arbitrary_text(text: str) -> None:
    actions = parse_actions_marker(text)
    assert all(a.command == SPIN_OFF_COMMAND and len(a.label) <= LABEL_MAX for a in actions)


@settings(max_examples=examples(200), deadline=None)
@given(_json_values, st.booleans(), st.booleans())
def test_never_raises_on_arbitrary_json_inside_the_marker(value: object, fenced: bool, closed: bool) -> None:
    body = json.dumps(value)
    if fenced:
        body = f"```json\n{body}\n```"
    actions = parse_actions_marker(f"[ACTIONS]\n{body}\n" + ("[/ACTIONS]" if closed else ""))
    assert all(a.command == SPIN_OFF_COMMAND for a in actions)


@settings(max_examples=examples(100), deadline=None)
@given(
    st.text(min_size=1, max_size=600).filter(lambda s: s.strip()),
    st.text(max_size=200),
    st.text(max_size=200),
)
def test_any_well_formed_spin_off_survives_with_fields_within_limits(
    description: str, before: str, after: str
) -> None:
    item = {"label": f"Create ticket: {description}", "command": SPIN_OFF_COMMAND, "description": description}
    before = before.replace("[", "(")  # prose that does not itself open another block
    actions = parse_actions_marker(f"{before}[ACTIONS]{json.dumps([item])}[/ACTIONS]{after}")
    assert len(actions) == 1
    assert actions[0].description.startswith(" ".join(description.split())[: DESCRIPTION_MAX - 1].rstrip())
    assert len(actions[0].label) <= LABEL_MAX and len(actions[0].description) <= DESCRIPTION_MAX

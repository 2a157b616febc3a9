"""The new-ticket modal: tabs, parse review, dependent statuses, and typing that survives re-renders."""

from __future__ import annotations

from typing import Any

from fuzz_budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from views_testkit import (
    BOARDS,
    MEMBERS,
    PRIORITIES,
    STATUSES,
    all_text,
    assert_no_live_mentions,
    find_block,
    hostile_text,
    option_values,
    slack_submit,
)

from bot.ids import Callback, CreateAction, CreateBlock, create_block_id
from bot.state import DraftRef, Origin, TicketDraft, merge_typed
from bot.state.codec import decode
from bot.views.create_modal import (
    create_modal,
    created_view,
    creating_view,
    field_block_id,
    form_errors,
    parsing_view,
)
from bot.views.limits import validate_modal
from psa.models import Member, PSAResource, PSATicketCreated


def render(draft: TicketDraft, **kw: Any) -> dict[str, Any]:
    statuses = [s for s in STATUSES if s.board_id == draft.board_id]
    view = create_modal(
        draft,
        boards=BOARDS,
        statuses=kw.pop("statuses", statuses),
        priorities=PRIORITIES,
        members=kw.pop("members", MEMBERS),
        mapped_member_ids=kw.pop("mapped", {101}),
        **kw,
    )
    validate_modal(view)
    return view


def _opt(text: str, value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text, "emoji": True}, "value": value}


def test_quick_create_before_parse_shows_only_the_prompt() -> None:
    view = render(TicketDraft.start(tab="quick", prompt="Acme printer offline"))
    assert view["title"]["text"] == "New ticket" and view["submit"]["text"] == "Create ticket"
    assert view["callback_id"] == Callback.CREATE
    tabs = {e["action_id"]: e for e in find_block(view, CreateBlock.TABS)["elements"]}
    assert tabs[CreateAction.TAB_QUICK].get("style") == "primary"
    assert "style" not in tabs[CreateAction.TAB_FULL]
    prompt = find_block(view, CreateBlock.PROMPT)
    assert prompt["element"]["initial_value"] == "Acme printer offline"
    assert find_block(view, CreateBlock.PARSE)["elements"][0]["action_id"] == CreateAction.PARSE
    assert not any(b.get("block_id", "").startswith(CreateBlock.SUMMARY) for b in view["blocks"])


def test_after_a_parse_the_form_is_prefilled_and_missing_fields_are_marked() -> None:
    draft = TicketDraft.start(tab="quick", prompt="Outlook not syncing for Acme, high").with_prefill(
        summary="Outlook not syncing",
        company_id=7,
        company_name="Acme Corp",
        priority_id=2,
        missing_fields=["board_id", "status_id"],
        warnings=["Could not determine board from context"],
    )
    view = render(draft)
    text = all_text(view)
    assert "⚠️ *Still needed:* Board, Status" in text
    assert "⚠️ Could not determine board from context" in text
    summary = find_block(view, create_block_id(CreateBlock.SUMMARY, draft.rev))
    assert summary["element"]["initial_value"] == "Outlook not syncing"
    board = find_block(view, create_block_id(CreateBlock.BOARD, draft.rev))
    assert board["label"]["text"] == "Board — required"
    assert "initial_option" not in board["element"]
    company = find_block(view, create_block_id(CreateBlock.COMPANY, draft.rev))["element"]
    assert company["type"] == "external_select" and company["min_query_length"] == 0
    assert company["initial_option"]["text"]["text"] == "Acme Corp"
    priority = find_block(view, create_block_id(CreateBlock.PRIORITY, draft.rev))["element"]
    assert priority["initial_option"]["value"] == "2"
    assert "Pick a board to see its statuses." in text


def test_full_form_fields() -> None:
    draft = TicketDraft.start(tab="full", board_id=1)
    view = render(draft)
    assert not any(b.get("block_id") == CreateBlock.PROMPT for b in view["blocks"])
    summary = find_block(view, create_block_id(CreateBlock.SUMMARY, 0))["element"]
    assert summary["max_length"] == 100
    board = find_block(view, create_block_id(CreateBlock.BOARD, 0))
    assert board["dispatch_action"] is True
    assert option_values(board["element"]) == ["1", "2"]  # the inactive board is not offered
    status = find_block(view, create_block_id(CreateBlock.STATUS, 0, 1))
    assert option_values(status["element"]) == ["11", "12", "13"]
    assert status["element"]["initial_option"]["text"]["text"] == "New"  # the board's default
    priority = find_block(view, create_block_id(CreateBlock.PRIORITY, 0))["element"]
    assert priority["initial_option"]["value"] == "3"  # the PSA's default priority
    assignee = find_block(view, create_block_id(CreateBlock.ASSIGNEE, 0))
    assert assignee["optional"] is True
    labels = [o["text"]["text"] for o in assignee["element"]["options"]]
    assert labels == ["★ Jordan Doe", "Alex Smith", "Casey Zed"]  # mapped first; inactive hidden
    assert find_block(view, create_block_id(CreateBlock.DESCRIPTION, 0))["element"]["multiline"] is True


def test_changing_board_gives_the_new_boards_statuses_under_a_new_block_id() -> None:
    shown = TicketDraft.start(tab="full", board_id=1, status_id=12)
    picked = slack_submit(render(shown), {CreateAction.BOARD: _opt("Projects", "2")})
    draft = merge_typed(shown, picked)
    assert (draft.board_id, draft.status_id) == (2, None)
    again = render(draft)
    status = find_block(again, create_block_id(CreateBlock.STATUS, draft.rev, 2))
    assert option_values(status["element"]) == ["21", "22"]
    assert not any(b.get("block_id") == create_block_id(CreateBlock.STATUS, 0, 1) for b in again["blocks"])


def test_typing_survives_a_tab_switch_and_back() -> None:
    start = TicketDraft.start(tab="full")
    view = render(start)
    typed = slack_submit(
        view,
        {
            CreateAction.SUMMARY: "VPN drops every hour",
            CreateAction.DESCRIPTION: "Since Monday. " * 100,
            CreateAction.COMPANY: _opt("Acme Corp", "7"),
        },
    )
    on_quick = merge_typed(start, typed).switch_tab("quick")
    quick = render(on_quick)
    # the filled form stays visible under the prompt on Quick Create, with what was typed
    assert (
        find_block(quick, create_block_id(CreateBlock.SUMMARY, 0))["element"]["initial_value"]
        == "VPN drops every hour"
    )
    typed_quick = slack_submit(quick, {CreateAction.PROMPT: "also the printer"})
    on_full = merge_typed(on_quick, typed_quick).switch_tab("full")
    back = merge_typed(on_full, slack_submit(render(on_full)))
    assert back.summary == "VPN drops every hour"
    assert back.description == "Since Monday. " * 100
    assert (back.company_id, back.company_name) == (7, "Acme Corp")
    assert back.prompt == "also the printer"  # kept in the draft while its input is hidden
    assert back.idempotency_key == start.idempotency_key


def test_a_parse_overwrites_the_form_with_new_block_ids() -> None:
    draft = TicketDraft.start(tab="quick", prompt="x").with_prefill(summary="first guess")
    view = render(draft)
    typed = merge_typed(draft, slack_submit(view, {CreateAction.PROMPT: "better words"}))
    reparsed = typed.with_prefill(summary="second guess")
    again = render(reparsed)
    block = find_block(again, create_block_id(CreateBlock.SUMMARY, reparsed.rev))
    assert block["block_id"] != create_block_id(CreateBlock.SUMMARY, draft.rev)
    assert block["element"]["initial_value"] == "second guess"


def test_field_errors_map_to_the_inputs_and_show_inline() -> None:
    draft = TicketDraft.start(tab="full", board_id=1)
    errors = {"summary": "Add a summary.", "priority": "Pick a priority."}
    mapped = form_errors(draft, errors)
    assert mapped == {
        create_block_id(CreateBlock.SUMMARY, 0): "Add a summary.",
        create_block_id(CreateBlock.PRIORITY, 0): "Pick a priority.",
    }
    view = render(
        draft, errors=errors, banner="ConnectWise refused the ticket: board is closed. Nothing was created."
    )
    text = all_text(view)
    assert "⚠️ Add a summary." in text and "⚠️ Pick a priority." in text
    assert view["blocks"][1]["text"]["text"].startswith("⚠️ ConnectWise refused the ticket")
    assert field_block_id(TicketDraft.start(tab="full"), "status_id") == create_block_id(CreateBlock.BOARD, 0)


def test_many_members_use_a_searchable_select() -> None:
    members = [Member(id=i, identifier=f"m{i}", name=f"Member {i}") for i in range(1, 150)]
    draft = TicketDraft.start(tab="full", assigned_member_id=42, assigned_member_name="Member 42")
    element = find_block(render(draft, members=members), create_block_id(CreateBlock.ASSIGNEE, 0))["element"]
    assert element["type"] == "external_select"
    assert element["initial_option"]["value"] == "42"


def test_origin_thread_is_mentioned() -> None:
    draft = TicketDraft.start(tab="quick", origin=Origin(channel_id="C1", thread_ts="1.2"))
    assert "linked to the Slack thread" in all_text(render(draft))


def test_progress_views_carry_the_draft() -> None:
    draft = TicketDraft.start(tab="quick", prompt="Printer offline on floor 2 <!here>").with_prefill(
        summary="Printer"
    )
    parsing = parsing_view(draft)
    validate_modal(parsing)
    assert "Parsing…" in all_text(parsing) and "Printer offline on floor 2 &lt;!here&gt;" in all_text(parsing)
    assert decode(DraftRef, parsing["private_metadata"]).key == draft.idempotency_key
    creating = creating_view(draft)
    validate_modal(creating)
    assert "Creating ticket…" in all_text(creating)
    assert "submit" not in creating


def test_created_view() -> None:
    created = PSATicketCreated(
        id=1042,
        summary="Outlook not syncing",
        board_name="Help Desk",
        status_name="New",
        priority_name="High",
        company_name="Acme",
        resources=[PSAResource(member_id=1, member_name="Jordan Doe", member_identifier="jdoe")],
    )
    view = created_view(created, "https://cw.example/ticket?id=1042")
    validate_modal(view)
    text = all_text(view)
    assert "✅ *Ticket #1042 created in ConnectWise*" in text and "Jordan Doe" in text
    buttons = view["blocks"][-1]["elements"]
    assert buttons[0]["action_id"] == CreateAction.OPEN_CREATED and buttons[0]["value"] == "1042"
    assert buttons[1]["url"] == "https://cw.example/ticket?id=1042"


@settings(max_examples=examples(30), deadline=None)
@given(
    tab=st.sampled_from(["quick", "full"]),
    text=hostile_text,
    warnings=st.lists(hostile_text, max_size=15),
    missing=st.lists(
        st.sampled_from(["summary", "company_id", "board", "status_id", "priority_id", "x"]), max_size=6
    ),
    board=st.sampled_from([None, 1, 2, 99]),
)
def test_any_draft_renders_within_limits(
    tab: str, text: str, warnings: list[str], missing: list[str], board: int | None
) -> None:
    draft = TicketDraft.start(
        tab=tab,  # type: ignore[arg-type]
        prompt=text * 200,
        summary=text * 10,
        description=text * 500,
        company_id=7,
        company_name=text * 20,
        board_id=board,
        warnings=[w * 30 for w in warnings],
        missing_fields=missing,
        assigned_member_id=555,
        assigned_member_name=text,
    )
    for candidate in (draft, draft.with_prefill(summary=text)):
        view = render(candidate, errors={m: text * 100 or "x" for m in missing}, banner=text * 300 or None)
        assert_no_live_mentions(view)
        assert len(view["private_metadata"]) <= 3000
        validate_modal(parsing_view(candidate))

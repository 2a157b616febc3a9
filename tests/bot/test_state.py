"""View state: round trips, Slack's size limits, and merging what the user typed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fuzz_budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.ids import (
    CreateAction,
    CreateBlock,
    DetailAction,
    create_block_id,
    note_block_id,
    note_internal_block_id,
)
from bot.state import (
    BUTTON_VALUE_MAX,
    METADATA_MAX,
    DetailState,
    DraftRef,
    ListRef,
    ListState,
    Origin,
    SearchModalState,
    StateError,
    TicketDraft,
    merge_typed,
    note_from_view,
)
from bot.state.codec import decode
from psa.models import TicketFilters

ids = st.none() | st.integers(min_value=1, max_value=2**31 - 1)
filters = st.builds(
    TicketFilters,
    search=st.text(max_size=300),
    board_id=ids,
    status_id=ids,
    priority_id=ids,
    company_id=ids,
    assigned=st.sampled_from(["me", "unassigned", "all"]) | st.integers(min_value=1, max_value=99999),
    include_closed=st.booleans(),
)
list_states = st.builds(
    ListState,
    filters=filters,
    page=st.integers(min_value=1, max_value=10_000),
    page_size=st.integers(min_value=1, max_value=100),
)


@settings(max_examples=examples(200))
@given(list_states)
def test_list_state_round_trips_whole_or_is_refused_never_cut(state: ListState) -> None:
    try:
        encoded = state.encode()
    except StateError:
        assert len(state.model_dump_json(by_alias=True, exclude_defaults=True)) > BUTTON_VALUE_MAX
        return
    assert len(encoded) <= BUTTON_VALUE_MAX
    assert ListState.decode(encoded) == state


def test_the_codec_leaves_defaults_out_and_uses_short_names() -> None:
    assert ListState.mine().encode() == '{"f":{"assigned":"me"}}'
    assert ListRef(list_id="L1", page=2).encode() == '{"l":"L1","p":2}'
    with pytest.raises(StateError):
        ListState(filters=TicketFilters(search='"<&>' * 3000)).encode()


def test_changing_a_filter_goes_back_to_page_one() -> None:
    state = ListState.mine().with_page(4)
    changed = state.with_filter(priority_id=2)
    assert changed.page == 1
    assert changed.filters.priority_id == 2
    assert changed.filters.assigned == "me"


def test_company_name_follows_the_company_filter() -> None:
    state = ListState().with_filter(company_id=7, company_name="Acme")
    assert ListState.decode(state.encode()).company_name == "Acme"
    assert state.with_filter(company_id=8).company_name is None
    assert state.with_filter(priority_id=1).company_name == "Acme"


def test_with_filter_rejects_unknown_names() -> None:
    with pytest.raises(TypeError):
        ListState().with_filter(colour="red")


def test_mine_is_recognised() -> None:
    assert ListState.mine().is_mine
    assert not ListState.mine().with_filter(search="x").is_mine
    assert not ListState().is_mine


@pytest.mark.parametrize(
    "raw", [None, "", "nope", "[1]", '{"p": 0}', '{"f": {"assigned": "everyone"}}', '{"f": 1}']
)
def test_decoding_garbage_raises_state_error(raw: str | None) -> None:
    with pytest.raises(StateError):
        ListState.decode(raw)


def test_search_modal_state_round_trips_and_fits() -> None:
    meta = SearchModalState(list_id="L1", response_url="https://hooks.slack.com/actions/T1/2/abc")
    encoded = meta.encode()
    assert len(encoded) <= METADATA_MAX
    assert SearchModalState.decode(encoded) == meta


def test_detail_state_round_trips_within_metadata_limit() -> None:
    state = DetailState(
        ticket_id=1042,
        list_id="L1",
        origin=Origin(channel_id="C1", thread_ts="1700000000.000100"),
        response_url="https://hooks.slack.com/actions/T1/2/abc",
        note_rev=2,
    )
    encoded = state.encode()
    assert len(encoded) <= METADATA_MAX
    assert DetailState.decode(encoded) == state


def _view(meta: str, values: dict[str, Any]) -> dict[str, Any]:
    return {"private_metadata": meta, "state": {"values": values}}


def test_note_from_view_reads_text_and_internal_flag() -> None:
    state = DetailState(ticket_id=5, note_rev=1)
    view = _view(
        state.encode(),
        {
            note_block_id(1): {
                DetailAction.NOTE_TEXT: {"type": "plain_text_input", "value": "  rebooted it  "}
            },
            note_internal_block_id(1): {
                DetailAction.NOTE_INTERNAL: {"type": "checkboxes", "selected_options": []}
            },
            note_block_id(0): {DetailAction.NOTE_TEXT: {"type": "plain_text_input", "value": "old, cleared"}},
        },
    )
    got_state, note = note_from_view(view)
    assert got_state.ticket_id == 5
    assert note.text == "rebooted it"
    assert note.internal is False


def test_draft_start_mints_an_idempotency_key() -> None:
    a, b = TicketDraft.start(), TicketDraft.start()
    assert a.idempotency_key and a.idempotency_key != b.idempotency_key
    assert decode(DraftRef, a.encode()).key == a.idempotency_key


def test_draft_metadata_carries_only_the_key_and_the_snapshot_id() -> None:
    draft = TicketDraft.start(tab="full", summary="Printer down", description="d" * 2900, prompt="p" * 2900)
    draft = draft.model_copy(update={"snapshot": "abc123"})
    assert json.loads(draft.encode()) == {"k": draft.idempotency_key, "s": "abc123"}


@settings(max_examples=examples(50))
@given(
    prompt=st.text(min_size=0, max_size=3000),
    warnings=st.lists(st.text(max_size=1000), max_size=20),
    name=st.text(max_size=500),
    tab=st.sampled_from(["quick", "full"]),
)
def test_a_stored_draft_comes_back_whole_and_its_metadata_always_fits(
    prompt: str, warnings: list[str], name: str, tab: str
) -> None:
    draft = TicketDraft.start(
        tab=tab,  # type: ignore[arg-type]
        prompt=prompt,
        company_id=1,
        company_name=name,
        assigned_member_id=2,
        assigned_member_name=name,
        warnings=warnings,
        missing_fields=["board_id", "priority_id"],
        origin=Origin(channel_id="C1", thread_ts="1.2", message_ts="1.3"),
        suggestion_id="s" * 40,
    ).model_copy(update={"snapshot": "0123456789abcdef0123"})
    assert len(draft.encode()) <= METADATA_MAX
    back = TicketDraft.model_validate_json(draft.stored_json())
    assert back == draft.model_copy(update={"snapshot": ""})  # nothing shortened


def test_draft_from_view_merges_typed_values_over_metadata() -> None:
    draft = TicketDraft.start(tab="full", company_id=7, company_name="Acme", board_id=1, status_id=11)
    rev = draft.rev
    values = {
        create_block_id(CreateBlock.SUMMARY, rev): {
            CreateAction.SUMMARY: {"type": "plain_text_input", "value": "VPN down"}
        },
        create_block_id(CreateBlock.BOARD, rev): {
            CreateAction.BOARD: {
                "type": "static_select",
                "selected_option": {"text": {"type": "plain_text", "text": "Help"}, "value": "1"},
            }
        },
        create_block_id(CreateBlock.PRIORITY, rev): {
            CreateAction.PRIORITY: {
                "type": "static_select",
                "selected_option": {"text": {"type": "plain_text", "text": "High"}, "value": "2"},
            }
        },
        create_block_id(CreateBlock.COMPANY, rev): {
            CreateAction.COMPANY: {"type": "external_select", "selected_option": None}
        },
    }
    merged = merge_typed(draft, _view(draft.encode(), values))
    assert merged.summary == "VPN down"
    assert merged.priority_id == 2
    assert merged.status_id == 11  # untouched: still the metadata's
    assert merged.company_id is None and merged.company_name is None  # the user cleared it
    assert merged.idempotency_key == draft.idempotency_key


def test_changing_the_board_drops_the_old_boards_status() -> None:
    draft = TicketDraft.start(tab="full", board_id=1, status_id=11)
    values = {
        create_block_id(CreateBlock.BOARD, 0): {
            CreateAction.BOARD: {
                "type": "static_select",
                "selected_option": {"text": {"type": "plain_text", "text": "P"}, "value": "2"},
            }
        },
        create_block_id(CreateBlock.STATUS, 0, 1): {
            CreateAction.STATUS: {
                "type": "static_select",
                "selected_option": {"text": {"type": "plain_text", "text": "New"}, "value": "11"},
            }
        },
    }
    merged = merge_typed(draft, _view(draft.encode(), values))
    assert merged.board_id == 2
    assert merged.status_id is None


def test_prefill_bumps_the_revision_and_keeps_what_it_does_not_know() -> None:
    draft = TicketDraft.start(tab="quick", prompt="x", board_id=1, status_id=11)
    filled = draft.with_prefill(
        summary="s" * 300, board_id=None, priority_id=2, missing_fields=["board_id"], warnings=["w"]
    )
    assert filled.rev == draft.rev + 1 and filled.reviewing
    assert filled.summary == "s" * 100
    assert (filled.board_id, filled.status_id, filled.priority_id) == (1, 11, 2)
    assert filled.with_prefill(board_id=2).status_id is None


def test_draft_payload_needs_every_required_field() -> None:
    draft = TicketDraft.start(summary="Printer", company_id=1, board_id=1, status_id=11)
    assert draft.missing() == {"priority_id": "Pick a priority."}
    with pytest.raises(StateError):
        draft.to_payload()
    payload = draft.model_copy(update={"priority_id": 3, "description": "  "}).to_payload()
    assert payload.priority_id == 3 and payload.description is None


def test_missing_fields_shrink_as_the_user_fills_them() -> None:
    draft = TicketDraft.start(tab="full", missing_fields=["priority_id", "board_id"])
    values = {
        create_block_id(CreateBlock.PRIORITY, 0): {
            CreateAction.PRIORITY: {
                "type": "static_select",
                "selected_option": {"text": {"type": "plain_text", "text": "H"}, "value": "2"},
            }
        }
    }
    assert merge_typed(draft, _view(draft.encode(), values)).missing_fields == ["board_id"]

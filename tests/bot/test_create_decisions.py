"""Pure decisions of ticket creation: the opening tab, where errors go, which failures are unsure."""

from __future__ import annotations

from bot.flows.create.open import start_draft
from bot.flows.create.reconcile import UNCERTAIN, is_uncertain
from bot.flows.create.submit import errors_decision
from bot.ids import CreateBlock, create_block_id
from bot.rowcache import RowCache
from bot.state import Origin, TicketDraft
from bot.views.create_modal import create_modal
from psa.errors import PSANotFoundError, PSARateLimitedError, PSAUnavailableError, PSAValidationError
from psa.models import Board, BoardStatus, Priority, PSATicketSearchResult, Ref

TEAM = "T1"


def _start(rows: RowCache | None = None, **kw: object) -> TicketDraft:
    args: dict[str, object] = {
        "prompt": None,
        "origin": None,
        "tab": None,
        "parent_ticket_id": None,
        "initial": None,
        "suggestion_id": None,
        **kw,
    }
    return start_draft(rows or RowCache(), TEAM, **args)  # type: ignore[arg-type]


def test_a_prompt_or_a_suggestion_opens_quick_create_otherwise_the_full_form() -> None:
    assert _start(prompt="printer jam").tab == "quick"
    assert _start(suggestion_id="s1").tab == "quick"
    assert _start().tab == "full"
    assert _start(prompt="   ").tab == "full"
    assert _start(prompt="printer jam", tab="full").tab == "full"


def test_every_opened_modal_gets_its_own_idempotency_key() -> None:
    keys = {_start().idempotency_key for _ in range(50)}
    assert len(keys) == 50 and all(len(k) >= 32 for k in keys)


def test_initial_values_prefill_company_and_board_and_keep_the_prompt_out_of_the_summary() -> None:
    draft = _start(
        prompt="scanner broke", initial={"company_id": "42", "board_id": 1, "company_name": "Acme"}
    )
    assert (draft.company_id, draft.company_name, draft.board_id) == (42, "Acme", 1)
    assert draft.summary is None and draft.prompt == "scanner broke"
    assert draft.reviewing  # the known values are shown on Quick Create too


def test_a_spin_off_takes_company_and_board_from_the_parent_row_but_never_invents_them() -> None:
    rows = RowCache()
    rows.remember(
        TEAM, [PSATicketSearchResult(id=7, summary="x", company=Ref(id=42, name="Acme"), board=Ref(id=3))]
    )
    draft = _start(rows, parent_ticket_id=7, origin=Origin(channel_id="C1"))
    assert (draft.company_id, draft.company_name, draft.board_id, draft.parent_ticket_id) == (
        42,
        "Acme",
        3,
        7,
    )
    unknown = _start(rows, parent_ticket_id=8)
    assert unknown.company_id is None and unknown.board_id is None


def test_errors_for_inputs_the_modal_does_not_show_go_on_the_summary() -> None:
    draft = TicketDraft.start(tab="full", board_id=1, summary="x", company_id=42, priority_id=3)
    # The board has no statuses, so there is no status input to attach "Pick a status" to.
    view = create_modal(
        draft,
        boards=[Board(id=1, name="Help Desk")],
        statuses=[],
        priorities=[Priority(id=3, name="Normal")],
        members=[],
    )
    decision = errors_decision(
        draft, view, {"status_id": "Pick a status.", "priority_id": "Pick a priority."}
    )
    errors = decision.ack()["errors"]
    assert decision.ack()["response_action"] == "errors"
    assert errors[create_block_id(CreateBlock.PRIORITY, draft.rev)] == "Pick a priority."
    assert "Status: Pick a status." in errors[create_block_id(CreateBlock.SUMMARY, draft.rev)]


def test_errors_for_shown_inputs_stay_on_them() -> None:
    draft = TicketDraft.start(tab="full", board_id=1)
    statuses = [BoardStatus(id=5, name="New", board_id=1, default=True)]
    view = create_modal(
        draft, boards=[Board(id=1, name="Help Desk")], statuses=statuses, priorities=[], members=[]
    )
    errors = errors_decision(draft, view, {"status_id": "Pick a status of this board."}).ack()["errors"]
    assert errors == {create_block_id(CreateBlock.STATUS, draft.rev, 1): "Pick a status of this board."}


def test_only_failures_after_the_request_may_have_reached_the_psa_are_uncertain() -> None:
    assert is_uncertain(PSAUnavailableError("ConnectWise did not answer in time (ReadTimeout)."))
    assert not is_uncertain(PSAValidationError("Summary is required", fields={"summary": "required"}))
    assert not is_uncertain(PSANotFoundError("no such board"))
    assert not is_uncertain(PSARateLimitedError("slow down", retry_after=5))
    assert (
        is_uncertain(f"{UNCERTAIN}ReadTimeout")
        and not is_uncertain("Summary is required")
        and not is_uncertain(None)
    )

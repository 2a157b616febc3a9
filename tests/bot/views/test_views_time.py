"""The time views — Work it modal, its outcomes, the quick-time answer — stay within Slack's limits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from fuzz_budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from views_testkit import HOSTILE

from bot.ids import DetailBlock, WorkField
from bot.state.codec import METADATA_MAX
from bot.state.work import WorkDraft, WorkMeta, draft_from_state
from bot.views import limits
from bot.views.time_messages import LoggedTime, quick_logged_message, time_problem_message
from bot.views.time_work import (
    NOTE_INPUT_MAX,
    PartResult,
    WorkForm,
    done_view,
    partial_banner,
    refill,
    saving_view,
    work_loading,
    work_view,
)
from psa.models import BoardStatus, MemberTimeDefaults, Ref, WorkRole, WorkType

NOW = datetime(2026, 5, 4, 18, 30, tzinfo=UTC)
META = WorkMeta(ticket_id=1604, key="work:" + "a" * 32, tz="America/New_York", board_id=1, closed_ids=[107])


def form(**changes: object) -> WorkForm:
    values: dict[str, object] = {
        "ticket_id": 1604,
        "summary": "Printer offline on 4th floor",
        "company_name": "Acme",
        "status_id": 102,
        "status_name": "In Progress",
        "statuses": [
            BoardStatus(id=101, name="New", board_id=1),
            BoardStatus(id=102, name="In Progress", board_id=1),
            BoardStatus(id=107, name="Closed", board_id=1, closed=True),
        ],
        "work_types": [WorkType(id=1, name="Remote Support", billable="billable")],
        "work_roles": [WorkRole(id=1, name="Technician")],
        "defaults": MemberTimeDefaults(member_id=17, work_type=Ref(id=1, name="Remote Support")),
        "contact_name": "Paul Mitchell",
        "today": date(2026, 5, 4),
        **changes,
    }
    return WorkForm.model_validate(values)


def state_of(view: dict[str, object], values: dict[str, dict[str, object]]) -> dict[str, object]:
    """A submitted view: its definition plus `state.values` as Slack sends them."""
    return {**view, "state": {"values": values}}


def test_the_modal_fits_with_huge_reference_data_and_hostile_names() -> None:
    big = form(
        summary="S" * 500 + " <!channel>",
        company_name="*bold* <@U1>",
        statuses=[BoardStatus(id=i, name=f"Status {i} " + "x" * 90, board_id=1) for i in range(300)],
        work_types=[WorkType(id=i, name=HOSTILE[i % len(HOSTILE)] + "y" * 90) for i in range(250)],
        work_roles=[WorkRole(id=i, name="r" * 200) for i in range(150)],
        contact_name="C" * 300,
    )
    view = work_view(big, WorkDraft(note="n" * 10_000, duration="1h15"), META, note_cut=True)
    limits.validate_modal(view)
    assert len(view["private_metadata"]) <= METADATA_MAX


def test_loading_saving_done_and_partial_views_fit() -> None:
    limits.validate_modal(work_loading(1604, META, "Printer <!here> offline"))
    limits.validate_modal(saving_view(META, ["the time", "the status"]))
    results = [
        PartResult(part="time", done=True, text="Time: 45m logged (Remote Support · Billable)"),
        PartResult(part="status", done=False, text="Status: not saved — “" + "<&>" * 800 + "”"),
    ]
    limits.validate_modal(done_view(META, results))
    view = work_view(form(), WorkDraft(), META)
    restored = refill(view, WorkDraft(duration="45m", note="x"), error=partial_banner(results))
    limits.validate_modal(restored)
    assert restored["blocks"][0]["block_id"] == DetailBlock.ERROR


def test_a_refilled_modal_shows_everything_that_was_typed() -> None:
    view = work_view(form(), WorkDraft(), META)
    typed = WorkDraft(
        duration="1h15",
        day=date(2026, 5, 3),
        work_type_id=1,
        work_role_id=1,
        billing="no_charge",
        note="Swapped the fuser.",
        note_target="internal",
        status_id=107,
        email_contact=True,
    )
    restored = refill(view, typed, error="Not done: Status")
    elements = {b["block_id"]: b["element"] for b in restored["blocks"] if b["type"] == "input"}
    values = {block: {block: _state_entry(element)} for block, element in elements.items()}
    assert draft_from_state(state_of(restored, values)) == typed


def _state_entry(element: dict[str, object]) -> dict[str, object]:
    kind = element["type"]
    if kind == "plain_text_input":
        return {"type": kind, "value": element.get("initial_value")}
    if kind == "datepicker":
        return {"type": kind, "selected_date": element.get("initial_date")}
    if kind == "checkboxes":
        return {"type": kind, "selected_options": element.get("initial_options") or []}
    return {"type": kind, "selected_option": element.get("initial_option")}


def test_a_fresh_modal_starts_with_the_engineers_default_work_type_and_keeps_the_status() -> None:
    view = work_view(form(), WorkDraft(), META)
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks[WorkField.WORK_TYPE]["element"]["initial_option"]["value"] == "1"
    assert blocks[WorkField.STATUS]["element"]["initial_option"]["value"] == "keep"
    assert blocks[WorkField.DAY]["element"]["initial_date"] == "2026-05-04"
    assert blocks[WorkField.NOTE]["element"]["max_length"] == NOTE_INPUT_MAX


def test_without_a_contact_there_is_no_e_mail_choice() -> None:
    view = work_view(form(contact_name=None), WorkDraft(), META)
    assert all(b.get("block_id") != WorkField.EMAIL for b in view["blocks"])


_TEXT = st.one_of(st.text(max_size=3000), st.sampled_from(HOSTILE))


@settings(max_examples=examples(100))
@given(summary=_TEXT, note=_TEXT, work_type=_TEXT)
def test_quick_answers_fit_whatever_the_text(summary: str, note: str, work_type: str) -> None:
    logged = LoggedTime(
        ticket_id=1604,
        start=NOW - timedelta(minutes=45),
        end=NOW,
        work_type=work_type,
        note=note,
        key="time:k",
    )
    for state in ("open", "too_late", "undone"):
        limits.validate_message(quick_logged_message(logged, undo=state))  # type: ignore[arg-type]
    limits.validate_message(time_problem_message(f"Couldn't log time: “{summary}”"))
    limits.validate_modal(work_view(form(summary=summary), WorkDraft(note=note[:NOTE_INPUT_MAX]), META))


def test_the_metadata_reads_back() -> None:
    assert WorkMeta.decode(META.encode()) == META


def test_the_detail_time_section_fits_and_never_reads_no_time_on_failure() -> None:
    from bot.views.time_section import TimeSection, time_blocks
    from psa.models import TimeEntry

    entries = [
        TimeEntry(
            id=i,
            member_name=HOSTILE[i % len(HOSTILE)] * 20,
            start=NOW - timedelta(hours=i + 1),
            end=NOW - timedelta(hours=i),
            hours=1.0,
            work_type=Ref(id=1, name="<!channel>" * 30),
        )
        for i in range(40)
    ]
    shown = time_blocks(TimeSection(entries=entries), 40.0, 1604)
    failed = time_blocks(TimeSection(failed=True), 2.5, 1604)
    empty = time_blocks(TimeSection(), 0.0, 1604)
    for blocks in (shown, failed, empty):
        limits.validate_message({"text": "t", "blocks": blocks})
    assert (
        "Couldn't load time entries" in failed[0]["text"]["text"]
        and "No time" not in failed[0]["text"]["text"]
    )
    assert "No time logged yet" in empty[0]["text"]["text"]
    assert time_blocks(None, 1.0, 1604) == []


def test_the_reminder_dm_and_home_line_fit_with_many_hostile_tickets() -> None:
    from bot.views.home import HomeState, home_view
    from bot.views.time_nudge import NudgeTicket, clock_label, nudge_home_blocks, nudge_message

    tickets = [
        NudgeTicket(ticket_id=1000 + i, summary=HOSTILE[i % len(HOSTILE)] * 50, status="<!here>" * 20)
        for i in range(60)
    ]
    message = nudge_message(tickets, more=7)
    limits.validate_message(message)
    assert "+ 47 more changed today" in str(message)
    limits.validate_home(home_view(HomeState(kind="empty", nudge_at=17 * 60 + 45, nudge_tz="Asia/Kolkata")))
    [line] = nudge_home_blocks(None, None)
    assert line["accessory"]["initial_option"]["value"] == "off"
    assert [clock_label(m) for m in (0, 15 * 60, 17 * 60 + 30, 12 * 60)] == [
        "12:00 AM",
        "3:00 PM",
        "5:30 PM",
        "12:00 PM",
    ]

"""The ticket detail modal: what an engineer sees, and that it survives any data."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fuzz_budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from views_testkit import (
    NOW,
    STATUSES,
    all_text,
    assert_no_live_mentions,
    find_block,
    hostile_text,
    make_ticket,
    option_values,
    slack_submit,
)

from bot.ids import Callback, DetailAction, DetailBlock, assignee_block_id, note_block_id
from bot.state import DetailState, note_from_view
from bot.views.limits import validate_modal
from bot.views.ticket_detail import DetailData, detail_loading, detail_view, status_notice
from psa.models import Company, Configuration, Contact, Note, PSAResource, Ref, TicketContext

BOARD_1 = [s for s in STATUSES if s.board_id == 1]


def note(i: int, text: str = "Rebooted the router", **kw: Any) -> Note:
    kw.setdefault("author_name", "Jordan Doe")
    return Note(id=i, ticket_id=1042, text=text, created_at=NOW - timedelta(hours=200 - i), **kw)


def detail(**changes: Any) -> DetailData:
    ctx = TicketContext(
        ticket=make_ticket(1042),
        company=Company(id=7, name="Acme Corp"),
        contact=Contact(id=3, name="Pat Customer", email="pat@acme.example", phone="+1 555 0100"),
        notes=[note(1, "First look"), note(2, "Second look", internal=True)],
        configurations=[Configuration(id=1, name="ACME-DC01", type_name="Server", ip_address="10.0.0.5")],
        related=[make_ticket(2001, summary="Printer jam"), make_ticket(2002, summary="VPN flaky")],
        url="https://na.myconnectwise.net/v4_6_release/services/system_io/Service/fv_sr100_request.rails?service_recid=1042&companyName=acme",
    )
    data: dict[str, Any] = {
        "context": ctx,
        "resources": [
            PSAResource(
                member_id=101,
                member_name="Jordan Doe",
                member_identifier="jdoe",
                is_rf_user=True,
                is_owner=True,
            ),
            PSAResource(member_id=102, member_name="Alex Smith", member_identifier="asmith"),
        ],
        "statuses": BOARD_1,
        "slack_users": {101: "U0JDOE"},
        "viewer_member_id": 101,
    }
    data.update(changes)
    return DetailData(**data)


def render(data: DetailData | None = None, **kw: Any) -> dict[str, Any]:
    view = detail_view(data or detail(), state=kw.pop("state", DetailState(ticket_id=1042)), now=NOW, **kw)
    validate_modal(view)
    return view


def test_loading_view_opens_with_what_the_row_knows() -> None:
    view = detail_loading(make_ticket(1042), state=DetailState(ticket_id=1042, list_id="L1"))
    validate_modal(view)
    text = all_text(view)
    assert view["title"]["text"] == "Ticket #1042"
    assert "#1042 · Outlook not syncing (1042)" in text
    assert "Acme Corp" in text and "Help Desk" in text and "🔴 Priority 1 - Emergency" in text
    assert "Loading details…" in text
    assert DetailState.decode(view["private_metadata"]).list_id == "L1"


def test_header_contact_and_age() -> None:
    text = all_text(render())
    assert "*Age*\n3d 4h" in text
    assert "*Pat Customer* · pat@acme.example · +1 555 0100" in text
    assert "*Status*\nNew" in text


def test_assignees_have_remove_buttons_and_mapped_ones_are_highlighted() -> None:
    view = render()
    me = find_block(view, assignee_block_id(101))
    assert me["text"]["text"] == "★ *Jordan Doe* (<@U0JDOE> — you) · _owner_"
    assert me["accessory"]["action_id"] == DetailAction.REMOVE_ASSIGNEE and me["accessory"]["value"] == "101"
    assert "Remove Jordan Doe from ticket #1042?" in me["accessory"]["confirm"]["text"]["text"]
    other = find_block(view, assignee_block_id(102))
    assert other["text"]["text"] == "Alex Smith"
    controls = {e["action_id"]: e for e in find_block(view, DetailBlock.CONTROLS)["elements"]}
    assert controls[DetailAction.ADD_ASSIGNEE]["type"] == "external_select"


def test_status_select_offers_the_boards_statuses_with_the_current_one_selected() -> None:
    controls = {e["action_id"]: e for e in find_block(render(), DetailBlock.CONTROLS)["elements"]}
    select = controls[DetailAction.STATUS]
    assert option_values(select) == ["11", "12", "13"]
    assert select["initial_option"]["value"] == "11"
    assert select["options"][2]["text"]["text"] == "Closed (closed)"


def test_notice_and_error_are_at_the_top() -> None:
    view = render(
        notice=status_notice("New", "In Progress"),
        error="ConnectWise is not answering; nothing was changed. Try again.",
    )
    assert view["blocks"][0]["block_id"] == DetailBlock.ERROR
    assert (
        "ConnectWise is not answering; nothing was changed. Try again." in view["blocks"][0]["text"]["text"]
    )
    assert view["blocks"][1]["text"]["text"] == "✅ Status: New → In Progress"


def test_notes_are_oldest_first_and_internal_ones_marked() -> None:
    text = all_text(render())
    assert text.index("First look") < text.index("Second look")
    assert "🔒 internal\nSecond look" in text


def test_many_notes_show_the_latest_with_an_earlier_count() -> None:
    notes = [note(i, f"note number {i} " + "x" * 10_000) for i in range(100)]
    view = render(detail(context=detail().context.model_copy(update={"notes": notes})))
    text = all_text(view)
    assert "note number 99 " in text
    assert "note number 0 " not in text
    assert "+ 80 earlier notes" in text
    assert len(view["blocks"]) <= 100


def test_note_composer_keeps_its_ids_and_the_draft() -> None:
    first = render(note_draft="half-typed")
    composer = find_block(first, note_block_id(0))
    assert composer["element"]["action_id"] == DetailAction.NOTE_TEXT
    assert composer["element"]["initial_value"] == "half-typed"
    second = render(notice="Assigned Alex")
    assert find_block(second, note_block_id(0))["block_id"] == composer["block_id"]
    # after a note is added the app bumps note_rev, which gives an empty composer
    cleared = render(state=DetailState(ticket_id=1042, note_rev=1))
    assert "initial_value" not in find_block(cleared, note_block_id(1))["element"]


def test_typed_note_is_read_back_from_the_view() -> None:
    view = slack_submit(render(), {DetailAction.NOTE_TEXT: "Replaced toner", DetailAction.NOTE_INTERNAL: []})
    state, draft = note_from_view(view)
    assert state.ticket_id == 1042
    assert draft.text == "Replaced toner" and draft.internal is False
    _, default = note_from_view(slack_submit(render(), {DetailAction.NOTE_TEXT: "x"}))
    assert default.internal is True


def test_configurations_related_and_actions() -> None:
    view = render()
    text = all_text(view)
    assert "• *ACME-DC01* — Server · 10.0.0.5" in text
    related = find_block(view, f"{DetailBlock.RELATED}.2001")
    assert (
        related["accessory"]["action_id"] == DetailAction.RELATED_OPEN
        and related["accessory"]["value"] == "2001"
    )
    buttons = {e["action_id"]: e for e in find_block(view, DetailBlock.ACTIONS)["elements"]}
    assert buttons[DetailAction.OPEN_IN_PSA]["url"].startswith("https://na.myconnectwise.net/")
    assert buttons[DetailAction.SHARE]["value"] == "1042"
    assert buttons[DetailAction.SPINOFF]["value"] == "1042"
    assert view["callback_id"] == Callback.DETAIL


def test_resources_that_failed_to_load_say_so() -> None:
    assert "Couldn't load assignees just now." in all_text(render(detail(resources=None)))


def test_extreme_ticket_stays_within_limits() -> None:
    ctx = detail().context.model_copy(
        update={
            "ticket": make_ticket(1042, summary="S" * 5000),
            "notes": [note(i, "&<>" * 3400) for i in range(100)],
            "configurations": [Configuration(id=i, name="C" * 500, type_name="T" * 500) for i in range(50)],
            "related": [make_ticket(3000 + i, summary="R" * 2000) for i in range(30)],
        }
    )
    resources = [
        PSAResource(member_id=i, member_name=f"Member {i} " * 40, member_identifier=f"m{i}")
        for i in range(20)
    ]
    view = render(
        detail(context=ctx, resources=resources), notice="n" * 5000, error="e" * 5000, note_draft="d" * 9000
    )
    assert len(view["blocks"]) <= 100
    assert "+ 22 more related tickets" in all_text(view)


@settings(max_examples=examples(30), deadline=None)
@given(
    summary=hostile_text,
    names=st.lists(hostile_text, max_size=25),
    notes=st.lists(hostile_text, max_size=25),
    status_name=hostile_text,
)
def test_any_detail_passes_slacks_limits(
    summary: str, names: list[str], notes: list[str], status_name: str
) -> None:
    ctx = TicketContext(
        ticket=make_ticket(
            7, summary=summary * 50, status=Ref(id=99, name=status_name), company=Ref(id=1, name=summary)
        ),
        contact=Contact(id=1, name=summary or "x", email=summary, phone=summary),
        notes=[note(i, n * 200, author_name=n) for i, n in enumerate(notes)],
        related=[make_ticket(100 + i, summary=n) for i, n in enumerate(names)],
    )
    resources = [
        PSAResource(member_id=i, member_name=n, member_identifier=n, is_owner=i == 0)
        for i, n in enumerate(names)
    ]
    view = render(DetailData(context=ctx, resources=resources, statuses=BOARD_1, slack_users={0: "U1"}))
    assert_no_live_mentions(view)

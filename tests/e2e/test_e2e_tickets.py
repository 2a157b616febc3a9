"""Journey: /tickets mine → page 2 → a ticket's modal: status, add and remove an assignee, a note."""

from __future__ import annotations

import re

import pytest
from e2e_kit import (
    JDOE_MEMBER_ID,
    SAM,
    RunningStack,
    ephemeral_messages,
    give_open_tickets,
    modal,
    open_workspace,
    pick_external,
    sandbox_ticket,
    shoot,
    type_in_composer,
)
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def test_my_tickets_page_two_then_work_a_ticket_in_its_modal(page: Page, stack: RunningStack) -> None:
    give_open_tickets(stack.sandbox, JDOE_MEMBER_ID, 20)  # jdoe's 12 seed tickets + 20: two pages
    open_workspace(page, stack)

    type_in_composer(page, "/tickets mine")
    listing = ephemeral_messages(page)
    expect(listing).to_have_count(1)
    expect(listing).to_contain_text(re.compile(r"Showing 1–25 of \d+ tickets"))
    expect(listing).to_contain_text("Only visible to you")
    shoot(page, "tickets-mine")

    listing.get_by_role("button", name=re.compile("Next")).click()
    expect(listing).to_contain_text(re.compile(r"Showing 26–\d+ of \d+ tickets"))
    expect(listing).to_have_count(1)  # paging replaced the message in place
    first_row = listing.locator("[data-block-id^='list.row.']").first
    ticket_id = int(str(first_row.get_attribute("data-block-id")).split(":", 1)[0].rsplit(".", 1)[1])

    first_row.get_by_role("button", name="Open").click()
    dialog = modal(page)
    expect(dialog).to_contain_text(f"Ticket #{ticket_id}")
    status = dialog.get_by_role("combobox", name="Change status")
    expect(status).to_be_visible()  # hydrated with the ticket's context
    before = status.evaluate("s => s.selectedOptions[0].textContent")
    after = status.evaluate(
        "s => [...s.options].find(o => o.value && !o.selected && !/closed/i.test(o.textContent)).textContent"
    )
    status.select_option(label=after)
    expect(dialog).to_contain_text(f"Status: {before} → {after}")
    assert sandbox_ticket(stack.sandbox, ticket_id)["status"]["name"] == after

    pick_external(page, dialog, "Add assignee", "Pri", "Priya Patel")
    expect(dialog).to_contain_text("Assigned Priya Patel")
    assignee = dialog.locator("[data-block-id^='detail.assignee.']").filter(has_text="Priya Patel")
    expect(assignee).to_have_count(1)

    assignee.get_by_role("button", name="Remove").click()
    confirm = page.get_by_role("alertdialog")
    expect(confirm).to_contain_text("Priya Patel")
    confirm.get_by_role("button", name="Remove").click()
    expect(dialog).to_contain_text("Removed Priya Patel")
    expect(assignee).to_have_count(0)

    note = dialog.get_by_role("textbox", name="Add a note")
    note.fill("Called the customer: the server is back up.")
    dialog.get_by_role("button", name="Add note").click()
    expect(dialog).to_contain_text("note added")
    expect(dialog.get_by_text("Called the customer: the server is back up.")).to_have_count(1)
    expect(dialog.get_by_role("textbox", name="Add a note")).to_have_value("")
    dialog.locator(".modal-body").evaluate("body => { body.scrollTop = 0; }")
    shoot(page, "ticket-detail")


def test_each_user_sees_only_their_own_answers_and_an_unmapped_user_is_told_to_map(
    page: Page, stack: RunningStack
) -> None:
    open_workspace(page, stack)
    type_in_composer(page, "/tickets mine")
    expect(ephemeral_messages(page)).to_contain_text("Showing 1–")

    page.get_by_role("combobox", name="Switch user").select_option(SAM)
    expect(ephemeral_messages(page)).to_have_count(0)
    type_in_composer(page, "/tickets mine")
    expect(ephemeral_messages(page)).to_contain_text("not mapped to a ConnectWise member")
    expect(ephemeral_messages(page).get_by_role("button", name=re.compile("Map"))).to_be_visible()

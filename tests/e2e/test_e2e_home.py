"""Journeys: the App Home in each state, and what a person sees when ConnectWise fails."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from e2e_kit import (
    ADMIN,
    SAM,
    RunningStack,
    ephemeral_messages,
    modal,
    open_workspace,
    shoot,
    type_in_composer,
)
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

StackFactory = Callable[..., AbstractContextManager[RunningStack]]


def test_home_lists_my_queue_and_its_rows_open_the_ticket(page: Page, stack: RunningStack) -> None:
    open_workspace(page, stack, where="app/home")

    home = page.get_by_role("region", name="App Home")
    expect(home).to_contain_text("My queue")
    expect(home).to_contain_text(re.compile(r"5 of \d+ open tickets assigned to you"))
    rows = home.locator("[data-block-id]").filter(has=page.get_by_role("button", name="Open", exact=True))
    expect(rows).to_have_count(5)
    expect(home).to_contain_text("Jordan Doe (jdoe)")
    shoot(page, "home-queue")

    first = rows.first
    ticket = re.search(r"#(\d+)", first.inner_text())
    assert ticket is not None
    first.get_by_role("button", name="Open").click()
    expect(modal(page)).to_contain_text(f"Ticket #{ticket.group(1)}")


def test_an_unmapped_user_maps_themselves_from_home_and_then_sees_their_queue(
    page: Page, stack: RunningStack
) -> None:
    open_workspace(page, stack, user=SAM, where="app/home")
    home = page.get_by_role("region", name="App Home")
    expect(home).to_contain_text("tell the app which ConnectWise member you are")
    shoot(page, "home-unmapped")

    home.get_by_role("button", name=re.compile("Map your PSA member")).click()
    dialog = modal(page)
    expect(dialog).to_contain_text("Suggested from your e-mail: Sam Lee")
    expect(dialog.get_by_role("combobox", name="ConnectWise member")).to_have_value(re.compile("Sam Lee"))
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_contain_text("You're mapped to Sam Lee (slee)")
    dialog.get_by_role("button", name="Close modal").click()

    expect(home).to_contain_text(re.compile(r"open tickets assigned to you"))
    expect(home).to_contain_text("Sam Lee (slee)")


def test_a_workspace_without_connectwise_offers_connect_to_admins_only(
    page: Page, stack_factory: StackFactory
) -> None:
    with stack_factory(connect_sandbox=False) as stack:
        open_workspace(page, stack, where="app/home")
        home = page.get_by_role("region", name="App Home")
        expect(home).to_contain_text("not connected")
        expect(home).to_contain_text("Ask a workspace admin")
        expect(home.get_by_role("button", name=re.compile("Connect"))).to_have_count(0)

        page.get_by_role("combobox", name="Switch user").select_option(ADMIN)
        expect(home.get_by_role("button", name=re.compile("Connect"))).to_have_count(1)
        shoot(page, "home-not-connected")
        home.get_by_role("button", name=re.compile("Connect")).click()
        expect(modal(page)).to_contain_text("ConnectWise")
        expect(modal(page).get_by_role("textbox").first).to_be_visible()


def test_home_stays_quiet_with_a_retry_while_connectwise_fails(page: Page, stack: RunningStack) -> None:
    stack.sandbox.inject_fault(path_pattern="service/tickets", status=500, count=None)
    open_workspace(page, stack, where="app/home")
    home = page.get_by_role("region", name="App Home")
    expect(home.get_by_role("button", name="Retry")).to_be_visible()
    expect(home).to_contain_text("ConnectWise")
    expect(modal(page)).to_have_count(0)  # no error popup
    shoot(page, "home-psa-failing")

    stack.sandbox.clear_faults()
    home.get_by_role("button", name="Retry").click()
    expect(home).to_contain_text(re.compile(r"open tickets assigned to you"))
    expect(home.get_by_role("button", name="Retry")).to_have_count(0)


def test_a_connectwise_outage_answers_tickets_mine_with_a_clear_message(
    page: Page, stack: RunningStack
) -> None:
    stack.sandbox.inject_fault(path_pattern="service/tickets", status=500, count=None)
    open_workspace(page, stack)

    type_in_composer(page, "/tickets mine")
    answer = ephemeral_messages(page)
    # A failing read is retried as a job with backoff (1 + 2 + 4 s by default): the user is told so at
    # once, then gets the plain failure. The long timeout only guards against a hang.
    expect(answer).to_contain_text("trying again")
    expect(answer).to_contain_text("Couldn't load the tickets", timeout=60_000)
    expect(answer).to_contain_text("Only visible to you")
    expect(answer).not_to_contain_text("Traceback")
    shoot(page, "error-outage")

    stack.sandbox.clear_faults()
    type_in_composer(page, "/tickets mine")
    expect(answer.last).to_contain_text(re.compile(r"Showing 1–\d+ of \d+ tickets"))

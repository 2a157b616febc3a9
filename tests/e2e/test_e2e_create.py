"""Journeys: Quick Create from a sentence, and a spin-off from a message in a ticket's thread."""

from __future__ import annotations

import re

import pytest
from e2e_kit import (
    JDOE_MEMBER_ID,
    RunningStack,
    modal,
    open_workspace,
    sandbox_ticket,
    shoot,
    type_in_composer,
)
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

SENTENCE = "Outlook not syncing for Acme Corp, high priority, assign to me"


def test_quick_create_parses_a_sentence_into_a_reviewed_ticket(page: Page, stack: RunningStack) -> None:
    open_workspace(page, stack)

    type_in_composer(page, f"/tickets new {SENTENCE}")
    dialog = modal(page)
    expect(dialog).to_contain_text("New ticket")
    expect(dialog.get_by_role("textbox", name="Describe the issue")).to_have_value(SENTENCE)

    dialog.get_by_role("button", name="Parse").click()
    expect(dialog.get_by_role("textbox", name="Summary")).to_have_value("Outlook not syncing")
    expect(dialog.get_by_role("combobox", name="Company")).to_have_value("Acme Corp")
    expect(dialog.get_by_role("combobox", name="Assignee")).to_have_value(str(JDOE_MEMBER_ID))
    expect(dialog).to_contain_text("Still needed")  # the sentence names no board: the form says so

    dialog.get_by_role("combobox", name=re.compile("^Board")).select_option(label="Help Desk")
    expect(dialog.get_by_role("combobox", name=re.compile("^Status"))).to_be_visible()
    shoot(page, "quick-create-review")
    dialog.get_by_role("button", name="Create ticket").click()

    expect(dialog).to_contain_text(re.compile(r"Ticket #\d+ created in ConnectWise"))
    created = re.search(r"Ticket #(\d+) created", dialog.inner_text())
    assert created is not None
    ticket = sandbox_ticket(stack.sandbox, int(created.group(1)))
    assert ticket["summary"] == "Outlook not syncing"
    assert ticket["company"]["name"] == "Acme Corp"
    assert ticket["board"]["name"] == "Help Desk"
    assert ticket["priority"]["name"].startswith("Priority 2")
    shoot(page, "quick-create-done")


def test_spin_off_from_a_reply_in_a_shared_tickets_thread_prefills_from_that_ticket(
    page: Page, stack: RunningStack
) -> None:
    open_workspace(page, stack)
    type_in_composer(page, "/tickets 1649")
    dialog = modal(page)
    expect(dialog.get_by_role("combobox", name="Change status")).to_be_visible()
    dialog.get_by_role("button", name="Share to channel").click()
    expect(dialog).to_contain_text("Shared #1649")
    dialog.get_by_role("button", name="Close", exact=True).click()
    expect(dialog).to_have_count(0)

    card = page.locator("#messages .msg").filter(has_text="#1649").last
    expect(card).to_contain_text("Acme Corp")
    card.hover()
    card.get_by_role("button", name="Reply in thread").click()
    thread = page.get_by_role("complementary", name="Thread")
    reply_box = thread.get_by_role("textbox", name="Reply")
    reply_box.fill("Separately, their front-desk printer keeps jamming.")
    reply_box.press("Enter")
    reply = thread.locator(".msg").filter(has_text="front-desk printer keeps jamming").first
    expect(reply).to_be_visible()
    expect(card).to_contain_text(re.compile(r"\d+ repl"))

    reply.hover()
    reply.get_by_role("button", name="More actions").click()
    page.get_by_role("menuitem", name=re.compile("Create spin-off ticket")).click()
    expect(dialog).to_contain_text("New ticket")
    expect(dialog.get_by_role("textbox", name="Describe the issue")).to_have_value(
        "Separately, their front-desk printer keeps jamming."
    )
    expect(dialog.get_by_role("textbox", name="Summary")).to_have_value("")  # the text is a prompt only
    expect(dialog.get_by_role("combobox", name="Company")).to_have_value("Acme Corp")  # from #1649
    expect(dialog.get_by_role("combobox", name=re.compile("^Board"))).to_have_value(
        str(sandbox_ticket(stack.sandbox, 1649)["board"]["id"])
    )
    shoot(page, "spin-off")


def test_the_new_ticket_shortcut_from_the_lightning_menu_opens_ticket_creation(
    page: Page, stack: RunningStack
) -> None:
    open_workspace(page, stack)

    page.get_by_role("button", name="Shortcuts").click()
    page.get_by_role("menuitem", name=re.compile("New ticket")).click()

    dialog = modal(page)
    expect(dialog).to_contain_text("New ticket")
    expect(dialog.get_by_role("button", name="Create ticket")).to_be_visible()

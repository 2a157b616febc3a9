"""Journey: ConnectWise text with Slack's formatting characters shows exactly as written, never formatted."""

from __future__ import annotations

import re

import pytest
from e2e_kit import (
    RunningStack,
    cw_client,
    ephemeral_messages,
    modal,
    open_workspace,
    shoot,
    type_in_composer,
)
from playwright.sync_api import Locator, Page, expect

pytestmark = pytest.mark.browser

SUMMARY = "*Bold* _italics_ ~strike~ `code` 2*3*4"
NOTE = "Customer wrote:\n> *please* fix\n```\nC:\\temp\\_logs\n```"
FORMATTED = "b, i, s, strong, em, code, pre, blockquote"


def _shown(locator: Locator) -> str:
    """The text a person reads (zero-width spaces are invisible)."""
    return locator.inner_text().replace("\u200b", "")


def _literal(locator: Locator, text: str) -> None:
    """Every line of `text` reads as written, and no bold/italic/strike/code/quote holds any of its words."""
    expect(locator).to_be_visible()
    for line in text.splitlines():
        assert line in _shown(locator), (line, _shown(locator))
    words = {word for word in re.findall(r"[A-Za-z]{3,}", text)}
    formatted = [_shown(element) for element in locator.locator(FORMATTED).all()]
    assert not [shown for shown in formatted if words & set(re.findall(r"[A-Za-z]{3,}", shown))], formatted


def test_summaries_notes_and_names_keep_their_formatting_characters(page: Page, stack: RunningStack) -> None:
    with cw_client(stack.sandbox) as cw:
        patch = [{"op": "replace", "path": "summary", "value": SUMMARY}]
        cw.patch("/service/tickets/1649", json=patch).raise_for_status()
        note = {"text": NOTE, "detailDescriptionFlag": True}
        cw.post("/service/tickets/1649/notes", json=note).raise_for_status()
    open_workspace(page, stack)

    type_in_composer(page, "/tickets search 2*3*4 assigned:all closed")
    row = ephemeral_messages(page).last.locator("[data-block-id^='list.row.1649']")
    _literal(row, SUMMARY)

    row.get_by_role("button", name="Open").click()
    dialog = modal(page)
    expect(dialog.get_by_role("combobox", name="Change status")).to_be_visible()
    notes = dialog.locator(".modal-body")
    expect(notes).to_contain_text("Customer wrote:")
    for line in NOTE.splitlines():
        assert line in _shown(notes), line
    assert (
        notes.locator("b, i, s, code, pre, blockquote").filter(has_text=re.compile("please|temp")).count()
        == 0
    )
    shoot(page, "literal-text-detail")


def test_the_created_confirmation_keeps_the_summary_intact(page: Page, stack: RunningStack) -> None:
    open_workspace(page, stack)
    type_in_composer(page, "/tickets new Printer jam at Acme Corp, high priority")
    dialog = modal(page)
    dialog.get_by_role("button", name="Parse").click()
    summary = dialog.get_by_role("textbox", name="Summary")
    expect(summary).to_have_value(re.compile("Printer jam", re.IGNORECASE))
    summary.fill("*URGENT* printer_jam ~now~")
    dialog.get_by_role("combobox", name=re.compile("^Board")).select_option(label="Help Desk")
    expect(dialog.get_by_role("combobox", name=re.compile("^Status"))).to_be_visible()
    dialog.get_by_role("button", name="Create ticket").click()

    expect(dialog).to_contain_text(re.compile(r"Ticket #\d+ created in ConnectWise"))
    _literal(dialog.locator(".modal-body"), "*URGENT* printer_jam ~now~")
    confirmation = page.locator("#messages .msg").filter(has_text=re.compile("created in ConnectWise")).last
    _literal(confirmation, "*URGENT* printer_jam ~now~")

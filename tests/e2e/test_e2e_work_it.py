"""Journey: a ticket's detail → Log time → the Work it modal filled in and saved → the detail shows it."""

from __future__ import annotations

import pytest
from e2e_kit import RunningStack, cw_client, modal, open_workspace, sandbox_ticket, shoot, type_in_composer
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

TICKET = 1604  # "Printer offline on 4th floor", In Progress, owner jdoe, contact set


def test_log_time_from_the_detail_writes_time_note_and_status_in_one_save(
    page: Page, stack: RunningStack
) -> None:
    open_workspace(page, stack)
    type_in_composer(page, f"/tickets {TICKET}")
    detail = modal(page)
    expect(detail.get_by_role("combobox", name="Change status")).to_be_visible()  # hydrated
    expect(detail).to_contain_text("Time")

    detail.get_by_role("button", name="Log time").click()
    work = modal(page)
    expect(work).to_contain_text(f"Work ticket #{TICKET}")
    expect(work.get_by_role("textbox", name="Time worked")).to_be_visible()  # loaded
    work.get_by_role("textbox", name="Time worked").fill("1h15")
    work.get_by_role("textbox", name="What did you do?").fill("Replaced the toner, printed a test page.")
    work.get_by_role("combobox", name="Next status").select_option(label="Waiting on Client")
    work.get_by_role("checkbox").check()
    work.locator(".modal-body").evaluate("body => { body.scrollTop = 0; }")
    shoot(page, "work-it")

    work.get_by_role("button", name="Save").click()

    expect(work).to_contain_text(f"Saved on #{TICKET}")
    expect(work).to_contain_text("Time: 1h 15m logged (Remote Support · Billable)")
    expect(work).to_contain_text("Status: In Progress → Waiting on Client")
    assert sandbox_ticket(stack.sandbox, TICKET)["status"]["name"] == "Waiting on Client"
    with cw_client(stack.sandbox) as cw:
        entries = cw.get(
            "/time/entries",
            params={"conditions": f"chargeToId = {TICKET}", "orderBy": "id desc", "pageSize": 1},
        ).json()
    assert (
        entries[0]["notes"] == "Replaced the toner, printed a test page."
        and entries[0]["actualHours"] == 1.25
    )
    assert entries[0]["member"]["identifier"] == "jdoe" and entries[0]["emailContactFlag"] is True

    page.get_by_role("button", name="Back").click()
    detail = modal(page)
    expect(detail).to_contain_text("Saved: Status: In Progress → Waiting on Client; Time: 1h 15m logged")
    expect(detail.locator("[data-block-id='detail.time']")).to_contain_text("1h 15m")

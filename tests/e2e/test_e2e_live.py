"""Journey: a change made in ConnectWise by someone else shows up as a DM and in the ticket's thread."""

from __future__ import annotations

import httpx
import pytest
from e2e_kit import RunningStack, modal, open_workspace, shoot, type_in_composer
from playwright.sync_api import Page, expect

from bot.flows.live.poller import poll_once
from bot.local.run import TEAM_ID

pytestmark = pytest.mark.browser

TICKET = 1649  # one of the demo engineer's (jdoe) open tickets


def _poll(stack: RunningStack) -> None:
    """The poller's next tick (local mode has no public URL, so the app polls), and its DMs."""
    deps = stack.stack.deps
    assert deps is not None

    async def tick() -> None:
        await poll_once(deps, TEAM_ID)
        await deps.work.drain(30)

    stack.call(tick(), timeout=30)


def test_a_change_made_in_connectwise_reaches_my_dm_and_the_tickets_thread(
    page: Page, stack: RunningStack
) -> None:
    open_workspace(page, stack)
    type_in_composer(page, f"/tickets {TICKET}")
    dialog = modal(page)
    dialog.get_by_role("button", name="Share to channel").click()
    expect(dialog).to_contain_text(f"Shared #{TICKET}")
    dialog.get_by_role("button", name="Close", exact=True).click()
    _poll(stack)  # the first poll starts from the newest change

    control = stack.sandbox.root_url + "/__sandbox/changes/tickets"
    with httpx.Client(timeout=10) as http:  # a colleague, then the customer, in ConnectWise itself
        http.post(
            f"{control}/{TICKET}/status", json={"status": {"name": "Waiting on Client"}, "member": "mchen"}
        )
        http.post(
            f"{control}/{TICKET}/notes",
            json={"text": "Replaced the toner, please confirm", "member": "mchen"},
        )
    _poll(stack)

    card = page.locator("#messages .msg").filter(has_text=f"#{TICKET}").last
    card.hover()
    card.get_by_role("button", name="Reply in thread").click()
    thread = page.get_by_role("complementary", name="Thread")
    expect(thread).to_contain_text("Replaced the toner, please confirm")
    expect(thread).to_contain_text("Waiting on Client")
    shoot(page, "live-thread")
    # The app's own reply carries "Add to ticket as note" in its menu.
    synced = thread.locator(".msg").filter(has_text="Replaced the toner, please confirm").last
    synced.get_by_role("button", name="More options").click()
    page.get_by_role("menuitem", name="Add to ticket as note").click()
    # The answer is ephemeral, through the click's response_url: the local workspace shows it in the channel.
    expect(page.locator("#messages")).to_contain_text(f"Added to #{TICKET} as an internal note")

    open_workspace(page, stack, where="app/messages")
    dm = page.locator("#messages .msg").filter(has_text=f"#{TICKET}").last
    expect(dm).to_contain_text("Waiting on Client")
    expect(dm).to_contain_text("Replaced the toner")
    shoot(page, "live-dm")
    dm.get_by_role("button", name="Open").click()
    expect(modal(page)).to_contain_text(f"Ticket #{TICKET}")


def test_a_pasted_ticket_link_shows_its_preview_under_the_message(page: Page, stack: RunningStack) -> None:
    deps = stack.stack.deps
    assert deps is not None

    async def ticket_url() -> str:
        service = await deps.workspaces.service(TEAM_ID)
        assert service is not None
        url = service.ticket_url(TICKET)
        assert url is not None
        return url

    url = stack.call(ticket_url())
    open_workspace(page, stack)
    type_in_composer(page, f"Is this the one? {url}")

    pasted = page.locator("#messages .msg").filter(has_text="Is this the one?").last
    preview = pasted.locator(".unfurl")
    expect(preview).to_contain_text(f"#{TICKET}")  # drawn once the app answers link_shared
    expect(preview).to_contain_text("ConnectWise")
    shoot(page, "live-unfurl", pasted)
    preview.get_by_role("button", name="Open").click()
    expect(modal(page)).to_contain_text(f"Ticket #{TICKET}")

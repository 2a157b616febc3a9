"""Helpers for the browser journeys: a local stack in a background loop, sandbox set-up, page actions."""

from __future__ import annotations

import asyncio
import base64
import re
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
from playwright.sync_api import Locator, Page, expect

from bot.local.fake_slack import FakeSlack
from bot.local.run import LocalStack
from bot.settings import Settings
from psa.connectwise.sandbox import SandboxServer

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
DEMO, SAM, ADMIN = "U0DEMO", "U0SAM", "U0ADMIN"
JDOE_MEMBER_ID = 17
T = TypeVar("T")


def clean_settings() -> Settings:
    """Settings with every field at its default: nothing from the developer's environment leaks in."""
    return Settings(**{name: field.default for name, field in Settings.model_fields.items()})


@dataclass
class RunningStack:
    """A LocalStack serving from its own event loop in a background thread."""

    stack: LocalStack
    loop: asyncio.AbstractEventLoop

    @property
    def url(self) -> str:
        """The workspace page."""
        return self.stack.url

    @property
    def sandbox(self) -> SandboxServer:
        """The ConnectWise sandbox behind the app."""
        assert self.stack.sandbox is not None
        return self.stack.sandbox

    @property
    def fake(self) -> FakeSlack:
        """The fake Slack Web API the app talks to."""
        return self.stack.fake

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        """Run a coroutine on the stack's loop (storage and services live there)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)


@contextmanager
def running_stack(data_dir: Path, **options: Any) -> Iterator[RunningStack]:
    """Start the same stack as `make run` (ephemeral ports, `data_dir`) and stop it afterwards."""
    ready = threading.Event()
    box: dict[str, Any] = {}

    async def serve() -> None:
        stack = LocalStack(clean_settings(), data_dir=data_dir, ui_port=0, **options)
        stop = asyncio.Event()
        try:
            await stack.start()
        except BaseException as exc:
            box["error"] = exc
            ready.set()
            return
        box.update(stack=stack, stop=stop, loop=asyncio.get_running_loop())
        ready.set()
        await stop.wait()
        await stack.stop()

    thread = threading.Thread(target=lambda: asyncio.run(serve()), name="local-stack", daemon=True)
    thread.start()
    if not ready.wait(30):
        raise TimeoutError("the local stack did not start within 30 s")
    if "error" in box:
        raise box["error"]
    try:
        yield RunningStack(box["stack"], box["loop"])
    finally:
        box["loop"].call_soon_threadsafe(box["stop"].set)
        thread.join(15)


def cw_client(sandbox: SandboxServer) -> httpx.Client:
    """A ConnectWise API client on the sandbox, to set up data as an engineer would in ConnectWise."""
    return _cw(sandbox)


def _cw(sandbox: SandboxServer) -> httpx.Client:
    token = base64.b64encode(
        f"{sandbox.company_id}+{sandbox.public_key}:{sandbox.private_key}".encode()
    ).decode()
    return httpx.Client(
        base_url=sandbox.base_url, headers={"Authorization": f"Basic {token}", "clientId": "e2e"}, timeout=10
    )


def give_open_tickets(sandbox: SandboxServer, member_id: int, count: int) -> list[int]:
    """Make `member_id` the owner of `count` more open tickets (so their queue spans two pages)."""
    with _cw(sandbox) as cw:
        rows = cw.get(
            "/service/tickets",
            params={
                "conditions": f"closedFlag = false and owner/id != {member_id}",
                "pageSize": count,
                "orderBy": "id desc",
                "fields": "id",
            },
        ).json()
        for row in rows:
            patch = [{"op": "replace", "path": "owner", "value": {"id": member_id}}]
            cw.patch(f"/service/tickets/{row['id']}", json=patch).raise_for_status()
    return [int(row["id"]) for row in rows]


def sandbox_ticket(sandbox: SandboxServer, ticket_id: int) -> dict[str, Any]:
    """A ticket as ConnectWise stores it now."""
    with _cw(sandbox) as cw:
        response = cw.get(f"/service/tickets/{ticket_id}")
        response.raise_for_status()
        ticket: dict[str, Any] = response.json()
        return ticket


def shoot(page: Page, name: str, target: Locator | None = None) -> Path:
    """Save a screenshot of the page (or one element) into tests/artifacts/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    if target is not None:
        target.screenshot(path=str(path))
    else:
        page.screenshot(path=str(path))
    return path


def open_workspace(page: Page, stack: RunningStack, user: str = DEMO, where: str = "C0SUPPORT") -> None:
    """Open the workspace page as `user`, on a channel id or `app/home` / `app/messages`."""
    page.goto(f"{stack.url}?user={user}#/{where}")
    page.wait_for_selector("body.ready")


def type_in_composer(page: Page, text: str) -> None:
    """Type into the channel's composer and press Enter, as a person would."""
    composer = page.get_by_role("textbox", name="Message")
    composer.fill(text)
    composer.press("Enter")


def ephemeral_messages(page: Page) -> Locator:
    """Messages in the channel only the current user sees."""
    return page.locator("#messages .msg.ephemeral")


def modal(page: Page) -> Locator:
    """The modal on top of the stack."""
    return page.get_by_role("dialog")


def pick_external(page: Page, within: Locator, label: str, query: str, option: str) -> None:
    """Search an external select and pick an option, like a person typing into it."""
    box = within.get_by_role("combobox", name=label)
    box.click()
    box.fill(query)
    within.get_by_role("option", name=re.compile(re.escape(option))).first.click()


def expect_text(locator: Locator, text: str | re.Pattern[str]) -> None:
    """The locator shows `text` (waiting for the app's asynchronous updates)."""
    expect(locator).to_contain_text(text)

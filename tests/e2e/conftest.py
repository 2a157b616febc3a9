"""Browser journeys: the whole local stack (`python -m bot run`'s code path) and headless Chromium."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from e2e_kit import ARTIFACTS, RunningStack, running_stack
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Playwright,
    ViewportSize,
    expect,
    sync_playwright,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT: ViewportSize = {"width": 1200, "height": 760}
# How long a page action or an `expect(...)` waits before failing: only a hang guard (Playwright's own
# 5 s for `expect` is tight on a busy machine running the suite on every core); nothing waits it out.
PATIENCE_MS = 30_000


def _chromium() -> str | None:
    if Path(CHROMIUM).exists():
        return CHROMIUM
    return shutil.which("chromium")


# Module scope, not session: Playwright's sync API marks an event loop as running in this thread while
# it is open, which would break the asyncio tests that run after the browser journeys.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    """Playwright's driver, or a skip (a failure when REQUIRE_BROWSER=1) without Chromium."""
    if _chromium() is None:
        reason = f"Chromium not found at {CHROMIUM} (Debian package `chromium`); browser journeys skipped"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(reason + " but REQUIRE_BROWSER=1")
        pytest.skip(reason)
    expect.set_options(timeout=PATIENCE_MS)
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """One headless Chromium per test module (Debian's; browser downloads are impossible here)."""
    chromium = playwright.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def stack_factory(tmp_path: Path) -> Callable[..., AbstractContextManager[RunningStack]]:
    """`with stack_factory(connect_sandbox=False) as stack:` — a stack with other settings."""
    counter = iter(range(100))

    def factory(**options: object) -> AbstractContextManager[RunningStack]:
        return running_stack(tmp_path / f"data{next(counter)}", **options)

    return factory


@pytest.fixture
def stack(stack_factory: Callable[..., AbstractContextManager[RunningStack]]) -> Iterator[RunningStack]:
    """A fresh local stack: sandbox seed data, the demo user mapped to jdoe, an empty #support."""
    with stack_factory() as running:
        yield running


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser tab; a JavaScript error on the page while the test runs fails the test."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(PATIENCE_MS)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(f"console error: {message.text}")

    tab.on("console", console)
    PAGE_PROBLEMS[id(tab)] = problems
    yield tab
    PAGE_PROBLEMS.pop(id(tab), None)
    context.close()


PAGE_PROBLEMS: dict[int, list[str]] = {}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail a journey whose page logged errors (checked before the stack stops under the page)."""
    result = yield
    tab = getattr(item, "funcargs", {}).get("page")
    problems = PAGE_PROBLEMS.get(id(tab), []) if tab is not None else []
    assert not problems, problems
    return result


@pytest.fixture(scope="session", autouse=True)
def artifacts_dir() -> Path:
    """Screenshots of the key screens land in tests/artifacts/ (git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS

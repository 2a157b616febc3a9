"""The wall-clock budgets flows give the PSA, unhurried under test (the autouse fixture in conftest.py).

A flow that must answer Slack within 3 s, or show a placeholder when the PSA is slow, waits a budget
and then takes its slow path. On a loaded CI machine a budget can run out where the sandbox is merely
slow to be scheduled, and the test sees the slow path it did not ask for (seen: the mapping modal's
1.5 s member search ran out and the modal offered no members). Under test every budget is UNHURRIED,
so which path runs is decided by causality, not load; a test of a slow path sets its budget small and
holds the sandbox.
"""

from __future__ import annotations

import pytest

from bot.flows import commands, connect, detail, detail_done, home, link_thread, mapping, options, spinoff
from bot.flows.create import open as create_open
from bot.flows.create import run as create_run
from bot.flows.create import submit as create_submit

BUDGETS = (
    (link_thread, "CHECK_BUDGET"),
    (connect, "ACK_BUDGET_SECONDS"),
    (spinoff, "MENTION_BUDGET"),
    (detail_done, "SAVE_BUDGET"),
    (detail, "ROW_WAIT_SECONDS"),
    (mapping, "MEMBERS_BUDGET_SECONDS"),
    (mapping, "KEYS_BUDGET_SECONDS"),
    (mapping, "NAMES_BUDGET_SECONDS"),
    (options, "PSA_BUDGET_SECONDS"),
    (options, "NAMES_BUDGET_SECONDS"),
    (create_submit, "STATUS_CHECK_SECONDS"),
    (create_run, "DONE_LOOKUP_SECONDS"),
    (create_open, "FORM_WAIT_SECONDS"),
    (home, "LOADING_AFTER_SECONDS"),
    (commands, "LOADING_AFTER"),
)
UNHURRIED = 60.0


def unhurry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every budget of BUDGETS set to UNHURRIED for the test (each is checked to still exist)."""
    for module, name in BUDGETS:
        assert isinstance(getattr(module, name), float), f"{module.__name__}.{name}"
        monkeypatch.setattr(module, name, UNHURRIED)

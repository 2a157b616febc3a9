"""Slack's limits on reading conversation history, for apps distributed outside the Marketplace.

Since 2025-05-29 (new installs) and 2026-03-03 (existing ones), such apps may call
`conversations.history` and `conversations.replies` once a minute each, and get at most 15 messages per
call (`limit` defaults to and is capped at 15). Marketplace and internal apps keep Tier 3 limits.
Source: docs.slack.dev/reference/methods/conversations.replies and …/conversations.history.
"""

from __future__ import annotations

import math
from collections.abc import Callable

HISTORY_METHODS = frozenset({"conversations.history", "conversations.replies"})
WINDOW_SECONDS = 60.0
MAX_MESSAGES = 15


class HistoryLimits:
    """The per-minute window of each history method, and the page cap; off for a Marketplace app."""

    def __init__(self, clock: Callable[[], float], *, marketplace_app: bool = False) -> None:
        self.clock = clock
        self.marketplace_app = marketplace_app
        self._last: dict[str, float] = {}

    def max_messages(self, method: str) -> int | None:
        """The most messages one call may return (None: the method's usual maximum)."""
        return None if self.marketplace_app or method not in HISTORY_METHODS else MAX_MESSAGES

    def refuse(self, method: str) -> int | None:
        """Seconds to wait when this call comes within a minute of the last one admitted; else admit it."""
        if self.marketplace_app or method not in HISTORY_METHODS:
            return None
        now = self.clock()
        last = self._last.get(method)
        if last is not None and now - last < WINDOW_SECONDS:
            return max(1, math.ceil(WINDOW_SECONDS - (now - last)))
        self._last[method] = now
        return None

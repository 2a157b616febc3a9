"""Block action listeners (buttons, selects) — one module per feature."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.deps import AppDeps
from bot.listeners.actions import create, detail, home, mapping, messages, suggestion, tickets_list


def register(app: AsyncApp, deps: AppDeps) -> None:
    """Register every block action listener."""
    tickets_list.register(app, deps)
    detail.register(app, deps)
    messages.register(app, deps)
    suggestion.register(app, deps)
    home.register(app, deps)
    mapping.register(app, deps)
    create.register(app, deps)

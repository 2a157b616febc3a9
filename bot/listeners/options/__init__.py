"""Options listeners for external selects — one module per feature."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.deps import AppDeps
from bot.listeners.options import create, mapping, tickets


def register(app: AsyncApp, deps: AppDeps) -> None:
    """Register every options listener."""
    tickets.register(app, deps)
    mapping.register(app, deps)
    create.register(app, deps)

"""Events API listeners — one module per feature (app_home_opened, message, …)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.deps import AppDeps
from bot.listeners.events import home, suggestion


def register(app: AsyncApp, deps: AppDeps) -> None:
    """Register every event listener (feature modules add one line each here)."""
    suggestion.register(app, deps)
    home.register(app, deps)

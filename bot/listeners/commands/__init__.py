"""Slash command listeners."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.deps import AppDeps
from bot.listeners.commands import tickets


def register(app: AsyncApp, deps: AppDeps) -> None:
    """Register every slash command."""
    tickets.register(app, deps)

"""Shortcut listeners (global and message) — one module per feature."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.deps import AppDeps
from bot.listeners.shortcuts import link_thread, new_ticket, spinoff


def register(app: AsyncApp, deps: AppDeps) -> None:
    """Register every shortcut listener."""
    new_ticket.register(app, deps)
    spinoff.register(app, deps)
    link_thread.register(app, deps)

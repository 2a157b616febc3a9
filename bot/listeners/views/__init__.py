"""View submission / closed listeners — one module per feature."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.deps import AppDeps
from bot.listeners.views import create, detail, link_thread, search


def register(app: AsyncApp, deps: AppDeps) -> None:
    """Register every view submission listener."""
    search.register(app, deps)
    detail.register(app, deps)
    link_thread.register(app, deps)
    create.register(app, deps)

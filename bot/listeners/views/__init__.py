"""View submission / closed listeners — one module per feature."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.deps import AppDeps
from bot.listeners.views import connect, create, detail, link_thread, mapping, search


def register(app: AsyncApp, deps: AppDeps) -> None:
    """Register every view submission listener."""
    search.register(app, deps)
    detail.register(app, deps)
    link_thread.register(app, deps)
    mapping.register(app, deps)
    connect.register(app, deps)
    create.register(app, deps)

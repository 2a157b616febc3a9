"""Slack listeners, one module per surface, each with `register(app)`.

Listeners stay thin: `await ack()` first, parse the payload into the flow's small args, hand the work
to `deps.work` as a `WorkItem` (`bot.listeners.handoff`). `deps` reaches them through Bolt's context.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.deps import AppDeps
from bot.listeners import actions, commands, events, fallback, live, options, shortcuts, time, views
from bot.listeners.handoff import provide_deps


def register_all(app: AsyncApp, deps: AppDeps) -> None:
    """Give every request the app's deps, then register every listener; the catch-alls last."""
    app.middleware(provide_deps(deps))
    commands.register(app)
    actions.register(app)
    views.register(app)
    shortcuts.register(app)
    events.register(app)
    live.register(app)
    options.register(app)
    time.register(app)
    fallback.register(app)

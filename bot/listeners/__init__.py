"""Slack listeners, one subpackage per surface; each has `register(app, deps)`.

Listeners stay thin: `await ack()` first, parse the payload into a typed object, hand the work to a
flow through `deps.tasks` (tracked, logged), and never let an exception reach Slack.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.deps import AppDeps
from bot.listeners import actions, commands, events, fallback, options, shortcuts, views


def register_all(app: AsyncApp, deps: AppDeps) -> None:
    """Register every listener; the catch-alls last, so anything unmatched is still acknowledged."""
    commands.register(app, deps)
    actions.register(app, deps)
    views.register(app, deps)
    shortcuts.register(app, deps)
    events.register(app, deps)
    options.register(app, deps)
    fallback.register(app, deps)

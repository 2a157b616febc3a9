"""`/tickets`: hand off and ack at once (empty, or "queued" under load); the grammar and the answer run
as post-ack work."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.flows.commands import run_command
from bot.ids import COMMAND
from bot.listeners.handoff import command_then

tickets = command_then(run_command)


def register(app: AsyncApp) -> None:
    """Every `/tickets` text goes to one listener; the grammar turns any input into a command."""
    app.command(COMMAND)(tickets)

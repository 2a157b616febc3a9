"""`/tickets`: ack at once (empty); the grammar and the answer run as post-ack work."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.flows.commands import run_command
from bot.ids import COMMAND
from bot.listeners.handoff import ack_then

tickets = ack_then(run_command)


def register(app: AsyncApp) -> None:
    """Every `/tickets` text goes to one listener; the grammar turns any input into a command."""
    app.command(COMMAND)(tickets)

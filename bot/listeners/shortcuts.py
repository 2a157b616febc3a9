"""Global and message shortcuts: New ticket, Create spin-off ticket, Link thread to ticket."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.flows.commands import new_ticket as new_ticket_flow
from bot.flows.link_thread import open_link_thread
from bot.flows.spinoff import spinoff_from_message
from bot.ids import Shortcut
from bot.listeners.handoff import ack_then

new_ticket = ack_then(new_ticket_flow)
spinoff = ack_then(spinoff_from_message)
link_thread = ack_then(open_link_thread)


def register(app: AsyncApp) -> None:
    """Register every shortcut."""
    app.shortcut(Shortcut.NEW_TICKET)(new_ticket)
    app.message_shortcut(Shortcut.CREATE_SPINOFF)(spinoff)
    app.message_shortcut(Shortcut.LINK_THREAD)(link_thread)

"""Catch-alls registered last: an old button, an unknown shortcut or event is acked, never a 404."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

log = logging.getLogger(__name__)
ANY = re.compile(".*")


async def unknown_action(ack: AsyncAck, body: dict[str, Any]) -> None:
    """An action nothing else took (e.g. a button of an older version of a message)."""
    await ack()
    log.info("unhandled action(s) %s", [a.get("action_id") for a in body.get("actions") or []])


async def unknown_view(ack: AsyncAck, body: dict[str, Any]) -> None:
    """A view submission or closing nothing else took."""
    await ack()
    log.info("unhandled view callback %r", (body.get("view") or {}).get("callback_id"))


async def unknown_shortcut(ack: AsyncAck, body: dict[str, Any]) -> None:
    """A shortcut nothing else took."""
    await ack()
    log.info("unhandled shortcut %r", body.get("callback_id"))


async def unknown_options(ack: AsyncAck, body: dict[str, Any]) -> None:
    """An options request nothing else took: no options."""
    await ack(options=[])
    log.info("unhandled options request %r", body.get("action_id"))


async def unknown_event(body: dict[str, Any]) -> None:
    """An event nothing else took (Bolt acks it)."""
    log.debug("unhandled event %r", (body.get("event") or {}).get("type"))


def register(app: AsyncApp) -> None:
    """Acknowledge whatever no other listener took."""
    app.action(ANY)(unknown_action)
    app.view(ANY)(unknown_view)
    app.view_closed(ANY)(unknown_view)
    app.shortcut(ANY)(unknown_shortcut)
    app.options(ANY)(unknown_options)
    app.event(ANY)(unknown_event)

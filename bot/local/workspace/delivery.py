"""How Slack shapes what it delivers: escaped text, the message a payload carries, what the client learns."""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import parse_qs, urlencode

from pydantic import BaseModel


class Outcome(BaseModel):
    """What the member's Slack client learns from an interaction."""

    ok: bool = True
    error: str | None = None
    errors: dict[str, str] | None = None
    options: list[dict[str, Any]] | None = None
    option_groups: list[dict[str, Any]] | None = None


def slack_escape(text: str) -> str:
    """Escape typed text the way Slack does before storing or delivering it."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def drop_message(body: str) -> str:
    """An interactivity body without its `message` (Slack sends none for ephemeral messages)."""
    payload = json.loads(parse_qs(body)["payload"][0])
    payload.pop("message", None)
    return urlencode({"payload": json.dumps(payload)})


def as_delivered(message: dict[str, Any]) -> dict[str, Any]:
    """A stored message as a shortcut payload carries it (only fields Slack includes)."""
    keep = ("type", "user", "text", "ts", "thread_ts", "team", "blocks", "bot_id", "app_id", "edited")
    delivered = {k: copy.deepcopy(message[k]) for k in keep if k in message}
    delivered.setdefault("type", "message")
    return delivered

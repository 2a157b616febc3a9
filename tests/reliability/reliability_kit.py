"""Helpers of the reliability suite: acks, the app's logs, short PSA timeouts, outcome checks."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import httpx
from scenario_harness import Sent, Slack, _parsed, blocks_text

# Only a safety net against a hang: an ack is checked by arriving while ConnectWise holds every answer
# (`sandbox.holding()`), which proves it waits for no answer, never by how long it took.
ACK_SAFETY_S = 30.0
# Words with which the app tells a user that something failed and what to do about it.
FAILURE_WORDS = (
    "Couldn't",
    "couldn't",
    "Try again",
    "try again",
    "throttling",
    "not answering",
    "didn't confirm",
)


async def ack(slack: Slack, body: tuple[str, str], **kwargs: Any) -> Sent:
    """Send a signed request and return the ack. Background work is NOT awaited."""
    async with asyncio.timeout(ACK_SAFETY_S):
        resp: httpx.Response = await slack.sender.send(*body, **kwargs)
    return _parsed(resp)


def apply_ack(slack: Slack, view_id: str, sent: Sent) -> None:
    """What Slack does with a view_submission ack: apply its response_action to the modal."""
    if sent.status == 200 and slack.fake.is_view_open(view_id):
        slack.fake.apply_view_response(view_id, sent.body if isinstance(sent.body, dict) else None)


def explains_failure(surface: dict[str, Any] | str) -> bool:
    """Whether a message or view tells the user that something failed (and what to do)."""
    text = surface if isinstance(surface, str) else blocks_text(surface)
    return any(word in text for word in FAILURE_WORDS)


def unhandled(records: list[logging.LogRecord]) -> list[str]:
    """Log records that mean an exception escaped: Bolt's error handler, a failed background task,
    a traceback logged by the app or Bolt, or the server's own "Exception in ASGI application"."""
    found = []
    for record in records:
        text = record.getMessage()
        escaped = record.name == "bot.app" and "listener failed" in text
        crashed = record.name == "bot.tasks" and "failed" in text
        traceback = record.exc_info is not None and record.name.split(".")[0] in ("bot", "slack_bolt", "psa")
        loud = record.levelno >= logging.ERROR and record.name.split(".")[0] in ("slack_bolt", "uvicorn")
        if escaped or crashed or traceback or loud:
            found.append(f"{record.name}: {text}")
    return found


def everything_recorded(slack: Slack) -> str:
    """Every argument and answer the fake Slack recorded, as one string (for leak checks)."""
    return json.dumps(
        [{"method": c.method, "args": c.args, "response": c.response} for c in slack.fake.calls],
        ensure_ascii=False,
        default=str,
    )

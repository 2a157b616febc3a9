"""Answering through a `response_url`: ephemeral replies and in-place replacement of a message."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from slack_sdk.webhook.async_client import AsyncWebhookClient

log = logging.getLogger(__name__)


async def respond(
    url: str | None,
    payload: dict[str, Any],
    *,
    replace: bool = False,
    session: aiohttp.ClientSession | None = None,
) -> bool:
    """Post `payload` (text + blocks) to a response_url; `replace` edits the message it came from.

    `session` (the Slack client's pooled one) spares opening a new connection pool per post.
    """
    if not url:
        log.warning("no response_url to answer with")
        return False
    body: dict[str, Any] = {**payload}
    if replace:
        body["replace_original"] = True
    else:
        body.setdefault("response_type", "ephemeral")
    try:
        resp = await AsyncWebhookClient(url, session=session).send_dict(body)
    except (aiohttp.ClientError, TimeoutError):
        # The answer is best effort: the user's action is already done (or already failed).
        log.exception("response_url post failed")
        return False
    if resp.status_code != 200:
        log.warning("response_url answered %s: %s", resp.status_code, resp.body)
        return False
    return True

"""Opening, pushing and updating views with the quiet handling Slack's races need."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

QUIET_UPDATE_ERRORS = frozenset({"not_found", "hash_conflict"})


class OpenedView:
    """The id and hash Slack gave a view."""

    def __init__(self, view: dict[str, Any]) -> None:
        self.id: str = view["id"]
        self.hash: str | None = view.get("hash")


async def open_view(client: AsyncWebClient, trigger_id: str, view: dict[str, Any]) -> OpenedView | None:
    """views.open; None (logged) when Slack refuses, e.g. an expired trigger_id."""
    return await _show(client.views_open, trigger_id, view, logging.WARNING)


async def push_view(client: AsyncWebClient, trigger_id: str, view: dict[str, Any]) -> OpenedView | None:
    """views.push onto the modal the trigger came from; None when Slack refuses (e.g. 3 views deep)."""
    return await _show(client.views_push, trigger_id, view, logging.INFO)


async def _show(call: Any, trigger_id: str, view: dict[str, Any], level: int) -> OpenedView | None:
    try:
        resp = await call(trigger_id=trigger_id, view=view)
    except SlackApiError as exc:
        log.log(level, "%s failed: %s", call.__name__.replace("_", "."), exc.response.get("error"))
        return None
    return OpenedView(resp["view"])


async def update_view(
    client: AsyncWebClient, view_id: str, view: dict[str, Any], *, hash: str | None, outcome: bool = False
) -> OpenedView | None:
    """views.update guarded by the view hash; a closed modal or a newer version is skipped quietly.

    `outcome`: the view answers what the user just did (a write's result, a refusal). A newer version
    can only be a background refresh that landed between the click and this answer, so the answer
    replaces it rather than being dropped — the user would otherwise never see what their click did.
    """
    try:
        resp = await client.views_update(view_id=view_id, hash=hash, view=view)
    except SlackApiError as exc:
        error = exc.response.get("error")
        if error == "hash_conflict" and outcome and hash is not None:
            log.info("views.update: a newer version (a background refresh) is replaced by an outcome")
            return await update_view(client, view_id, view, hash=None)
        if error in QUIET_UPDATE_ERRORS:
            log.debug("views.update skipped: %s", error)
        else:
            log.warning("views.update failed: %s", error)
        return None
    return OpenedView(resp["view"])


def as_definition(view: dict[str, Any]) -> dict[str, Any]:
    """The parts of a view from a payload that views.update accepts (drops id, hash, state, …)."""
    keys = ("type", "title", "submit", "close", "blocks", "private_metadata", "callback_id", "external_id")
    out = {k: view[k] for k in keys if view.get(k) not in (None, "")}
    if out.get("submit") is None:
        out.pop("submit", None)
    return out


async def post_message(
    client: AsyncWebClient, channel: str, payload: dict[str, Any], *, thread_ts: str | None = None
) -> str | None:
    """chat.postMessage of a {text, blocks} payload; its ts, or None when Slack refused (logged)."""
    try:
        resp = await client.chat_postMessage(channel=channel, thread_ts=thread_ts, **payload)
    except SlackApiError as exc:
        log.info("message not posted in %s: %s", channel, exc.response.get("error"))
        return None
    return str(resp.get("ts") or "") or None

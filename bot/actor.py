"""Who did what where: the typed essentials of any Slack payload (the team id is the storage key)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class Actor(BaseModel):
    """The user behind a command, click, submission or shortcut, and the handles to answer them."""

    team_id: str
    user_id: str
    channel_id: str | None = None
    trigger_id: str | None = None
    response_url: str | None = None
    view_id: str | None = None  # set when the interaction came from a modal or the Home tab
    view_hash: str | None = None
    message_ts: str | None = None


def actor_from(body: dict[str, Any], context: Any = None) -> Actor:
    """Read the actor from a Bolt request body; the team comes from the payload (or Bolt's context)."""
    team_id = (
        body.get("team_id")
        or (body.get("team") or {}).get("id")
        or (body.get("user") or {}).get("team_id")
        or (getattr(context, "team_id", None) if context is not None else None)
        or ""
    )
    user = body.get("user")
    user_id = body.get("user_id") or (user.get("id") if isinstance(user, dict) else user) or ""
    channel = body.get("channel")
    channel_id = body.get("channel_id") or (channel.get("id") if isinstance(channel, dict) else channel)
    container = body.get("container") or {}
    channel_id = channel_id or container.get("channel_id")
    view = body.get("view") or {}
    message = body.get("message") or {}
    response_url = body.get("response_url")
    if not response_url:
        urls = body.get("response_urls") or []
        response_url = urls[0].get("response_url") if urls and isinstance(urls[0], dict) else None
    return Actor(
        team_id=str(team_id),
        user_id=str(user_id),
        channel_id=channel_id or None,
        trigger_id=body.get("trigger_id"),
        response_url=response_url,
        view_id=view.get("id") or container.get("view_id"),
        view_hash=view.get("hash"),
        message_ts=message.get("ts") or container.get("message_ts"),
    )

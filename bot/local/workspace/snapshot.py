"""What one member's Slack client shows right now: channels, threads, their ephemerals, modals and Home."""

from __future__ import annotations

from typing import Any

from bot.local.fake_slack import FakeSlack
from bot.local.workspace.bridge import SlackBridge


def _modal_stack(fake: FakeSlack, views: dict[str, dict[str, Any]], user_id: str) -> list[dict[str, Any]]:
    """The member's visible modal stack, root first (the most recently touched stack wins)."""
    open_modals = {
        view_id: view
        for view_id, view in views.items()
        if view.get("open") and view.get("type") == "modal" and view.get("user_id") == user_id
    }
    if not open_modals:
        return []
    latest = fake.last_view(user_id)
    root = latest.get("root_view_id") if latest else None
    if root not in {v.get("root_view_id") for v in open_modals.values()}:
        root = max(open_modals.values(), key=lambda v: str(v.get("hash")))["root_view_id"]
    members = {vid: v for vid, v in open_modals.items() if v.get("root_view_id") == root}
    stack: list[dict[str, Any]] = []
    current = members.get(str(root))
    while current is not None:
        stack.append(current)
        current = next((v for v in members.values() if v.get("previous_view_id") == current["id"]), None)
    return stack


def user_snapshot(fake: FakeSlack, bridge: SlackBridge, user_id: str) -> dict[str, Any]:
    """A JSON-ready picture of the workspace as `user_id` sees it."""
    state = fake.state()
    dm_id = fake.dm_channel(user_id)
    messages = {
        channel_id: msgs
        for channel_id, msgs in state["messages"].items()
        if channel_id in bridge.channels or channel_id == dm_id
    }
    ephemeral: dict[str, list[dict[str, Any]]] = {}
    for channel_id, by_user in state["ephemeral"].items():
        if user_id in by_user:
            ephemeral[channel_id] = list(by_user[user_id])
    for (channel_id, notice_user), notices in bridge.notices.items():
        if notice_user == user_id:
            ephemeral.setdefault(channel_id, []).extend(notices)
    for items in ephemeral.values():
        items.sort(key=lambda m: float(m.get("ts", 0)))
    home_id = state["home"].get(user_id)
    return {
        "version": bridge.version,
        "user_id": user_id,
        "dm_channel": dm_id,
        "messages": messages,
        "ephemeral": ephemeral,
        "modals": _modal_stack(fake, state["views"], user_id),
        "home": state["views"].get(home_id) if home_id else None,
    }

"""Events API: `app_home_opened` publishes the Home; `message` in linked threads may get a suggestion."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.actor import actor_from
from bot.flows.home import home_opened
from bot.flows.suggestions import detect_spinoff, thread_message
from bot.flows.thread_context import follow_edit, thread_edit
from bot.listeners.handoff import Args, Body, on_event


def home_tab(body: Body, event: Body) -> Args | None:
    """The user whose Home tab opened (the Messages tab is left alone)."""
    if event.get("tab") != "home" or not event.get("user"):
        return None
    return {"user_id": event["user"], "view_hash": (event.get("view") or {}).get("hash")}


def thread_reply(body: Body, event: Body) -> Args | None:
    """A member's new reply in a thread, as the spin-off detector needs it."""
    message = thread_message(body, actor_from(body).team_id)
    return None if message is None else {"message": message.model_dump()}


def edited_or_deleted(body: Body, event: Body) -> Args | None:
    """A message edited or deleted in a thread (the kept thread context follows it)."""
    edit = thread_edit(event)
    return None if edit is None else {"edit": edit.model_dump()}


opened_home = on_event(home_opened, home_tab)
message = on_event(detect_spinoff, thread_reply)
message_edit = on_event(follow_edit, edited_or_deleted)


def register(app: AsyncApp) -> None:
    """Register every event listener (Bolt acks events itself once these return)."""
    # Bolt runs the first listener that matches: the subtypes before every other message.
    app.event({"type": "message", "subtype": "message_changed"})(message_edit)
    app.event({"type": "message", "subtype": "message_deleted"})(message_edit)
    app.event("message")(message)
    app.event("app_home_opened")(opened_home)

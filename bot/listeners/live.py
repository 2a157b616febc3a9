"""Live updates' surfaces: the Home's notification choices, Follow / Unfollow in the detail, and the
"Add to ticket as note" message shortcut."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.flows.live import choices
from bot.flows.live.thread_note import add_to_ticket as add_to_ticket_flow
from bot.ids import LiveAction, Shortcut
from bot.listeners.handoff import Args, Body, ack_then


def ticked(body: Body, action: Body) -> Args | None:
    """The values of the ticked checkboxes."""
    return {"values": [o.get("value") for o in action.get("selected_options") or [] if isinstance(o, dict)]}


def topics_of(body: Body, action: Body) -> Args | None:
    """The notification topics ticked."""
    return {"topics": (ticked(body, action) or {}).get("values", [])}


def selected(body: Body, action: Body) -> str | None:
    option = action.get("selected_option")
    value = option.get("value") if isinstance(option, dict) else None
    return value if isinstance(value, str) else None


def quiet_of(body: Body, action: Body) -> Args | None:
    """The quiet-hours choice."""
    value = selected(body, action)
    return None if value is None else {"quiet": value}


def digest_of(body: Body, action: Body) -> Args | None:
    """The digest choice in minutes."""
    value = selected(body, action)
    return {"minutes": int(value)} if value is not None and value.isdigit() else None


def ticket_of(body: Body, action: Body) -> Args | None:
    """The ticket a Follow / Unfollow button is about."""
    value = action.get("value")
    return {"ticket_id": int(value)} if isinstance(value, str) and value.isdigit() else None


topics = ack_then(choices.choose_topics, topics_of)
quiet = ack_then(choices.choose_quiet, quiet_of)
digest = ack_then(choices.choose_digest, digest_of)
thread_internal = ack_then(choices.choose_thread_internal, ticked)
follow = ack_then(choices.follow, ticket_of)
unfollow = ack_then(choices.unfollow, ticket_of)
add_to_ticket = ack_then(add_to_ticket_flow)


def register(app: AsyncApp) -> None:
    """Register the live-update actions."""
    app.action(LiveAction.TOPICS)(topics)
    app.action(LiveAction.QUIET)(quiet)
    app.action(LiveAction.DIGEST)(digest)
    app.action(LiveAction.THREAD_INTERNAL)(thread_internal)
    app.action(LiveAction.FOLLOW)(follow)
    app.action(LiveAction.UNFOLLOW)(unfollow)
    app.message_shortcut(Shortcut.ADD_TO_TICKET)(add_to_ticket)

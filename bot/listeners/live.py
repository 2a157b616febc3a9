"""Live updates' surfaces: the Home's notification choices, Follow / Unfollow in the detail, and the
"Add to ticket as note" message shortcut and menu, ticket links unfurled."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.flows.live import choices
from bot.flows.live.thread_note import add_to_ticket as add_to_ticket_flow
from bot.flows.live.unfurl import unfurl
from bot.ids import LiveAction, Shortcut
from bot.listeners.handoff import Args, Body, ack_then, on_event
from bot.views.live import ADD_AS_NOTE


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


def note_picked(body: Body, action: Body) -> Args | None:
    """The app message's menu: "Add to ticket as note" picked (no args: the message says the rest)."""
    return {} if selected(body, action) == ADD_AS_NOTE else None


def links_of(body: Body, event: Body) -> Args | None:
    """The links of a `link_shared` event and where they were posted."""
    links = [
        str(link.get("url"))
        for link in event.get("links") or []
        if isinstance(link, dict) and link.get("url")
    ]
    if not links:
        return None
    return {
        "channel": event.get("channel"),
        "ts": event.get("message_ts"),
        "links": links,
        "unfurl_id": event.get("unfurl_id"),
        "source": event.get("source"),
    }


topics = ack_then(choices.choose_topics, topics_of)
quiet = ack_then(choices.choose_quiet, quiet_of)
digest = ack_then(choices.choose_digest, digest_of)
thread_internal = ack_then(choices.choose_thread_internal, ticked)
follow = ack_then(choices.follow, ticket_of)
unfollow = ack_then(choices.unfollow, ticket_of)
add_to_ticket = ack_then(add_to_ticket_flow)
add_app_message = ack_then(add_to_ticket_flow, note_picked)
link_shared = on_event(unfurl, links_of)


def register(app: AsyncApp) -> None:
    """Register the live-update actions."""
    app.action(LiveAction.TOPICS)(topics)
    app.action(LiveAction.QUIET)(quiet)
    app.action(LiveAction.DIGEST)(digest)
    app.action(LiveAction.THREAD_INTERNAL)(thread_internal)
    app.action(LiveAction.FOLLOW)(follow)
    app.action(LiveAction.UNFOLLOW)(unfollow)
    app.message_shortcut(Shortcut.ADD_TO_TICKET)(add_to_ticket)
    app.action(LiveAction.ADD_TO_TICKET)(add_app_message)
    app.event("link_shared")(link_shared)

"""Helpers for the spin-off, link-thread and suggestion scenarios: shortcuts, threads, replies."""

from __future__ import annotations

from functools import partial
from typing import Any

from scenario_harness import CHANNEL, DEMO, Sent, Slack

from bot.ids import Callback, LinkThreadField, Shortcut
from bot.local import payloads as p
from psa.connectwise.sandbox import SandboxServer
from storage.repositories import thread_links

OUTLOOK_TICKET = 1594  # "Outlook not syncing" · Acme Corp · Help Desk (open, in the sandbox seed)


def seed_ticket(sandbox: SandboxServer, ticket_id: int) -> dict[str, Any]:
    """A ticket exactly as the sandbox stores it."""
    store = sandbox.state.store
    with store.lock:
        return dict(store.tables["tickets"][ticket_id])


def view_now(slack: Slack, view_id: str) -> dict[str, Any]:
    """A modal as the user sees it right now."""
    view = slack.fake.view(view_id)
    assert view is not None, f"no view {view_id}"
    return view


def say(slack: Slack, text: str, *, user: str = DEMO, thread_ts: str | None = None) -> dict[str, Any]:
    """A member writes a message in #support (top level, or in a thread) — Slack records it."""
    return slack.fake.add_message(CHANNEL, user=user, text=text, thread_ts=thread_ts)


async def linked_outlook_thread(slack: Slack, text: str, *, user: str = DEMO) -> dict[str, Any]:
    """A message in #support whose thread is linked to the Outlook ticket already (stored, no modal)."""
    parent = say(slack, text, user=user)
    link = partial(thread_links.link_thread, channel_id=CHANNEL, thread_ts=parent["ts"])
    await slack.store.write(partial(link, ticket_id=OUTLOOK_TICKET, linked_by=user))
    return parent


async def shortcut(
    slack: Slack, callback_id: str, message: dict[str, Any], *, user: str = DEMO, channel: str = CHANNEL
) -> Sent:
    """Run a message shortcut on `message` with a fresh trigger_id and response_url."""
    return await slack.send(
        p.message_shortcut(
            callback_id,
            message,
            channel,
            user,
            trigger_id=slack.fake.new_trigger_id(user),
            response_url=slack.fake.new_response_url(channel, user, message["ts"]),
            team=slack.team,
        )
    )


async def link_thread(slack: Slack, message: dict[str, Any], ticket: str, *, user: str = DEMO) -> Sent:
    """Link the message's thread through the shortcut and its modal; the submit's answer."""
    await shortcut(slack, Shortcut.LINK_THREAD, message, user=user)
    modal = slack.modal(user)
    assert modal["callback_id"] == Callback.LINK_THREAD
    return await slack.submit(
        modal, user=user, values={LinkThreadField.TICKET: {LinkThreadField.TICKET: ticket}}
    )


async def reply(
    slack: Slack,
    thread_ts: str,
    text: str,
    *,
    user: str = DEMO,
    event_id: str | None = None,
    retry_num: int | None = None,
) -> dict[str, Any]:
    """A member replies in a thread: Slack records it and delivers the `message` event to the app."""
    message = say(slack, text, user=user, thread_ts=thread_ts)
    await deliver(slack, message, event_id=event_id, retry_num=retry_num)
    return message


async def deliver(
    slack: Slack, message: dict[str, Any], *, event_id: str | None = None, retry_num: int | None = None
) -> Sent:
    """Deliver the `message` event for a recorded message (again, when given the same event_id)."""
    event = p.message_event(
        CHANNEL,
        user=message["user"],
        text=message["text"],
        ts=message["ts"],
        thread_ts=message.get("thread_ts"),
        team_id=slack.team,
    )
    body = p.event_callback(event, team_id=slack.team, event_id=event_id)
    sent = await slack.send(body, retry_num=retry_num)
    assert sent.status == 200, sent
    return sent


def bot_replies(slack: Slack, thread_ts: str) -> list[dict[str, Any]]:
    """The app's messages in a thread, oldest first."""
    bot = slack.fake.identity.bot_user_id
    return [
        m
        for m in slack.fake.messages(CHANNEL)
        if m.get("thread_ts") == thread_ts and m["ts"] != thread_ts and m.get("user") == bot
    ]


def suggestions(slack: Slack, thread_ts: str) -> list[dict[str, Any]]:
    """Suggestion messages in a thread (those still offering Create ticket)."""
    return [m for m in bot_replies(slack, thread_ts) if (m.get("text") or "").startswith("Create ticket:")]

"""The App Home tab, "My queue", in each of its states."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from bot.ids import AccessAction, HomeAction
from bot.text import escape_truncate
from bot.views import kit
from bot.views.format import ticket_row, unique_tickets
from bot.views.live_prefs import LivePrefsView, prefs_blocks
from bot.views.prompts import ASK_ADMIN, KEY_UNREADABLE, KEY_UNREADABLE_USER
from bot.views.sla import sla_text
from bot.views.time_nudge import nudge_home_blocks
from psa.models import PSATicketSearchResult

HOME_ROWS = 5
HomeKind = Literal[
    "not_connected", "key_unreadable", "not_mapped", "refused", "loading", "tickets", "empty", "error"
]


class HomeConnection(BaseModel):
    """What the footer says about the PSA connection (never credentials)."""

    company_id: str
    site: str
    provider_name: str = "ConnectWise"


class HomeState(BaseModel):
    """Everything the Home tab shows for one user."""

    kind: HomeKind
    is_admin: bool = False
    tickets: list[PSATicketSearchResult] = Field(default_factory=list)
    total: int = 0
    connection: HomeConnection | None = None
    last_updated: datetime | None = None
    member_name: str | None = None  # the viewer's mapped PSA member
    notifications: LivePrefsView | None = None  # live-update choices (mapped engineers)
    nudge_at: int | None = None  # the end-of-day time reminder: minutes after local midnight (None: off)
    nudge_tz: str | None = None
    refusal: str | None = None  # "refused": why the workspace's rules keep the queue from this user (mrkdwn)


def home_view(state: HomeState) -> dict[str, Any]:
    """The Home view for `state` (≤ 100 blocks; failures render quietly)."""
    blocks: list[dict[str, Any]] = [kit.header("My queue")]
    builder = {
        "not_connected": _not_connected,
        "key_unreadable": _key_unreadable,
        "not_mapped": _not_mapped,
        "refused": _refused,
        "loading": _loading,
        "tickets": _tickets,
        "empty": _empty,
        "error": _error,
    }[state.kind]
    blocks.extend(builder(state))
    if state.notifications is not None:
        blocks.extend(prefs_blocks(state.notifications))
    if state.kind in ("tickets", "empty", "error"):
        blocks.append(kit.divider())
        blocks.extend(nudge_home_blocks(state.nudge_at, state.nudge_tz))
    if state.is_admin and state.kind not in ("not_connected", "key_unreadable", "loading"):
        blocks.append(kit.divider())
        blocks.append(
            kit.section(
                "Workspace admins: choose who can read and change tickets from Slack.",
                accessory=kit.button("Who can use the app", AccessAction.OPEN),
            )
        )
    footer = _footer(state)
    if footer is not None:
        blocks.append(kit.divider())
        blocks.append(footer)
    return {"type": "home", "blocks": blocks}


def _not_connected(state: HomeState) -> list[dict[str, Any]]:
    blocks = [
        kit.section(
            "This app shows your ConnectWise tickets right here in Slack: your queue, ticket details, "
            "notes, status changes and new tickets — without leaving the conversation."
        )
    ]
    if state.is_admin:
        blocks.append(kit.section("ConnectWise is not connected to this workspace yet."))
        blocks.append(kit.actions(kit.button("Connect ConnectWise", HomeAction.CONNECT, style="primary")))
    else:
        blocks.append(
            kit.section("ConnectWise is not connected yet. Ask a workspace admin to run `/tickets connect`.")
        )
    return blocks


def _key_unreadable(state: HomeState) -> list[dict[str, Any]]:
    if state.is_admin:
        return [
            kit.section(f"⚠️ {KEY_UNREADABLE}"),
            kit.context(
                "The app's encryption key (TICKETS_SECRET_KEY) no longer opens the stored private key, or "
                "the key was checked with another site. Enter the keys again to go on."
            ),
            kit.actions(kit.button("Reconnect ConnectWise", HomeAction.CONNECT, style="primary")),
        ]
    return [kit.section(f"⚠️ {KEY_UNREADABLE_USER} {ASK_ADMIN}")]


def _not_mapped(state: HomeState) -> list[dict[str, Any]]:
    return [
        kit.section("To see your queue, tell the app which ConnectWise member you are."),
        kit.actions(kit.button("Map your PSA member to see your queue", HomeAction.MAP, style="primary")),
    ]


def _refused(state: HomeState) -> list[dict[str, Any]]:
    return [kit.section(f"⚠️ {state.refusal or 'This workspace does not let you see tickets here.'}")]


def _loading(state: HomeState) -> list[dict[str, Any]]:
    return [kit.context("_Loading your tickets…_")]


def _tickets(state: HomeState) -> list[dict[str, Any]]:
    rows = unique_tickets(state.tickets)[:HOME_ROWS]
    total = max(state.total, len(state.tickets))
    noun = "ticket" if total == 1 else "tickets"
    shown = f"{len(rows)} of {total}" if total > len(rows) else str(total)
    blocks = [kit.context(f"{shown} open {noun} assigned to you, most urgent first")]
    now = state.last_updated or datetime.now(UTC)
    for ticket in rows:
        sla = sla_text(ticket.sla, now)
        blocks.append(
            kit.section(
                ticket_row(ticket) + (f"\n⏱ {sla}" if sla else ""),
                block_id=f"home.row.{ticket.id}",
                accessory=kit.button("Open", HomeAction.OPEN, value=str(ticket.id)),
            )
        )
    blocks.append(
        kit.actions(
            kit.button("View all tickets", HomeAction.VIEW_ALL, style="primary"),
            kit.button("New ticket", HomeAction.NEW_TICKET),
            kit.button("Refresh", HomeAction.REFRESH),
        )
    )
    return blocks


def _empty(state: HomeState) -> list[dict[str, Any]]:
    return [kit.context("No open tickets assigned to you")]


def _error(state: HomeState) -> list[dict[str, Any]]:
    return [
        kit.context("Couldn't reach ConnectWise just now."),
        kit.actions(kit.button("Retry", HomeAction.RETRY)),
    ]


def _footer(state: HomeState) -> dict[str, Any] | None:
    parts = []
    if state.connection is not None:
        conn = state.connection
        parts.append(
            f"Connected to {escape_truncate(conn.provider_name, 40)} · "
            f"{escape_truncate(conn.company_id, 60)} · {escape_truncate(conn.site, 120)}"
        )
    if state.member_name:
        parts.append(f"You are {escape_truncate(state.member_name, 80)}")
    if state.last_updated is not None:
        when = state.last_updated
        when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
        stamp = int(when.timestamp())
        fallback = when.strftime("%Y-%m-%d %H:%M UTC")
        parts.append(f"Last updated <!date^{stamp}^{{date_short_pretty}} {{time}}|{fallback}>")
    return kit.context(*parts) if parts else None

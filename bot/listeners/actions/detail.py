"""The ticket detail modal's actions, and every "open this ticket" button."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.actor import actor_from
from bot.deps import AppDeps
from bot.flows import detail_actions
from bot.flows.detail import open_detail
from bot.ids import OPEN_TICKET_ACTIONS, URL_BUTTON_ACTIONS, DetailAction, ListAction
from bot.listeners.spawn import on_pick, on_view
from bot.state import DetailState, Origin, StateError


def _number(value: Any) -> int | None:
    return int(value) if isinstance(value, str) and value.isdigit() else None


def _selected(action: dict[str, Any]) -> int | None:
    return _number((action.get("selected_option") or {}).get("value"))


def register(app: AsyncApp, deps: AppDeps) -> None:
    """Register the detail modal's actions and the open-ticket buttons of every surface."""

    async def on_open(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        ticket_id = _number(action.get("value"))
        if ticket_id is None:
            return
        actor = actor_from(body, context)
        view = body.get("view") or {}
        in_modal = view.get("type") == "modal"
        origin = Origin(channel_id=actor.channel_id) if actor.channel_id else None
        if in_modal and origin is None:
            # A related ticket shares into the channel its parent modal came from.
            try:
                origin = DetailState.decode(view.get("private_metadata")).origin
            except StateError:
                origin = None
        deps.tasks.spawn(
            open_detail(deps, client, actor, ticket_id, origin=origin, push=in_modal), name="open-ticket"
        )

    async def on_ack_only(ack: AsyncAck) -> None:
        # Url buttons and the note's internal checkbox still send block_actions: acknowledge them.
        await ack()

    for action_id in OPEN_TICKET_ACTIONS:
        if action_id != ListAction.OPEN:  # the list registers its own row button
            app.action(action_id)(on_open)
    app.action(DetailAction.STATUS)(on_pick(deps, detail_actions.change_status, "detail-status", _selected))
    app.action(DetailAction.ADD_ASSIGNEE)(
        on_pick(deps, detail_actions.add_assignee, "detail-assign", _selected)
    )
    app.action(DetailAction.REMOVE_ASSIGNEE)(
        on_pick(deps, detail_actions.remove_assignee, "detail-unassign", lambda a: _number(a.get("value")))
    )
    app.action(DetailAction.ADD_NOTE)(on_view(deps, detail_actions.add_note, "detail-note"))
    app.action(DetailAction.SHARE)(on_view(deps, detail_actions.share, "detail-share"))
    app.action(DetailAction.SPINOFF)(on_view(deps, detail_actions.spin_off, "detail-spinoff"))
    for action_id in (*URL_BUTTON_ACTIONS, DetailAction.NOTE_INTERNAL, DetailAction.NOTE_TEXT):
        app.action(action_id)(on_ack_only)

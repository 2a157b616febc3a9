"""The ticket detail modal's actions, and every "open this ticket" button."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.actor import Actor, actor_from
from bot.deps import AppDeps
from bot.flows import detail_actions
from bot.flows.detail import open_detail
from bot.ids import OPEN_TICKET_ACTIONS, URL_BUTTON_ACTIONS, DetailAction, ListAction
from bot.state import DetailState, Origin, StateError

ViewFlow = Callable[[AppDeps, AsyncWebClient, Actor, dict[str, Any]], Coroutine[Any, Any, None]]
PickFlow = Callable[[AppDeps, AsyncWebClient, Actor, dict[str, Any], int], Coroutine[Any, Any, None]]
Listener = Callable[..., Awaitable[None]]


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

    def on_view(flow: ViewFlow, name: str) -> Listener:
        """A button of the modal: ack, then run `flow` on the modal the click came from."""

        async def listener(
            ack: AsyncAck,
            body: dict[str, Any],
            client: AsyncWebClient,
            context: AsyncBoltContext,
        ) -> None:
            await ack()
            if body.get("view"):
                deps.tasks.spawn(flow(deps, client, actor_from(body, context), body["view"]), name=name)

        return listener

    def on_pick(flow: PickFlow, name: str, pick: Callable[[dict[str, Any]], int | None]) -> Listener:
        """A select or per-row button of the modal: ack, then run `flow` with the id it carries."""

        async def listener(
            ack: AsyncAck,
            body: dict[str, Any],
            action: dict[str, Any],
            client: AsyncWebClient,
            context: AsyncBoltContext,
        ) -> None:
            await ack()
            picked = pick(action)
            if picked is not None and body.get("view"):
                actor = actor_from(body, context)
                deps.tasks.spawn(flow(deps, client, actor, body["view"], picked), name=name)

        return listener

    async def on_ack_only(ack: AsyncAck) -> None:
        # Url buttons and the note's internal checkbox still send block_actions: acknowledge them.
        await ack()

    for action_id in OPEN_TICKET_ACTIONS:
        if action_id != ListAction.OPEN:  # the list registers its own row button
            app.action(action_id)(on_open)
    app.action(DetailAction.STATUS)(on_pick(detail_actions.change_status, "detail-status", _selected))
    app.action(DetailAction.ADD_ASSIGNEE)(on_pick(detail_actions.add_assignee, "detail-assign", _selected))
    app.action(DetailAction.REMOVE_ASSIGNEE)(
        on_pick(detail_actions.remove_assignee, "detail-unassign", lambda a: _number(a.get("value")))
    )
    app.action(DetailAction.ADD_NOTE)(on_view(detail_actions.add_note, "detail-note"))
    app.action(DetailAction.SHARE)(on_view(detail_actions.share, "detail-share"))
    app.action(DetailAction.SPINOFF)(on_view(detail_actions.spin_off, "detail-spinoff"))
    for action_id in (*URL_BUTTON_ACTIONS, DetailAction.NOTE_INTERNAL, DetailAction.NOTE_TEXT):
        app.action(action_id)(on_ack_only)

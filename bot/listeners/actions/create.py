"""The New Ticket modal's buttons and selects: the two tabs, Parse, and the board (reloads its statuses)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.actor import actor_from
from bot.deps import AppDeps
from bot.flows.create import edit
from bot.ids import CreateAction
from bot.listeners.spawn import on_view
from bot.state import Tab


def register(app: AsyncApp, deps: AppDeps) -> None:
    """Register the create modal's actions (each acks at once; the view is updated afterwards)."""

    async def on_tab(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        view = body.get("view")
        if not view:
            return
        tab: Tab = "quick" if action.get("action_id") == CreateAction.TAB_QUICK else "full"
        actor = actor_from(body, context)
        deps.tasks.spawn(edit.switch_tab(deps, client, actor, view, tab), name="create-tab")

    app.action(CreateAction.TAB_QUICK)(on_tab)
    app.action(CreateAction.TAB_FULL)(on_tab)
    app.action(CreateAction.PARSE)(on_view(deps, edit.parse_prompt, "create-parse"))
    app.action(CreateAction.BOARD)(on_view(deps, edit.change_board, "create-board"))

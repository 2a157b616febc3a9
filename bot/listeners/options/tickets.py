"""External select options of the list (company filter) and the detail modal (add assignee)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.actor import actor_from
from bot.deps import AppDeps
from bot.flows.options import assigned_filter_choices, company_choices, member_choices
from bot.ids import DetailAction, ListAction


def register(app: AsyncApp, deps: AppDeps) -> None:
    """Register the options listeners (answered inside the ack, within Slack's 3 s)."""

    async def on_companies(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
        actor = actor_from(body, context)
        await ack(
            options=await company_choices(deps, actor.team_id, body.get("value") or "", include_any=True)
        )

    async def on_members(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        actor = actor_from(body, context)
        await ack(options=await member_choices(deps, client, actor.team_id, body.get("value") or ""))

    async def on_assigned(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        actor = actor_from(body, context)
        query = body.get("value") or ""
        await ack(options=await assigned_filter_choices(deps, client, actor.team_id, query))

    app.options(ListAction.COMPANY)(on_companies)
    app.options(ListAction.ASSIGNED)(on_assigned)
    app.options(DetailAction.ADD_ASSIGNEE)(on_members)

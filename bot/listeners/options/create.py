"""External select options of the New Ticket modal: companies (search) and members (when > 100)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.actor import actor_from
from bot.deps import AppDeps
from bot.flows.options import company_choices, member_choices
from bot.ids import CreateAction


def register(app: AsyncApp, deps: AppDeps) -> None:
    """Register the create modal's options listeners (answered inside the ack, within Slack's 3 s)."""

    async def on_companies(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
        actor = actor_from(body, context)
        await ack(
            options=await company_choices(deps, actor.team_id, body.get("value") or "", include_any=False)
        )

    async def on_members(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        actor = actor_from(body, context)
        await ack(options=await member_choices(deps, client, actor.team_id, body.get("value") or ""))

    app.options(CreateAction.COMPANY)(on_companies)
    app.options(CreateAction.ASSIGNEE)(on_members)

"""Options for external selects: companies (list filter, create modal) and members (add assignee)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.flows.context import FlowContext
from bot.flows.errors import FlowError
from bot.views import limits
from bot.views.options import assigned_filter_options, company_options, member_options
from psa.errors import PSAError
from psa.models import Member

log = logging.getLogger(__name__)

# Options must be answered within Slack's 3 s: a slow PSA gives an empty list (the user types again)
# rather than a failed select, and Slack names are a nicety dropped when slow. PSA failures and a
# missing connection give no options (`bot.listeners.handoff.on_options`).
PSA_BUDGET_SECONDS = 1.5
NAMES_BUDGET_SECONDS = 1.0
Options = list[dict[str, Any]]
Body = dict[str, Any]


def _query(body: Body) -> str:
    return str(body.get("value") or "")


async def _companies(ctx: FlowContext, query: str, *, include_any: bool) -> Options:
    service = await ctx.service()
    companies = await asyncio.wait_for(service.search_companies(query.strip(), 25), PSA_BUDGET_SECONDS)
    return company_options(companies, include_any=include_any)


async def filter_companies(ctx: FlowContext, body: Body) -> Options:
    """Companies matching what was typed, for the list's company filter (with "Any company")."""
    return await _companies(ctx, _query(body), include_any=True)


async def pick_companies(ctx: FlowContext, body: Body) -> Options:
    """Companies matching what was typed, for the create modal's company select."""
    return await _companies(ctx, _query(body), include_any=False)


async def _slack_names(ctx: FlowContext, mapped: dict[int, str]) -> dict[int, str]:
    async def one(member_id: int, user_id: str) -> tuple[int, str | None]:
        user = await ctx.deps.directory.user(ctx.client, ctx.team_id, user_id)
        return member_id, user.label if user else None

    try:
        pairs = await asyncio.wait_for(
            asyncio.gather(*(one(m, u) for m, u in mapped.items())), NAMES_BUDGET_SECONDS
        )
    except TimeoutError:
        pairs = [(m, u) for m, u in mapped.items()]
    return {m: name or mapped[m] for m, name in pairs}


async def mapped_slack_names(ctx: FlowContext) -> dict[int, list[str]]:
    """Member id → the names Slack shows for the user mapped to it (display, real and user name)."""
    mapped = await ctx.deps.storage.mapping_lookup(ctx.team_id).mapped_member_ids()

    async def one(member_id: int, user_id: str) -> tuple[int, list[str]]:
        user = await ctx.deps.directory.user(ctx.client, ctx.team_id, user_id)
        return member_id, [user.display_name, user.real_name, user.name] if user else []

    try:
        pairs = await asyncio.wait_for(
            asyncio.gather(*(one(m, u) for m, u in mapped.items())), NAMES_BUDGET_SECONDS
        )
    except TimeoutError:
        return {}
    return dict(pairs)


async def assigned_filter_choices(ctx: FlowContext, body: Body) -> Options:
    """The list's Assigned filter: me / unassigned / anyone, then the members matching what was typed."""
    fixed = assigned_filter_options([], query=_query(body))
    try:
        members = await member_choices(ctx, body)
    except (FlowError, PSAError, TimeoutError) as exc:
        log.info("assigned filter: no members offered: %s", exc)
        members = []
    return (fixed + members)[: limits.OPTIONS_MAX]


async def member_choices(ctx: FlowContext, body: Body) -> Options:
    """Active PSA members matching what was typed, those mapped to Slack users first and marked ★."""
    service = await ctx.service()
    # The members load is shared and cached: giving up here leaves it running for the next keystroke.
    choices = await asyncio.wait_for(service.member_choices(_query(body), limit=100), PSA_BUDGET_SECONDS)
    mapped = await ctx.deps.storage.mapping_lookup(ctx.team_id).mapped_member_ids()
    names = await _slack_names(ctx, dict(mapped))
    members = [Member(id=c.member_id, identifier=c.member_identifier, name=c.member_name) for c in choices]
    # member_choices already matched the query (typo-tolerant); keep its selection as it is.
    return member_options(members, slack_names=names)

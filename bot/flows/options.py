"""Options for external selects: companies for the list filter, members for "Add assignee"."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import AppDeps
from bot.views import limits
from bot.views.options import assigned_filter_options, company_options, member_options
from psa.errors import PSAError
from psa.models import Member

log = logging.getLogger(__name__)

# Options must be answered within Slack's 3 s: a slow PSA gives an empty list (the user types again)
# rather than a failed select, and Slack names are a nicety dropped when slow.
PSA_BUDGET_SECONDS = 1.5
NAMES_BUDGET_SECONDS = 1.0
Options = list[dict[str, Any]]


async def company_choices(deps: AppDeps, team_id: str, query: str, *, include_any: bool) -> Options:
    """Companies matching `query` (empty when the PSA is unreachable)."""
    service = await deps.workspaces.service(team_id)
    if service is None:
        return []
    try:
        companies = await asyncio.wait_for(service.search_companies(query.strip(), 25), PSA_BUDGET_SECONDS)
    except (PSAError, TimeoutError) as exc:
        log.info("company options unavailable: %s", getattr(exc, "message", "timeout"))
        return []
    return company_options(companies, include_any=include_any)


async def _slack_names(
    deps: AppDeps, client: AsyncWebClient, team_id: str, mapped: dict[int, str]
) -> dict[int, str]:
    async def one(member_id: int, user_id: str) -> tuple[int, str | None]:
        user = await deps.directory.user(client, team_id, user_id)
        return member_id, user.label if user else None

    try:
        pairs = await asyncio.wait_for(
            asyncio.gather(*(one(m, u) for m, u in mapped.items())), NAMES_BUDGET_SECONDS
        )
    except TimeoutError:
        pairs = [(m, u) for m, u in mapped.items()]
    return {m: name or mapped[m] for m, name in pairs}


async def mapped_slack_names(deps: AppDeps, client: AsyncWebClient, team_id: str) -> dict[int, list[str]]:
    """Member id → the names Slack shows for the user mapped to it (display, real and user name)."""
    mapped = await deps.storage.mapping_lookup(team_id).mapped_member_ids()

    async def one(member_id: int, user_id: str) -> tuple[int, list[str]]:
        user = await deps.directory.user(client, team_id, user_id)
        return member_id, [user.display_name, user.real_name, user.name] if user else []

    try:
        pairs = await asyncio.wait_for(
            asyncio.gather(*(one(m, u) for m, u in mapped.items())), NAMES_BUDGET_SECONDS
        )
    except TimeoutError:
        return {}
    return dict(pairs)


async def assigned_filter_choices(deps: AppDeps, client: AsyncWebClient, team_id: str, query: str) -> Options:
    """The list's Assigned filter: me / unassigned / anyone, then the members matching `query`."""
    fixed = assigned_filter_options([], query=query)
    members = await member_choices(deps, client, team_id, query)
    return (fixed + members)[: limits.OPTIONS_MAX]


async def member_choices(deps: AppDeps, client: AsyncWebClient, team_id: str, query: str) -> Options:
    """Active PSA members matching `query`, those mapped to Slack users first and marked ★."""
    service = await deps.workspaces.service(team_id)
    if service is None:
        return []
    try:
        # The members load is shared and cached: giving up here leaves it running for the next keystroke.
        choices = await asyncio.wait_for(service.member_choices(query, limit=100), PSA_BUDGET_SECONDS)
    except (PSAError, TimeoutError) as exc:
        log.info("member options unavailable: %s", getattr(exc, "message", "timeout"))
        return []
    mapped = await deps.storage.mapping_lookup(team_id).mapped_member_ids()
    names = await _slack_names(deps, client, team_id, {m: u for m, u in mapped.items()})
    members = [Member(id=c.member_id, identifier=c.member_identifier, name=c.member_name) for c in choices]
    # member_choices already matched the query (typo-tolerant); keep its selection as it is.
    return member_options(members, slack_names=names)

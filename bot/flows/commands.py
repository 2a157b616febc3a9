"""`/tickets …`: the parsed command → the flow that answers it."""

from __future__ import annotations

import logging

from slack_sdk.web.async_client import AsyncWebClient

from bot import grammar
from bot.actor import Actor
from bot.deps import AppDeps
from bot.flows import connect, create, mapping
from bot.flows.detail import open_detail_from_command
from bot.flows.filters import FilterProblem, resolve_search
from bot.flows.options import mapped_slack_names
from bot.flows.respond import respond
from bot.flows.tickets_list import show_list
from bot.state import ListState, Origin
from bot.views.messages import help_message, invalid_command_message
from bot.views.prompts import not_connected_prompt, psa_error_message, refused_message
from psa.errors import PSAError

log = logging.getLogger(__name__)


async def run_command(deps: AppDeps, client: AsyncWebClient, actor: Actor, text: str) -> None:
    """Answer one `/tickets` invocation (the ack has already been sent)."""
    command = grammar.parse(text)
    if isinstance(command, grammar.Mine):
        await show_list(deps, client, actor, ListState.mine().with_page(command.page))
    elif isinstance(command, grammar.Search):
        await _search(deps, client, actor, command)
    elif isinstance(command, grammar.Show):
        await open_detail_from_command(deps, client, actor, command.ticket_id)
    elif isinstance(command, grammar.New):
        await open_create(deps, client, actor, prompt=command.prompt)
    elif isinstance(command, grammar.Connect):
        await open_connect(deps, client, actor)
    elif isinstance(command, grammar.Map):
        await open_mapping(deps, client, actor)
    elif isinstance(command, grammar.Help):
        await respond(actor.response_url, help_message(), session=client.session)
    else:
        await respond(actor.response_url, invalid_command_message(command), session=client.session)


async def _search(deps: AppDeps, client: AsyncWebClient, actor: Actor, command: grammar.Search) -> None:
    service = await deps.workspaces.service(actor.team_id)
    if service is None:
        is_admin = await deps.directory.can_manage(client, actor.team_id, actor.user_id)
        await respond(actor.response_url, not_connected_prompt(is_admin=is_admin), session=client.session)
        return
    try:
        state = await resolve_search(
            command,
            service,
            deps.storage.workspace(actor.team_id),
            slack_names=lambda: mapped_slack_names(deps, client, actor.team_id),
        )
    except FilterProblem as problem:
        await respond(actor.response_url, problem.payload, session=client.session)
        return
    except PSAError as exc:
        await respond(
            actor.response_url, psa_error_message(exc, doing="read the filter values"), session=client.session
        )
        return
    await show_list(deps, client, actor, state)


async def open_create(
    deps: AppDeps, client: AsyncWebClient, actor: Actor, *, prompt: str | None = None
) -> None:
    """Hand over to ticket creation (with the channel the user is in as the origin)."""
    if actor.trigger_id is None:
        return
    origin = Origin(channel_id=actor.channel_id) if actor.channel_id else None
    await create.open_create_modal(
        deps,
        client,
        team_id=actor.team_id,
        user_id=actor.user_id,
        trigger_id=actor.trigger_id,
        prompt=prompt,
        origin=origin,
        tab="quick" if prompt else None,
    )


async def open_connect(deps: AppDeps, client: AsyncWebClient, actor: Actor) -> None:
    """Workspace admins and owners get the connect modal; everyone else a clear refusal."""
    if actor.trigger_id is None:
        return
    if not await deps.directory.can_manage(client, actor.team_id, actor.user_id):
        await respond(
            actor.response_url,
            refused_message(
                "Only workspace admins and owners can connect ConnectWise. Ask one of them to run "
                "`/tickets connect`."
            ),
        )
        return
    await connect.open_connect_modal(
        deps, client, team_id=actor.team_id, user_id=actor.user_id, trigger_id=actor.trigger_id
    )


async def open_mapping(deps: AppDeps, client: AsyncWebClient, actor: Actor) -> None:
    """The mapping modal (picking one's own PSA member; admins may map others there)."""
    if actor.trigger_id is None:
        return
    await mapping.open_mapping_modal(
        deps, client, team_id=actor.team_id, user_id=actor.user_id, trigger_id=actor.trigger_id
    )

"""`/tickets …`: the parsed command → the flow that answers it; and the setup buttons of messages."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from bot import grammar
from bot.flows import access_settings, connect, create, mapping
from bot.flows.context import FlowContext
from bot.flows.detail import open_detail_from_command
from bot.flows.filters import FilterProblem, resolve_search
from bot.flows.options import mapped_slack_names
from bot.flows.tickets_list import LOADING, render_list
from bot.flows.time.quick import log_quick_time
from bot.flows.time.work_it import open_work_from_command
from bot.flows.work import WorkItem, flow
from bot.inputs import PROMPT, SEARCH_TEXT
from bot.jobs.retry import current_attempt
from bot.state import ListState, Origin
from bot.views.messages import help_message, invalid_command_message, loading_message
from bot.views.prompts import refused_message

log = logging.getLogger(__name__)
Payload = dict[str, Any]

# A list not ready within this is preceded by a "Loading…" reply that it then replaces: decided by the
# deadline, not by guessing how long ConnectWise will take (Slack users see silence as broken after ~1 s).
LOADING_AFTER = 1.0
LOADING_TEXT = "Loading your tickets…"

NOT_ADMIN = (
    "Only workspace admins and owners can connect ConnectWise. Ask one of them to run `/tickets connect`."
)


def _only_reads(item: WorkItem) -> bool:
    """`/tickets mine` and `/tickets search …` only read: safe to run again if ConnectWise is busy."""
    return isinstance(grammar.parse(str(item.body.get("text") or "")), grammar.Mine | grammar.Search)


@flow("tickets.command", retry=_only_reads)
async def run_command(ctx: FlowContext, item: WorkItem) -> None:
    """Answer one `/tickets` invocation (the ack has already been sent)."""
    command = grammar.parse(str(item.body.get("text") or ""))
    if isinstance(command, grammar.Mine):
        ctx.doing = LOADING
        await answer_soon(ctx, render_list(ctx, ListState.mine().with_page(command.page)))
    elif isinstance(command, grammar.Search):
        await answer_soon(ctx, _search(ctx, command))
    elif isinstance(command, grammar.Show):
        await open_detail_from_command(ctx, command.ticket_id)
    elif isinstance(command, grammar.New):
        await open_create(ctx, prompt=command.prompt)
    elif isinstance(command, grammar.Time):
        await log_quick_time(ctx, command)
    elif isinstance(command, grammar.Work):
        await open_work_from_command(ctx, command.ticket_id)
    elif isinstance(command, grammar.Connect):
        await open_connect(ctx)
    elif isinstance(command, grammar.Disconnect):
        await connect.confirm_disconnect(ctx)
    elif isinstance(command, grammar.Map):
        await mapping.open_mapping_modal(ctx)
    elif isinstance(command, grammar.Settings):
        await access_settings.open_settings(ctx)
    elif isinstance(command, grammar.Help):
        await ctx.respond(help_message())
    else:
        await ctx.respond(invalid_command_message(command))


async def answer_soon(ctx: FlowContext, answer: Coroutine[Any, Any, Payload]) -> None:
    """Respond with `answer`'s message; when it is not ready within LOADING_AFTER, "Loading your
    tickets…" shows at once and the answer (or the failure, or a retry notice) replaces it."""
    task = asyncio.ensure_future(answer)
    done, _ = await asyncio.wait({task}, timeout=LOADING_AFTER)
    if not done and current_attempt().number == 1:  # a retry already says "trying again"
        await ctx.respond(loading_message(LOADING_TEXT), replace=ctx.surface.replace)
        ctx.surface.replace = True
    await ctx.respond(await task, replace=ctx.surface.replace)


async def _search(ctx: FlowContext, command: grammar.Search) -> Payload:
    SEARCH_TEXT.check(command.text)
    service = await ctx.service()
    ctx.doing = "read the filter values"
    try:
        state = await resolve_search(
            command,
            service,
            ctx.deps.storage.workspace(ctx.team_id),
            slack_names=lambda: mapped_slack_names(ctx),
        )
    except FilterProblem as problem:
        return problem.payload
    ctx.doing = LOADING
    return await render_list(ctx, state)


async def open_create(ctx: FlowContext, *, prompt: str | None = None) -> None:
    """Hand over to ticket creation (with the channel the user is in as the origin)."""
    origin = Origin(channel_id=ctx.actor.channel_id) if ctx.actor.channel_id else None
    notice = None
    if prompt is not None:
        prompt, notice = PROMPT.fit(prompt)
    await create.open_create_modal(
        ctx, prompt=prompt, origin=origin, tab="quick" if prompt else None, notice=notice
    )


async def open_connect(ctx: FlowContext) -> None:
    """Workspace admins and owners get the connect modal; everyone else a clear refusal."""
    if ctx.actor.trigger_id is None:
        return
    if not await ctx.is_admin():
        await ctx.respond(refused_message(NOT_ADMIN))
        return
    await connect.open_connect_modal(ctx)


@flow("message.new_ticket")
async def new_ticket(ctx: FlowContext, item: WorkItem) -> None:
    """A New ticket button or shortcut: ticket creation, confirming in the channel it came from."""
    await open_create(ctx)


@flow("message.connect")
async def connect_button(ctx: FlowContext, item: WorkItem) -> None:
    """A message's Connect button (admins only)."""
    await open_connect(ctx)


@flow("message.map")
async def map_button(ctx: FlowContext, item: WorkItem) -> None:
    """A message's Map button: the mapping modal."""
    await mapping.open_mapping_modal(ctx)

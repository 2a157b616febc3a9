"""The listener builders every surface uses: ack, parse what the flow needs, hand the work off.

Listeners are module-level functions built here; `deps` reaches them through Bolt's context
(`provide_deps` puts it there), so a listener can be imported and called in a unit test.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.actor import actor_from
from bot.deps import AppDeps
from bot.flows.context import FlowContext, surface_of
from bot.flows.errors import FlowError
from bot.flows.submission import Submission
from bot.flows.tell import busy_line, told_line, told_modal
from bot.flows.work import Flow, WorkItem, work_item
from bot.jobs.queue import ACK_ROOM, AckRoom
from bot.state import StateError
from bot.views.prompts import problem_modal
from psa.errors import PSAError
from storage import StoredKeyUnusable

log = logging.getLogger(__name__)

Body = dict[str, Any]
Args = dict[str, Any]
Parse = Callable[[Body, Body], Args | None]  # (body, action) → the flow's args, or None: nothing to do
Listener = Callable[..., Awaitable[None]]
Decide = Callable[[FlowContext, Body], Awaitable[Submission]]
Options = list[dict[str, Any]]
Choose = Callable[[FlowContext, Body], Awaitable[Options]]
DEPS = "deps"


def provide_deps(deps: AppDeps) -> Callable[..., Awaitable[BoltResponse | None]]:
    """A middleware that puts the app's deps into every request's context."""

    async def middleware(context: AsyncBoltContext, next: Callable[[], Awaitable[Any]]) -> Any:
        context[DEPS] = deps
        return await next()

    return middleware


def register_routes(on: Callable[[str], Callable[[Listener], Any]], routes: Mapping[str, Listener]) -> None:
    """Register each listener of a surface's table on its id (`on` is `app.action`, `app.view`, …)."""
    for key, listener in routes.items():
        on(key)(listener)


def deps_of(context: AsyncBoltContext) -> AppDeps:
    """The app's deps, as `provide_deps` left them in the request's context."""
    deps: AppDeps = context[DEPS]
    return deps


def item_for(context: AsyncBoltContext, fn: Flow | str, body: Body, args: Args | None = None) -> WorkItem:
    """The work item of `fn` for this request (team and user as Bolt and the payload tell them)."""
    actor = actor_from(body, context)
    return work_item(
        fn,
        body,
        team_id=actor.team_id,
        enterprise_id=context.enterprise_id,
        user_id=actor.user_id or context.user_id,
        args=args,
    )


def ack_then(fn: Flow, parse: Parse | None = None) -> Listener:
    """Ack at once, then hand `fn` the request (with `parse(body, action)` as its args)."""

    async def listener(ack: AsyncAck, body: Body, action: Body | None, context: AsyncBoltContext) -> None:
        await ack()
        args = {} if parse is None else parse(body, action or {})
        if args is not None:
            await deps_of(context).work.submit(item_for(context, fn, body, args))

    return listener


async def hand_off_command(deps: AppDeps, item: WorkItem) -> str | None:
    """Hand a slash command's work off; what its ack should say (None: nothing, the answer follows).

    When the work queues behind many others the ack itself tells the user so, which costs this process
    no post to Slack at the moment it is busiest."""
    room = AckRoom()
    token = ACK_ROOM.set(room)
    try:
        await deps.work.submit(item)
    finally:
        ACK_ROOM.reset(token)
    return None if room.ahead is None else busy_line(room.ahead)


def command_then(fn: Flow) -> Listener:
    """A slash command: hand `fn` the request, then ack (empty, or saying the answer is queued)."""

    async def listener(ack: AsyncAck, body: Body, context: AsyncBoltContext) -> None:
        line = await hand_off_command(deps_of(context), item_for(context, fn, body, {}))
        await (ack() if line is None else ack({"text": line}))  # JSON, as bot/fast_ack.py answers

    return listener


def on_event(fn: Flow, parse: Parse | None = None) -> Listener:
    """An Events API listener (Bolt acks events itself): hand `fn` the event when `parse` accepts it."""

    async def listener(body: Body, event: Body | None, context: AsyncBoltContext) -> None:
        args = {} if parse is None else parse(body, event or {})
        if args is not None:
            await deps_of(context).work.submit(item_for(context, fn, body, args))

    return listener


def ack_only() -> Listener:
    """Acknowledge and do nothing (url buttons and inputs still send block_actions)."""

    async def listener(ack: AsyncAck) -> None:
        await ack()

    return listener


def ack_context(name: str, body: Body, client: AsyncWebClient, context: AsyncBoltContext) -> FlowContext:
    """A FlowContext for work done inside the ack (submissions, options), with Bolt's client."""
    item = item_for(context, name, body)
    actor = actor_from(body, context)
    return FlowContext(deps=deps_of(context), client=client, actor=actor, item=item, surface=surface_of(body))


def _first_input(view: Body) -> str | None:
    return next((str(b["block_id"]) for b in view.get("blocks") or [] if b.get("type") == "input"), None)


async def _refusal(ctx: FlowContext, view: Body, exc: Exception) -> Submission:
    """The answer when deciding a submission stopped: the reason next to the first input, or a refusal
    with a way on (e.g. the mapping prompt) pushed over the modal; either way what was typed is kept."""
    title = str((view.get("title") or {}).get("text") or "Tickets")
    modal = await told_modal(ctx, exc, title)
    if modal is not None:
        return Submission.push(modal)
    line = await told_line(ctx, exc)
    if line is None:
        return Submission.close()
    block = _first_input(view)
    if block is not None:
        return Submission.field_errors({block: line})
    return Submission.update(problem_modal(title, line))


def on_submit(name: str, decide: Decide) -> Listener:
    """A view submission: decide the answer inside Slack's 3 s, ack it, then hand off its follow-ups."""

    async def listener(ack: AsyncAck, body: Body, client: AsyncWebClient, context: AsyncBoltContext) -> None:
        view = body.get("view") or {}
        ctx = ack_context(name, body, client, context)
        try:
            answer = await decide(ctx, view)
        except Exception as exc:
            answer = await _refusal(ctx, view, exc)
        await ack(**answer.ack())
        for follow_up in answer.then:
            item = item_for(context, follow_up.flow, body, follow_up.args)
            await ctx.deps.work.submit(item.model_copy(update={"key": follow_up.key}))

    return listener


def on_options(name: str, choose: Choose) -> Listener:
    """An external select's options, answered inside the ack; none when the PSA is missing or fails."""

    async def listener(ack: AsyncAck, body: Body, client: AsyncWebClient, context: AsyncBoltContext) -> None:
        ctx = ack_context(name, body, client, context)
        try:
            options = await choose(ctx, body)
        except (FlowError, PSAError, StateError, StoredKeyUnusable, TimeoutError) as exc:
            log.info("options %s: none offered: %s", name, exc)
            options = []
        # Anything else reaches Bolt's error handler (logged with context; Slack shows no options).
        await ack(options=options)

    return listener

"""The one place that tells a user why their work stopped: shared errors → what they see, where they are.

`NotConnected` → the connect prompt (admins) or whom to ask; `NotMapped` → the mapping prompt;
`PSAError` → the PSA's reason and what to do; `StateError` → logged only (a payload this app did not
write); anything else → logged with context, and "Something went wrong" (never an exception's name).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bot.flows.errors import NotConnected, NotMapped, Restricted
from bot.flows.views_io import as_definition
from bot.inputs import InputTooLong
from bot.state import StateError
from bot.views.access import Refusal, map_button, not_mapped_refusal, refusal_message, restricted_refusal
from bot.views.messages import error_message, notice_message
from bot.views.prompts import (
    ASK_ADMIN,
    KEY_UNREADABLE,
    KEY_UNREADABLE_USER,
    key_unreadable_prompt,
    not_connected_prompt,
    not_mapped_prompt,
    problem_modal,
    psa_error_message,
    psa_error_text,
    with_banner,
)
from psa.errors import PSAError
from psa.service import NotMappedError
from storage import StoredKeyUnusable

if TYPE_CHECKING:
    from bot.flows.context import FlowContext

log = logging.getLogger(__name__)

Payload = dict[str, Any]

SOMETHING_WRONG = "Something went wrong on our side."
TRY_AGAIN = "Try again in a moment; if it keeps happening, tell your Slack admin."
MAP_HINT = "Run `/tickets map` to pick your ConnectWise member."


class Told:
    """What to show for one failure: as a message, and as a line in a modal. `mrkdwn`: line and hint are
    the app's own mrkdwn already (mentions meant), not text to escape; `action`: a button to show with
    the line (e.g. the mapping prompt's)."""

    def __init__(
        self,
        message: Payload,
        line: str,
        hint: str | None = None,
        *,
        mrkdwn: bool = False,
        action: Payload | None = None,
    ) -> None:
        self.message = message
        self.line = line
        self.hint = hint
        self.mrkdwn = mrkdwn
        self.action = action


def _refused(refusal: Refusal) -> Told:
    return Told(
        refusal_message(refusal),
        refusal.line,
        refusal.hint,
        mrkdwn=True,
        action=map_button() if refusal.map_button else None,
    )


async def told_for(ctx: FlowContext, exc: Exception) -> Told | None:
    if isinstance(exc, NotConnected):
        is_admin = await ctx.is_admin()
        hint = "Run `/tickets connect` to connect it." if is_admin else "Ask a workspace admin to connect it."
        line = "ConnectWise is not connected to this workspace."
        return Told(not_connected_prompt(is_admin=is_admin), line, hint)
    if isinstance(exc, StoredKeyUnusable):
        # The registry has logged it with the workspace; the user learns what it means for them.
        is_admin = await ctx.is_admin()
        if is_admin:
            return Told(key_unreadable_prompt(is_admin=True), KEY_UNREADABLE, "Run `/tickets connect`.")
        return Told(key_unreadable_prompt(is_admin=False), KEY_UNREADABLE_USER, ASK_ADMIN)
    if isinstance(exc, InputTooLong):
        return Told(error_message(exc.message), exc.message)
    if isinstance(exc, NotMapped):
        return _refused(not_mapped_refusal(reading=exc.reading))
    if isinstance(exc, NotMappedError):
        return Told(not_mapped_prompt(), "You are not mapped to a ConnectWise member yet.", MAP_HINT)
    if isinstance(exc, Restricted):
        return _refused(restricted_refusal(exc))
    if isinstance(exc, PSAError):
        line = f"Couldn't {ctx.doing}: {psa_error_text(exc)}" if ctx.doing else psa_error_text(exc)
        return Told(psa_error_message(exc, doing=ctx.doing), line)
    if isinstance(exc, StateError):
        log.info("flow %s ignored a payload it did not write: %s", ctx.item.flow, exc)
        return None
    log.error(
        "flow %s failed: team=%s user=%s",
        ctx.item.flow,
        ctx.team_id,
        ctx.user_id,
        exc_info=exc,
    )
    return Told(error_message(SOMETHING_WRONG, TRY_AGAIN), f"{SOMETHING_WRONG} {TRY_AGAIN}")


async def told_modal(ctx: FlowContext, exc: Exception, title: str) -> Payload | None:
    """A refusal with mentions or a button as a modal of its own (a submission pushes it, so what was
    typed stays in the modal below); None for every other failure."""
    told = await told_for(ctx, exc)
    if told is None or not (told.mrkdwn or told.action is not None):
        return None
    return _problem(title, told)


async def told_line(ctx: FlowContext, exc: Exception) -> str | None:
    """The failure as one line for a modal (None when the user is not to be told)."""
    told = await told_for(ctx, exc)
    if told is None:
        return None
    return f"{told.line} {told.hint}" if told.hint else told.line


async def tell_failure(ctx: FlowContext, exc: Exception) -> None:
    """Tell the user, on `ctx.surface`, why the flow stopped (or just log it)."""
    told = await told_for(ctx, exc)
    if told is None:
        return
    if isinstance(exc, NotConnected | NotMapped | Restricted | PSAError | StoredKeyUnusable | InputTooLong):
        log.info("flow %s stopped for team %s: %s", ctx.item.flow, ctx.team_id, exc)
    try:
        await _show(ctx, told)
    except Exception:
        log.exception("flow %s: telling the user about a failure failed too", ctx.item.flow)


async def _show(ctx: FlowContext, told: Told) -> None:
    surface = ctx.surface
    if surface.view_id is not None:
        if surface.definition is not None and not surface.replace:
            view = {**surface.definition, "id": surface.view_id, "hash": surface.view_hash}
            line = f"{told.line} {told.hint}" if told.hint else told.line
            if told.mrkdwn or told.action is not None:
                shown = with_banner(as_definition(view), error_mrkdwn=line, error_action=told.action)
                await ctx.update(
                    shown, view_id=surface.view_id, hash=surface.view_hash, outcome=ctx.answers_user
                )
            else:
                await ctx.banner(view, error=line)
        else:
            await ctx.update(_problem(surface.title, told), view_id=surface.view_id)
        return
    if surface.trigger_id is not None:
        modal = _problem(surface.title, told)
        opened = await ctx.push(modal) if surface.push else None
        if opened is None:
            await ctx.open(modal, trigger_id=surface.trigger_id)
        return
    if surface.response_url is not None:
        # `replace`: the message there is a placeholder of this flow's (e.g. "Loading…").
        await ctx.respond(told.message, url=surface.response_url, replace=surface.replace)
        return
    if surface.user_id is not None:
        await ctx.dm(told.message, surface.user_id)


def _problem(title: str, told: Told) -> Payload:
    return problem_modal(title, told.line, hint=told.hint, mrkdwn=told.mrkdwn, action=told.action)


RETRYING = "ConnectWise is busy, trying again…"
BUSY = "Lots of requests right now: {ahead} ahead of yours. Your answer will follow here shortly."


def busy_line(ahead: int) -> str:
    """Said at once when a user's work queues behind `ahead` others: under load, never silence."""
    return BUSY.format(ahead=ahead)


async def tell_retrying(ctx: FlowContext) -> None:
    """Say once, where the user is looking, that their answer is coming after a retry.

    Only where it takes no new Slack surface: the message or command (ephemeral), the modal (a
    banner), else the DM; never by opening a modal (the retry could not replace it).
    """
    surface = ctx.surface
    try:
        if surface.view_id is not None and surface.definition is not None and not surface.replace:
            view = {**surface.definition, "id": surface.view_id, "hash": surface.view_hash}
            await ctx.banner(view, notice=RETRYING, outcome=False)
        elif surface.response_url is not None:
            await ctx.respond(notice_message(RETRYING), url=surface.response_url, replace=surface.replace)
        elif surface.user_id is not None and surface.view_id is None and surface.trigger_id is None:
            await ctx.dm(notice_message(RETRYING), surface.user_id)
    except Exception:
        log.exception("flow %s: telling the user it is retrying failed", ctx.item.flow)

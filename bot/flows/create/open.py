"""Opening the new-ticket modal inside Slack's 3 s trigger window, on the right tab, with a fresh key."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Literal

from bot.flows.context import FlowContext, Surface
from bot.flows.create.form import form_view, prefetch
from bot.flows.stored import keep_draft
from bot.flows.views_io import OpenedView
from bot.rowcache import RowCache
from bot.state import Origin, TicketDraft
from bot.views.create_modal import create_modal
from bot.views.create_status import TITLE, loading_form_view

log = logging.getLogger(__name__)

# How long opening may wait for the form's reference data before it shows "Loading the form…" and
# updates later: the trigger_id dies 3 s after the click, and views.open itself needs a moment.
FORM_WAIT_SECONDS = 1.5


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def start_draft(
    rows: RowCache,
    team_id: str,
    *,
    prompt: str | None,
    origin: Origin | None,
    tab: Literal["quick", "full"] | None,
    parent_ticket_id: int | None,
    initial: dict[str, Any] | None,
    suggestion_id: str | None,
) -> TicketDraft:
    """A new draft (with its idempotency key): Quick Create when there is a prompt, else Full Form."""
    chosen = tab or ("quick" if (prompt or "").strip() or suggestion_id else "full")
    fields: dict[str, Any] = {}
    initial = dict(initial or {})
    if parent_ticket_id is not None and not initial:
        # A spin-off of a ticket the app just showed: same company and board, as in a linked thread.
        parent = rows.get(team_id, parent_ticket_id)
        if parent is not None:
            if parent.company is not None:
                initial.update(company_id=parent.company.id, company_name=parent.company.name or None)
            if parent.board is not None:
                initial["board_id"] = parent.board.id
    company_id, board_id = _int(initial.get("company_id")), _int(initial.get("board_id"))
    if company_id is not None:
        fields["company_id"] = company_id
        name = initial.get("company_name")
        fields["company_name"] = str(name) if name else None
    if board_id is not None:
        fields["board_id"] = board_id
    return TicketDraft.start(
        tab=chosen,
        prompt=(prompt or "").strip() or None,
        origin=origin,
        parent_ticket_id=parent_ticket_id,
        suggestion_id=suggestion_id,
        **fields,
    )


async def _show(ctx: FlowContext, view: dict[str, Any], *, push: bool) -> OpenedView | None:
    if push:
        # From inside a modal (the detail's "New spin-off ticket"): stack on it, so Done goes back there.
        pushed = await ctx.push(view)
        if pushed is not None:
            return pushed
    return await ctx.open(view)


async def open_create_modal(
    ctx: FlowContext,
    *,
    prompt: str | None = None,
    origin: Origin | None = None,
    tab: Literal["quick", "full"] | None = None,
    parent_ticket_id: int | None = None,
    initial: dict[str, Any] | None = None,
    suggestion_id: str | None = None,
    notice: str | None = None,
) -> None:
    """Open the New Ticket modal: Quick Create with a prompt (or from a suggestion), else Full Form.

    `initial` pre-fills company_id / board_id (and company_name) from a linked ticket; `origin` is where
    the confirmation goes; `suggestion_id` is the AI suggestion to replace once the ticket exists.
    With `parent_ticket_id` (the detail modal's button) the modal is pushed onto the detail.
    `notice` is shown on top of the prompt (e.g. that a long text had to be shortened to fit).
    """
    trigger_id = ctx.actor.trigger_id
    if trigger_id is None:
        return
    push = parent_ticket_id is not None
    # Until the form is open, a failure (e.g. not connected) is explained in a modal of its own.
    ctx.surface = Surface(trigger_id=trigger_id, push=push, title=TITLE, user_id=ctx.user_id)
    service = await ctx.service()
    # Refused before anything is typed: the mapping prompt (or the workspace's rule) in that modal.
    ctx.channel = ctx.channel or (origin.channel_id if origin else None)
    await ctx.require_writer()
    draft = start_draft(
        ctx.deps.rows,
        ctx.team_id,
        prompt=prompt,
        origin=origin,
        tab=tab,
        parent_ticket_id=parent_ticket_id,
        initial=initial,
        suggestion_id=suggestion_id,
    )
    if not draft.form_visible:
        # Only the prompt is shown: open now, and warm the reference cache while the user reads/types.
        draft = await keep_draft(ctx, draft)
        prompt_only = create_modal(draft, boards=[], statuses=[], priorities=[], members=[], banner=notice)
        opened = await _show(ctx, prompt_only, push=push)
        if opened is not None:
            ctx.continue_here(prefetch(service), name="create-prefetch")
        return
    loading = asyncio.ensure_future(form_view(ctx, service, draft))
    done, _ = await asyncio.wait({loading}, timeout=FORM_WAIT_SECONDS)
    if done:
        _, view = loading.result()
        await _show(ctx, view, push=push)
        return
    opened = await _show(ctx, loading_form_view(await keep_draft(ctx, draft)), push=push)
    if opened is not None:
        ctx.surface = Surface(view_id=opened.id, replace=True, title=TITLE, user_id=ctx.user_id)
    _, view = await loading
    if opened is not None:
        await ctx.update(view, view_id=opened.id, hash=opened.hash)

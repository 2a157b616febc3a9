"""Working in the open modal: switching tabs, picking a board, and parsing the Quick Create prompt.

Every step reads the stored draft and what the user typed (`load_draft`) before re-rendering, so
nothing typed is lost, and updates with the view hash, so a closed or newer modal is left alone.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.flows.context import FlowContext, Surface
from bot.flows.create.form import board_statuses, form_view, load_form_data, render_form, with_names
from bot.flows.errors import NotConnected
from bot.flows.stored import keep_draft, load_draft
from bot.flows.work import WorkItem, flow
from bot.inputs import PROMPT
from bot.state import Tab, TicketDraft
from bot.views.create_modal import create_modal
from bot.views.create_status import TITLE, parsing_view
from bot.views.prompts import psa_error_text
from psa.errors import PSAError

log = logging.getLogger(__name__)

PROMPT_NEEDED = "Describe the issue first, then press Parse."
STALE_FORM = "This form is out of date. Close it and start a new ticket."


async def _draft(ctx: FlowContext, item: WorkItem) -> TicketDraft:
    return await load_draft(ctx, item.body.get("view") or {})


async def rerender(
    ctx: FlowContext,
    draft: TicketDraft,
    *,
    view_hash: str | None,
    banner: str | None = None,
    errors: dict[str, str] | None = None,
) -> None:
    """Render `draft` (loading the form's data if its form is visible) into the user's open modal."""
    if not draft.form_visible:
        draft = await keep_draft(ctx, draft)
        view = create_modal(
            draft, boards=[], statuses=[], priorities=[], members=[], banner=banner, errors=errors
        )
    else:
        service = await ctx.service()
        _, view = await form_view(ctx, service, draft, banner=banner, errors=errors)
    await ctx.update(view, hash=view_hash)


@flow("create.switch_tab")
async def switch_tab(ctx: FlowContext, item: WorkItem) -> None:
    """Show the other tab over the same draft (what was typed on either tab is kept)."""
    tab: Tab = "quick" if item.args.get("tab") == "quick" else "full"
    draft = await _draft(ctx, item)
    if draft.tab != tab:
        await rerender(ctx, draft.switch_tab(tab), view_hash=ctx.actor.view_hash)


@flow("create.change_board")
async def change_board(ctx: FlowContext, item: WorkItem) -> None:
    """A new board: reload its statuses, drop a status of the old board, preselect the board's default."""
    await rerender(ctx, await _draft(ctx, item), view_hash=ctx.actor.view_hash)


@flow("create.parse")
async def parse_prompt(ctx: FlowContext, item: WorkItem) -> None:
    """The Parse button: "Parsing…" at once, then the review form filled from the prompt."""
    draft = await _draft(ctx, item)
    if not (draft.prompt or "").strip():
        await rerender(ctx, draft, view_hash=ctx.actor.view_hash, errors={"prompt": PROMPT_NEEDED})
        return
    PROMPT.check(draft.prompt)
    draft = await keep_draft(ctx, draft)
    opened = await ctx.update(parsing_view(draft), hash=ctx.actor.view_hash)
    if opened is None:
        return  # closed or changed meanwhile
    await parse_into(ctx, draft, view_id=opened.id, view_hash=opened.hash)


@flow("create.parse_submitted")
async def parse_submitted(ctx: FlowContext, item: WorkItem) -> None:
    """ "Create ticket" pressed on a prompt alone: the ack showed "Parsing…"; fill the review form."""
    view = item.body.get("view") or {}
    await parse_into(ctx, await _draft(ctx, item), view_id=str(view.get("id") or ""), view_hash=None)


async def parse_into(ctx: FlowContext, draft: TicketDraft, *, view_id: str, view_hash: str | None) -> None:
    """Parse the draft's prompt and replace the "Parsing…" view with the review form (nothing is created)."""
    ctx.surface = Surface(view_id=view_id, replace=True, title=TITLE, user_id=ctx.user_id)
    service = await ctx.service()
    parser = await ctx.deps.parsers.parser(ctx.team_id)
    if parser is None:
        raise NotConnected(ctx.team_id)
    # The form's selects load alongside the parse; the service's cache makes shared lookups one call.
    member_id = await ctx.deps.storage.mapping_lookup(ctx.team_id).member_id_for(ctx.user_id)
    form_data = asyncio.ensure_future(load_form_data(ctx, service, None))
    try:
        result = await parser.parse(draft.prompt or "", actor_member_id=member_id)
    except PSAError as exc:
        form_data.cancel()
        view = create_modal(
            await keep_draft(ctx, draft.switch_tab("quick")),
            boards=[],
            statuses=[],
            priorities=[],
            members=[],
            banner=f"Couldn't read ConnectWise to fill in the form: {psa_error_text(exc)}",
        )
        await ctx.update(view, view_id=view_id, hash=view_hash)
        return
    except BaseException:
        form_data.cancel()
        raise
    prefilled = draft.with_prefill(
        summary=result.summary,
        company_id=result.company_id,
        board_id=result.board_id,
        status_id=result.status_id,
        priority_id=result.priority_id,
        assigned_member_id=result.assigned_member_id,
        description=result.description,
        missing_fields=[],
        warnings=result.warnings,
    )
    updates: dict[str, Any] = {
        "missing_fields": [f for f in result.missing_fields if getattr(prefilled, f, None) in (None, "")]
    }
    if result.company_id is not None and result.company_id != draft.company_id:
        updates["company_name"] = None  # looked up again below
    if result.assigned_member_id is not None and result.assigned_member_id != draft.assigned_member_id:
        updates["assigned_member_name"] = None
    prefilled = prefilled.model_copy(update=updates)
    data = await form_data
    if prefilled.board_id is not None:
        data.statuses = await board_statuses(service, prefilled.board_id, data.problems)
    prefilled = await keep_draft(ctx, await with_names(service, prefilled, data))
    await ctx.update(render_form(prefilled, data), view_id=view_id, hash=view_hash)

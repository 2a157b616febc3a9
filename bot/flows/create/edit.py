"""Working in the open modal: switching tabs, picking a board, and parsing the Quick Create prompt.

Every step reads what the user typed (`draft_from_view`) before re-rendering, so nothing typed is lost,
and updates with the view hash, so a closed or newer modal is left alone (quietly).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.actor import Actor
from bot.deps import AppDeps
from bot.flows.create.form import board_statuses, form_view, load_form_data, render_form, with_names
from bot.flows.create.open import NOT_CONNECTED
from bot.flows.views_io import update_view
from bot.state import StateError, Tab, TicketDraft, draft_from_view
from bot.views.create_modal import create_modal
from bot.views.create_status import parsing_view, unavailable_view
from bot.views.prompts import psa_error_text
from psa.errors import PSAError
from psa.service import TicketService

log = logging.getLogger(__name__)

PROMPT_NEEDED = "Describe the issue first, then press Parse."
STALE_FORM = "This form is out of date. Close it and start a new ticket."


def _draft(view: dict[str, Any]) -> TicketDraft | None:
    try:
        return draft_from_view(view)
    except StateError:
        log.warning("create modal with unreadable private_metadata")
        return None


async def _service(deps: AppDeps, client: AsyncWebClient, actor: Actor) -> TicketService | None:
    service = await deps.workspaces.service(actor.team_id)
    if service is None and actor.view_id:
        await update_view(client, actor.view_id, unavailable_view(NOT_CONNECTED), hash=None)
    return service


async def rerender(
    deps: AppDeps,
    client: AsyncWebClient,
    actor: Actor,
    draft: TicketDraft,
    *,
    view_hash: str | None,
    banner: str | None = None,
    errors: dict[str, str] | None = None,
) -> None:
    """Render `draft` (loading the form's data if its form is visible) into the user's open modal."""
    if actor.view_id is None:
        return
    if not draft.form_visible:
        view = create_modal(
            draft, boards=[], statuses=[], priorities=[], members=[], banner=banner, errors=errors
        )
    else:
        service = await _service(deps, client, actor)
        if service is None:
            return
        _, view = await form_view(
            deps, service, draft, team_id=actor.team_id, user_id=actor.user_id, banner=banner, errors=errors
        )
    await update_view(client, actor.view_id, view, hash=view_hash)


async def switch_tab(
    deps: AppDeps, client: AsyncWebClient, actor: Actor, view: dict[str, Any], tab: Tab
) -> None:
    """Show the other tab over the same draft (what was typed on either tab is kept)."""
    draft = _draft(view)
    if draft is None or draft.tab == tab:
        return
    await rerender(deps, client, actor, draft.switch_tab(tab), view_hash=actor.view_hash)


async def change_board(deps: AppDeps, client: AsyncWebClient, actor: Actor, view: dict[str, Any]) -> None:
    """A new board: reload its statuses, drop a status of the old board, preselect the board's default."""
    draft = _draft(view)
    if draft is None:
        return
    await rerender(deps, client, actor, draft, view_hash=actor.view_hash)


async def parse_prompt(deps: AppDeps, client: AsyncWebClient, actor: Actor, view: dict[str, Any]) -> None:
    """The Parse button: "Parsing…" at once, then the review form filled from the prompt."""
    draft = _draft(view)
    if draft is None or actor.view_id is None:
        return
    if not (draft.prompt or "").strip():
        await rerender(
            deps, client, actor, draft, view_hash=actor.view_hash, errors={"prompt": PROMPT_NEEDED}
        )
        return
    opened = await update_view(client, actor.view_id, parsing_view(draft), hash=actor.view_hash)
    if opened is None:
        return  # closed or changed meanwhile
    await parse_into(deps, client, actor, draft, view_id=opened.id, view_hash=opened.hash)


async def parse_into(
    deps: AppDeps,
    client: AsyncWebClient,
    actor: Actor,
    draft: TicketDraft,
    *,
    view_id: str,
    view_hash: str | None,
) -> None:
    """Parse the draft's prompt and replace the "Parsing…" view with the review form (nothing is created)."""
    parser = await deps.parsers.parser(actor.team_id)
    service = await deps.workspaces.service(actor.team_id)
    if parser is None or service is None:
        await update_view(client, view_id, unavailable_view(NOT_CONNECTED), hash=view_hash)
        return
    # The form's selects load alongside the parse; the service's cache makes shared lookups one call.
    lookup = deps.storage.mapping_lookup(actor.team_id)
    member_id = await lookup.member_id_for(actor.user_id)
    form_data = asyncio.ensure_future(load_form_data(deps, service, actor.team_id, actor.user_id, None))
    try:
        result = await parser.parse(draft.prompt or "", actor_member_id=member_id)
    except PSAError as exc:
        form_data.cancel()
        view = create_modal(
            draft.switch_tab("quick"),
            boards=[],
            statuses=[],
            priorities=[],
            members=[],
            banner=f"Couldn't read ConnectWise to fill in the form: {psa_error_text(exc)}",
        )
        await update_view(client, view_id, view, hash=view_hash)
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
    prefilled = await with_names(service, prefilled, data)
    await update_view(client, view_id, render_form(prefilled, data), hash=view_hash)

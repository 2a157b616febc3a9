"""Done on the detail modal: a typed note is saved before the modal closes, or the modal stays open with
the reason next to the note (everything typed kept).

The note is written under the same key as its Add note click would be (the modal and its composer
revision), so Done after an Add note that already saved it closes without a second note. When the PSA
is slower than Slack's 3 s allow, the modal says "Saving your note…" and the write finishes behind it:
then the modal shows the ticket with the note (or the note as typed, with the reason).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.flows import home
from bot.flows.context import FlowContext
from bot.flows.detail_actions import note_problem, note_write, refresh
from bot.flows.once import Ended, Outcome, write_once
from bot.flows.submission import Submission
from bot.flows.tell import told_line
from bot.flows.views_io import as_definition
from bot.ids import note_block_id, note_internal_block_id
from bot.state import DetailState, NoteDraft, note_from_view
from bot.text import truncate
from bot.views.prompts import with_banner

log = logging.getLogger(__name__)

# Slack closes a submission's request after 3 s; the ack itself needs a moment.
SAVE_BUDGET = 2.0
ERROR_MAX = 300
SAVING = "Saving your note…"


async def submit_detail(ctx: FlowContext, view: dict[str, Any]) -> Submission:
    """Close, after saving the typed note if there is one; else keep the modal open with the reason."""
    state, draft = note_from_view(view)
    if not draft.text:
        return Submission.close()
    problem = note_problem(draft)
    if problem is not None:
        return _note_error(state, problem)
    write, perform = note_write(view, state, draft)
    saving = asyncio.ensure_future(write_once(ctx, write, perform))
    done, _ = await asyncio.wait({saving}, timeout=SAVE_BUDGET)
    if not done:
        ctx.continue_here(_finish_slow(ctx, view, state, draft, saving), name="detail-done-note")
        return Submission.update(with_banner(typed_view(view, state, draft), notice=SAVING))
    outcome = saving.result()  # raises the shared errors (not mapped, …): answered next to the note
    if outcome.done:
        return Submission.close().and_then(home.refresh_home)
    return _note_error(state, _why(outcome))


def _why(outcome: Outcome) -> str:
    if outcome.ended is Ended.BUSY:
        return "Still saving this note from your Add note click: press Done again in a moment."
    return outcome.text


def _note_error(state: DetailState, message: str) -> Submission:
    return Submission.field_errors({note_block_id(state.note_rev): truncate(message, ERROR_MAX)})


def typed_view(view: dict[str, Any], state: DetailState, draft: NoteDraft) -> dict[str, Any]:
    """The submitted modal as it was, with the typed note and its visibility as initial values."""
    definition = as_definition(view)
    blocks = []
    for block in definition.get("blocks") or []:
        element = dict(block.get("element") or {})
        if block.get("block_id") == note_block_id(state.note_rev):
            element["initial_value"] = draft.text or ""
            block = {**block, "element": element}
        elif block.get("block_id") == note_internal_block_id(state.note_rev):
            options = element.get("options") or []
            element.pop("initial_options", None)
            if draft.internal:
                element["initial_options"] = [o for o in options if o.get("value") == "internal"]
            block = {**block, "element": element}
        blocks.append(block)
    return {**definition, "blocks": blocks}


async def _finish_slow(
    ctx: FlowContext,
    view: dict[str, Any],
    state: DetailState,
    draft: NoteDraft,
    saving: asyncio.Future[Outcome],
) -> None:
    kept = typed_view(view, state, draft)
    try:
        outcome = await saving
    except Exception as exc:
        line = await told_line(ctx, exc)
        await ctx.update(with_banner(kept, error=line or "Your note was not saved."), view_id=view["id"])
        return
    if not outcome.done:
        await ctx.update(with_banner(kept, error=_why(outcome)), view_id=view["id"])
        return
    # The modal now shows "Saving your note…" (no hash: it is the view the ack put there).
    after = state.model_copy(update={"note_rev": state.note_rev + 1})
    await refresh(ctx, await ctx.service(), {**view, "hash": None}, after, notice=outcome.text)

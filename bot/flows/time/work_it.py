"""The Work it modal: opened from the detail, `/tickets work 1042`, a linked thread or the end-of-day DM;
one Save writes the time entry (carrying the note), the note or the next status — each part once."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot import inputs
from bot.flows.context import FlowContext, Surface
from bot.flows.once import writer_for
from bot.flows.submission import Submission
from bot.flows.time.parts import NotePart, StatusPart, TimePart, WorkPlan, run_plan
from bot.flows.time.quick import user_zone
from bot.flows.views_io import as_definition
from bot.flows.work import WorkItem, flow
from bot.ids import WorkField
from bot.state import Origin
from bot.state.work import WorkDraft, WorkMeta, draft_from_state
from bot.views.prompts import problem_modal, psa_error_text
from bot.views.time_work import (
    NOTE_INPUT_MAX,
    WorkForm,
    done_view,
    partial_banner,
    refill,
    saving_view,
    work_loading,
    work_title,
    work_view,
)
from bot.worked_time import Duration, WorkedTimeError, parse_worked_time, span_of
from psa.aio import gather_all
from psa.errors import PSAError, PSANotFoundError
from psa.models import PSATicketSearchResult
from psa.service import TicketService
from psa.time import TimeSpanError
from storage.repositories import thread_links as thread_link_repo

log = logging.getLogger(__name__)

NOTHING = "Nothing to save yet: enter the time worked, write a note or pick the next status."
EMAIL_NEEDS_TIME = (
    "The e-mail to the contact goes out with a time entry: enter the time worked, or untick this."
)
RESOLUTION_NEEDS_TIME = (
    "A resolution is saved on a time entry: enter the time worked, or pick Discussion or Internal."
)
OTHER_DAY = "For another day, give the start and end, like 9:00-10:30."


def new_key() -> str:
    """The idempotency key of one Work it modal (its parts write under sub-keys of it)."""
    return f"work:{uuid.uuid4().hex}"


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


async def load_form(
    ctx: FlowContext,
    service: TicketService,
    ticket_id: int,
    member_id: int,
    row: PSATicketSearchResult | None,
) -> tuple[WorkForm, str]:
    """Everything the modal offers, in one parallel round when the ticket's row is known (else two)."""
    board_id = row.board.id if row is not None and row.board is not None else None
    ticket, work_types, work_roles, defaults, zone, statuses = await gather_all(
        service.get_ticket(ticket_id) if row is None else _known(row),
        service.work_types(),
        service.work_roles(),
        service.member_time_defaults(member_id),
        user_zone(ctx),
        service.statuses(board_id) if board_id is not None else _none(),
    )
    if board_id is None and ticket.board is not None:
        statuses = await service.statuses(ticket.board.id)
    tz = getattr(zone, "key", "UTC")
    form = WorkForm(
        ticket_id=ticket.id,
        summary=ticket.summary,
        company_name=ticket.company.name if ticket.company else None,
        status_id=ticket.status.id if ticket.status else None,
        status_name=ticket.status.name if ticket.status else None,
        statuses=statuses or [],
        work_types=work_types,
        work_roles=work_roles,
        defaults=defaults,
        contact_name=ticket.contact.name if ticket.contact and ticket.contact.name else None,
        today=ctx.deps.now().astimezone(zone).date(),
    )
    return form, tz


async def _known(row: PSATicketSearchResult) -> PSATicketSearchResult:
    return row


async def _none() -> None:
    return None


async def open_work(
    ctx: FlowContext,
    ticket_id: int,
    *,
    push: bool = False,
    note: str = "",
    parent_view_id: str | None = None,
    channel_id: str | None = None,
) -> None:
    """Open (or push) the modal at once, then fill it in; unmapped users get the mapping prompt instead."""
    if ctx.actor.trigger_id is None:
        return
    mapped = await ctx.require_member()
    service = await ctx.service()
    meta = WorkMeta(ticket_id=ticket_id, key=new_key(), parent_view_id=parent_view_id, channel_id=channel_id)
    row = ctx.deps.rows.get(ctx.team_id, ticket_id)
    loading = work_loading(ticket_id, meta, row.summary if row is not None else "")
    opened = await ctx.push(loading) if push else None
    if opened is None:
        opened = await ctx.open(loading)
    if opened is None:
        return
    try:
        form, tz = await load_form(ctx, service, ticket_id, mapped.psa_member_id, row)
    except PSANotFoundError:
        view = problem_modal(work_title(ticket_id), f"Ticket #{ticket_id} doesn't exist in ConnectWise.")
    except PSAError as exc:
        view = problem_modal(
            work_title(ticket_id), f"Couldn't load ticket #{ticket_id}: {psa_error_text(exc)}"
        )
    else:
        closed = [s.id for s in form.statuses if s.closed][:100]
        board_id = next((s.board_id for s in form.statuses), None)
        meta = meta.model_copy(update={"tz": tz, "board_id": board_id, "closed_ids": closed})
        cut = len(note) > NOTE_INPUT_MAX
        view = work_view(form, WorkDraft(note=note[:NOTE_INPUT_MAX]), meta, note_cut=cut)
    await ctx.update(view, view_id=opened.id, hash=opened.hash)


def build_plan(draft: WorkDraft, meta: WorkMeta, *, now: datetime) -> tuple[dict[str, str], WorkPlan | None]:
    """The parts a submit asks for, or the field errors ({block id: message}) that keep the modal open."""
    errors: dict[str, str] = {}
    time: TimePart | None = None
    zone = _zone(meta.tz)
    today = now.astimezone(zone).date()
    note = draft.note.strip()
    # With time logged the note is the time entry's; without, a ticket note: each has its limit.
    too_long = (inputs.TIME_NOTE if draft.logs_time else inputs.NOTE).problem(note)
    if too_long is not None:
        errors[WorkField.NOTE] = too_long
    if draft.logs_time:
        try:
            worked = parse_worked_time(draft.duration)
            if isinstance(worked, Duration) and draft.day not in (None, today):
                raise WorkedTimeError(OTHER_DAY)
            span = span_of(worked, now=now, tz=zone, day=draft.day if draft.day is not None else today)
        except WorkedTimeError as exc:
            errors[WorkField.DURATION] = exc.message
        except TimeSpanError as exc:
            errors[WorkField.DURATION] = exc.message
        else:
            time = TimePart(
                span=span,
                note=note,
                note_target=draft.note_target if note else None,
                work_type_id=draft.work_type_id,
                work_role_id=draft.work_role_id,
                billable=None if draft.billing == "default" else draft.billing,
                email_contact=draft.email_contact,
            )
    else:
        if draft.email_contact:
            errors[WorkField.EMAIL] = EMAIL_NEEDS_TIME
        if note and draft.note_target == "resolution":
            errors[WorkField.NOTE_TARGET] = RESOLUTION_NEEDS_TIME
        if not note and draft.status_id is None and not errors:
            errors[WorkField.DURATION] = NOTHING
    if errors:
        return errors, None
    plan = WorkPlan(
        ticket_id=meta.ticket_id,
        key=meta.key,
        time=time,
        note=NotePart(text=note, internal=draft.note_target == "internal") if note and time is None else None,
        status=(
            StatusPart(status_id=draft.status_id, closed=draft.status_id in meta.closed_ids)
            if draft.status_id is not None
            else None
        ),
    )
    return {}, plan


def _doing(plan: WorkPlan) -> list[str]:
    words = {"time": "the time", "note": "the note", "status": "the status"}
    return [words[p] for p in plan.order()]


async def decide_work(ctx: FlowContext, view: dict[str, Any]) -> Submission:
    """Inside the ack: check what was typed (no PSA call); show "Saving…" and hand the writes off."""
    meta = WorkMeta.decode(view.get("private_metadata"))
    draft = draft_from_state(view)
    await ctx.require_member()
    errors, plan = build_plan(draft, meta, now=ctx.deps.now())
    if plan is None:
        return Submission.field_errors(errors)
    return Submission.update(saving_view(meta, _doing(plan))).and_then(save_work, key=meta.key)


@flow("time.work_save", doing="save your work on the ticket")
async def save_work(ctx: FlowContext, item: WorkItem) -> None:
    """Write each part once; all done → what was done; otherwise the form again, as typed, saying which
    parts were done and which were not (Save again redoes only those)."""
    view = item.body.get("view") or {}
    meta = WorkMeta.decode(view.get("private_metadata"))
    draft = draft_from_state(view)
    ctx.surface = Surface(
        view_id=view.get("id"), replace=True, title=work_title(meta.ticket_id), user_id=ctx.user_id
    )
    errors, plan = build_plan(draft, meta, now=ctx.deps.now())
    if plan is None:  # time moved on since the ack (e.g. a start–end now lies in the future)
        banner = " ".join(errors.values())
        await ctx.update(refill(as_definition(view), draft, error=banner), view_id=view["id"])
        return
    writer = await writer_for(ctx)
    outcomes = await run_plan(ctx, writer, plan)
    if not any(o.here for o in outcomes) and any(o.busy for o in outcomes):
        return  # a second delivery of the same Save: the first one shows how it ended
    results = [o.as_result() for o in outcomes]
    if all(o.done for o in outcomes):
        await ctx.update(done_view(meta, results), view_id=view["id"])
    else:
        restored = refill(as_definition(view), draft, error=partial_banner(results))
        await ctx.update(restored, view_id=view["id"])
    if any(o.here and o.done for o in outcomes):
        await _refresh_parent(ctx, meta, "; ".join(r.text for r in results if r.done))


async def _refresh_parent(ctx: FlowContext, meta: WorkMeta, notice: str) -> None:
    """The detail modal the Work it modal was pushed from, re-read with what was saved on top."""
    if meta.parent_view_id is None:
        return
    from bot.flows.detail import load_detail
    from bot.state import DetailState
    from bot.views.ticket_detail import detail_view

    origin = Origin(channel_id=meta.channel_id) if meta.channel_id else None
    try:
        service = await ctx.service()
        data = await load_detail(ctx, service, meta.ticket_id)
    except PSAError as exc:
        log.info("detail under the Work it modal not refreshed: %s", exc.message)
        return
    state = DetailState(ticket_id=meta.ticket_id, origin=origin)
    await ctx.update(
        detail_view(data, state=state, now=ctx.deps.now(), notice=f"Saved: {notice}"),
        view_id=meta.parent_view_id,
    )


@flow("time.work_open")
async def open_work_button(ctx: FlowContext, item: WorkItem) -> None:
    """A "Log time" button (the detail modal, the end-of-day DM): the Work it modal for its ticket."""
    view = item.body.get("view") or {}
    in_modal = view.get("type") == "modal"
    await open_work(
        ctx,
        int(item.args["ticket_id"]),
        push=in_modal,
        parent_view_id=view.get("id") if in_modal else None,
        channel_id=ctx.actor.channel_id,
    )


async def open_work_from_command(ctx: FlowContext, ticket_id: int) -> None:
    """`/tickets work 1042`."""
    await open_work(ctx, ticket_id, channel_id=ctx.actor.channel_id)


@flow("time.work_shortcut")
async def open_work_from_thread(ctx: FlowContext, item: WorkItem) -> None:
    """ "Log time on ticket" on a message: the ticket its thread is linked to, the message as the note."""
    message = item.body.get("message") or {}
    channel_id = ctx.actor.channel_id
    if ctx.actor.trigger_id is None or channel_id is None or not message.get("ts"):
        return
    thread_ts = str(message.get("thread_ts") or message["ts"])
    link = await ctx.deps.storage.workspace(ctx.team_id).read(
        partial(thread_link_repo.get_thread_link, channel_id=channel_id, thread_ts=thread_ts)
    )
    if link is None:
        await ctx.open(
            problem_modal(
                "Log time on ticket",
                "This thread isn't linked to a ticket yet.",
                hint="Run “Link thread to ticket” on it first, or use /tickets work 1042.",
            )
        )
        return
    from bot.text import plain

    await open_work(ctx, link.ticket_id, note=plain(str(message.get("text") or "")), channel_id=channel_id)

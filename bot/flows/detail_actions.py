"""Changes made from the detail modal: status, assignees, notes, share, spin-off.

Each change is one write through `bot.flows.once.write_once`, keyed by the modal and the revision kept in
its state (a double click or a replayed request makes it once; the next change of the same kind after a
success gets a new key). Then the modal is re-rendered with the outcome on top (hash-guarded). A failure
shows as a banner on the very same view, so whatever the user typed stays where it was.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from bot.flows import create, home, list_refresh
from bot.flows.context import FlowContext
from bot.flows.detail import load_detail
from bot.flows.once import Ended, Made, Outcome, Perform, Write, write_once
from bot.flows.share import share_ticket
from bot.flows.views_io import as_definition
from bot.flows.work import WorkItem, flow
from bot.ids import DetailBlock, assignee_block_id
from bot.inputs import NOTE
from bot.state import DetailState, NoteDraft, note_from_view
from bot.views.detail_patch import after_assignee_added, after_assignee_removed, after_note, after_status
from bot.views.prompts import with_banner
from bot.views.ticket_detail import ASSIGNEES_MAX, detail_view, status_notice
from bot.workspaces import Writer
from psa.aio import gather_all
from psa.errors import PSAError
from psa.models import Note, PSATicketStatusUpdate
from psa.service import TicketService
from storage import AuditAction, WriteKind

log = logging.getLogger(__name__)


def _view(item: WorkItem) -> dict[str, Any]:
    return dict(item.body.get("view") or {})


def _opened(item: WorkItem) -> tuple[dict[str, Any], DetailState]:
    """The detail modal a click came from, and its state."""
    view = _view(item)
    return view, DetailState.decode(view.get("private_metadata"))


async def refresh(
    ctx: FlowContext,
    service: TicketService,
    view: dict[str, Any],
    state: DetailState,
    *,
    notice: str,
    shown: bool = False,
) -> None:
    """Re-render the modal from fresh data with `notice` on top (hash-guarded), then refresh Home.
    `shown`: the change is on screen already, so a failed re-read leaves the modal as it is."""
    known = ctx.deps.rows.get(ctx.team_id, state.ticket_id)
    listed = await list_refresh.claim(ctx, state)
    notice = list_refresh.with_list_note(notice, listed)
    try:
        data = await load_detail(ctx, service, state.ticket_id, known=known)
    except PSAError as exc:
        if shown:
            log.info("re-read of #%s after a write failed: %s", state.ticket_id, exc.message)
        else:
            # The change went through; only the re-read failed. Say both, keep the view.
            await ctx.banner(view, notice=notice, error=f"Couldn't refresh the ticket: {exc.message}")
    else:
        rendered = detail_view(data, state=state, now=ctx.deps.now(), notice=notice)
        await ctx.update(rendered, view_id=view["id"], hash=view.get("hash"), outcome=not shown)
    await ctx.submit(home.refresh_home)
    if listed is not None and listed.allowed:
        await ctx.submit(
            refresh_list,
            list_id=state.list_id,
            response_url=state.response_url,
            last=listed.last,
            channel_id=state.origin.channel_id if state.origin else None,
        )


@flow("detail.refresh_list")
async def refresh_list(ctx: FlowContext, item: WorkItem) -> None:
    """Re-render the list message the detail was opened from, so its row shows the change."""
    await list_refresh.replace_list(
        ctx,
        item.args.get("list_id"),
        str(item.args["response_url"]),
        last=bool(item.args.get("last")),
        channel_id=item.args.get("channel_id"),
    )


def write_key(kind: WriteKind, view: dict[str, Any], rev: int, *parts: object) -> str:
    """The idempotency key of a write made from this modal at this revision of it."""
    return ":".join([kind.value, str(view.get("id") or "?"), str(rev), *(str(p) for p in parts)])


Patch = Callable[[dict[str, Any], Any], dict[str, Any]]  # (shown definition, the write's answer) → view


async def apply_write(
    ctx: FlowContext,
    view: dict[str, Any],
    state: DetailState,
    write: Write,
    perform: Perform,
    *,
    patch: Patch | None = None,
) -> Outcome:
    """Make one write from the modal and show its outcome there; `state` is what to render after it.

    With `patch`, the outcome shows at once in the modal as it is, changed by the write's own answer
    (no PSA call after the write); the full re-read follows in the background.
    """
    outcome = await write_once(ctx, write, perform)
    if outcome.ended is Ended.BUSY:
        return outcome  # the click that holds it shows the outcome (a banner now would void its update)
    if not outcome.done:
        await ctx.banner(view, error=outcome.text)
        return outcome
    ctx.deps.rows.forget(ctx.team_id, state.ticket_id)
    if patch is not None and outcome.value is not None:
        shown = with_banner(patch(as_definition(view), outcome.value), notice=outcome.text)
        opened = await ctx.update(shown, view_id=view["id"], hash=view.get("hash"), outcome=True)
        # Even when the modal moved on or was closed (a quiet refusal), the list and Home follow.
        await ctx.submit(
            refresh_after_write,
            view_id=view["id"],
            hash=opened.hash if opened is not None else view.get("hash"),
            state=state.encode(),
            notice=outcome.text,
        )
        return outcome
    await refresh(ctx, await ctx.service(), view, state, notice=outcome.text)
    return outcome


@flow("detail.refresh_after_write")
async def refresh_after_write(ctx: FlowContext, item: WorkItem) -> None:
    """The full re-read after a write already shown from its own answer (skipped if the modal moved on)."""
    view = {"id": str(item.args["view_id"]), "hash": item.args.get("hash")}
    state = DetailState.decode(str(item.args["state"]))
    await refresh(ctx, await ctx.service(), view, state, notice=str(item.args["notice"]), shown=True)


def _bumped(state: DetailState) -> DetailState:
    return state.model_copy(update={"rev": state.rev + 1})


# A change made from the modal: its audit action, "Couldn't save {what}", where to look if it is uncertain.
_CHANGES = {
    WriteKind.STATUS: (AuditAction.STATUS_CHANGE, "the status change", "the ticket's status"),
    WriteKind.ASSIGNEE_ADD: (AuditAction.ASSIGNEE_ADD, "the new assignee", "the ticket's assignees"),
    WriteKind.ASSIGNEE_REMOVE: (
        AuditAction.ASSIGNEE_REMOVE,
        "the removal of the assignee",
        "the ticket's assignees",
    ),
    WriteKind.SHARE: (AuditAction.SHARE, "the card", "the channel"),
}


def ticket_write(view: dict[str, Any], state: DetailState, kind: WriteKind, **payload: object) -> Write:
    """A change to the ticket shown in this modal, keyed by the modal's revision and the value chosen."""
    audit, what, check = _CHANGES[kind]
    key = write_key(kind, view, state.rev, *payload.values())
    return Write(
        key=key, kind=kind, audit=audit, ticket_id=state.ticket_id, what=what, check=check, payload=payload
    )


@flow("detail.change_status")
async def change_status(ctx: FlowContext, item: WorkItem) -> None:
    """Move the ticket to another status of its board; the notice reads "Status: New → In Progress"."""
    status_id = int(item.args["status_id"])
    view, state = _opened(item)

    async def perform(writer: Writer, reconcile: bool) -> Made:
        # Setting the same status again changes nothing, so a retry after a lost answer needs no check;
        # the status the user saw is the "from", so the write is the only call.
        update = await writer.service.update_status(
            state.ticket_id, status_id, acting=writer.acting, previous=state.status
        )
        moved = {"from": update.previous_status, "to": update.new_status}
        notice = status_notice(update.previous_status, update.new_status)
        return Made(notice, result=moved, detail={**moved, "status_id": status_id}, value=update)

    write = ticket_write(view, state, WriteKind.STATUS, status_id=status_id)
    after = _bumped(state)

    def patch(shown: dict[str, Any], update: PSATicketStatusUpdate) -> dict[str, Any]:
        moved = after.model_copy(update={"status": update.new_status})
        return after_status(shown, moved, status_id, update.new_status)

    await apply_write(ctx, view, after, write, perform, patch=patch)


@flow("detail.add_assignee")
async def add_assignee(ctx: FlowContext, item: WorkItem) -> None:
    """Assign a member to the ticket."""
    member_id = int(item.args["member_id"])
    view, state = _opened(item)

    async def perform(writer: Writer, reconcile: bool) -> Made:
        # Assigning someone already assigned is a no-op in the provider: a retry is safe as it is.
        resource = await writer.service.add_resource(
            state.ticket_id,
            member_id,
            acting=writer.acting,
            check_first=not _shown_unassigned(view, member_id),
        )
        name = resource.member_name or resource.member_identifier
        detail = {"member_id": member_id, "member": resource.member_identifier}
        return Made(f"Assigned {name}", result=detail, detail=detail, value=resource)

    write = ticket_write(view, state, WriteKind.ASSIGNEE_ADD, member_id=member_id)
    after = _bumped(state)
    await apply_write(
        ctx, view, after, write, perform, patch=lambda shown, made: after_assignee_added(shown, after, made)
    )


def _shown_unassigned(view: dict[str, Any], member_id: int) -> bool:
    """The modal lists every assignee and not this member (so assigning needs no check first)."""
    blocks = view.get("blocks") or []
    title = next((b for b in blocks if b.get("block_id") == DetailBlock.ASSIGNEE), None)
    if title is None or "Couldn't load" in str((title.get("text") or {}).get("text")):
        return False
    rows = [b for b in blocks if str(b.get("block_id", "")).startswith(f"{DetailBlock.ASSIGNEE}.")]
    return len(rows) < ASSIGNEES_MAX and all(b.get("block_id") != assignee_block_id(member_id) for b in rows)


@flow("detail.remove_assignee")
async def remove_assignee(ctx: FlowContext, item: WorkItem) -> None:
    """Unassign a member from the ticket."""
    member_id = int(item.args["member_id"])
    view, state = _opened(item)

    async def perform(writer: Writer, reconcile: bool) -> Made:
        # Removing someone no longer assigned removes nothing: a retry is safe as it is.
        # The name is looked up alongside (reference data), never after: the removal is the last call.
        _, name = await gather_all(
            writer.service.remove_resource(state.ticket_id, member_id, acting=writer.acting),
            _member_name(writer.service, member_id),
        )
        gone = {"member_id": member_id}
        return Made(f"Removed {name}", result=gone, detail=gone, value=member_id)

    write = ticket_write(view, state, WriteKind.ASSIGNEE_REMOVE, member_id=member_id)
    after = _bumped(state)
    await apply_write(
        ctx, view, after, write, perform, patch=lambda shown, gone: after_assignee_removed(shown, after, gone)
    )


async def _member_name(service: TicketService, member_id: int) -> str:
    try:
        members = await service.members()
    except PSAError:
        return f"member {member_id}"
    return next((m.name for m in members if m.id == member_id), f"member {member_id}")


def note_problem(draft: NoteDraft) -> str | None:
    """Why a typed note can't be saved as it is (None: it can)."""
    if not draft.text:
        return "Type the note first, then press Add note."
    return NOTE.problem(draft.text)


def note_write(view: dict[str, Any], state: DetailState, draft: NoteDraft) -> tuple[Write, Perform]:
    """The write of the note typed in this modal's composer (one per composer revision)."""
    text = draft.text or ""

    async def perform(writer: Writer, reconcile: bool) -> Made:
        kind = "Internal note" if draft.internal else "Discussion note"
        if reconcile:
            # An earlier attempt's answer was lost: it may be on the ticket already.
            notes = await writer.service.recent_notes(state.ticket_id)
            found = next((n for n in notes if n.text.strip() == text.strip()), None)
            if found is not None:
                return Made(f"{kind} added", result={"note_id": found.id}, detail={"found": True})
        note = await writer.service.add_note(
            state.ticket_id, text, internal=draft.internal, acting=writer.acting
        )
        detail = {"internal": draft.internal, "length": len(text)}
        return Made(f"{kind} added", result={"note_id": note.id, **detail}, detail=detail, value=note)

    write = Write(
        key=write_key(WriteKind.NOTE, view, state.note_rev),
        kind=WriteKind.NOTE,
        audit=AuditAction.NOTE,
        ticket_id=state.ticket_id,
        what="the note",
        check="the ticket's notes",
        payload={"internal": draft.internal, "length": len(text)},
    )
    return write, perform


@flow("detail.add_note")
async def add_note(ctx: FlowContext, item: WorkItem) -> None:
    """Add the typed note (discussion or internal); the composer is cleared only once it is saved."""
    view = _view(item)
    state, draft = note_from_view(view)
    problem = note_problem(draft)
    if problem is not None:
        await ctx.service()  # not connected any more says so first
        await ctx.banner(view, error=problem)
        return
    write, perform = note_write(view, state, draft)
    after = state.model_copy(update={"note_rev": state.note_rev + 1})

    def patch(shown: dict[str, Any], note: Note) -> dict[str, Any]:
        return after_note(shown, state, after, note, ctx.deps.now())

    await apply_write(ctx, view, after, write, perform, patch=patch)


@flow("detail.share")
async def share(ctx: FlowContext, item: WorkItem) -> None:
    """Post the ticket card in the channel the modal was opened from and link its thread."""
    view, state = _opened(item)
    if state.origin is None:
        await ctx.service()
        await ctx.banner(view, error="Open the ticket from a channel (with /tickets) to share it there.")
        return
    channel_id = state.origin.channel_id

    async def perform(writer: Writer, reconcile: bool) -> Made:
        shared = await share_ticket(ctx, writer.service, ticket_id=state.ticket_id, channel_id=channel_id)
        text = f"Shared #{state.ticket_id} in the channel; replies in the card's thread stay linked to it."
        where = {"channel_id": shared.channel_id, "ts": shared.ts}
        return Made(text, result=where, detail=where)

    write = ticket_write(view, state, WriteKind.SHARE, channel_id=channel_id)
    outcome = await write_once(ctx, write, perform)
    if outcome.ended is Ended.BUSY:
        return
    if outcome.done:
        await ctx.banner(view, notice=outcome.text)
    else:
        await ctx.banner(view, error=outcome.text)


@flow("detail.spin_off")
async def spin_off(ctx: FlowContext, item: WorkItem) -> None:
    """Hand over to ticket creation with this ticket as the parent and the same channel as origin."""
    state = DetailState.decode(_view(item).get("private_metadata"))
    await create.open_create_modal(ctx, origin=state.origin, parent_ticket_id=state.ticket_id)

"""The detail modal's "Couldn't load time entries — Retry": read the ticket again, in place."""

from __future__ import annotations

from bot.flows.context import FlowContext
from bot.flows.detail import load_detail
from bot.flows.work import WorkItem, flow
from bot.state import DetailState
from bot.views.ticket_detail import detail_view


@flow("time.retry_detail", doing="load the ticket's time entries")
async def retry_detail_time(ctx: FlowContext, item: WorkItem) -> None:
    """Re-read the detail (time entries included) and show it on the same modal (hash-guarded)."""
    view = item.body.get("view") or {}
    state = DetailState.decode(view.get("private_metadata"))
    service = await ctx.service()
    known = ctx.deps.rows.get(ctx.team_id, state.ticket_id)
    data = await load_detail(ctx, service, state.ticket_id, known=known)
    await ctx.update(
        detail_view(data, state=state, now=ctx.deps.now()), view_id=view["id"], hash=view.get("hash")
    )

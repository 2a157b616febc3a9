"""Mapping without an e-mail match: the user asks, the workspace's admins get a DM with Approve/Deny, and
the user is told the outcome. Only an admin's click maps them (checked again when it arrives)."""

from __future__ import annotations

import asyncio
import logging

from bot.flows import home
from bot.flows.context import FlowContext
from bot.flows.submission import Submission
from bot.flows.work import WorkItem, flow
from bot.text import escape_truncate
from bot.views.access import RequestRef, decided_dm, request_dm
from bot.views.mapping import mapping_done_modal
from psa.models import Member
from storage import MappingConflictError, MappingRequestState

log = logging.getLogger(__name__)


async def ask_admins(ctx: FlowContext, member: Member) -> Submission:
    """Record the request and hand the admins' DMs off (after the ack); the modal says what happens next."""
    await ctx.deps.storage.access(ctx.team_id).request_mapping(
        ctx.user_id, member_id=member.id, member_identifier=member.identifier, member_name=member.name
    )
    log.info("team %s: %s asks to be mapped to member %s", ctx.team_id, ctx.user_id, member.id)
    done = mapping_done_modal(
        f"Asked the workspace admins to approve mapping you to {member.name} ({member.identifier}). "
        "You'll get a message here when one of them decides."
    )
    return Submission.update(done).and_then(tell_admins, member_id=member.id, member_email=member.email)


@flow("mapping.tell_admins")
async def tell_admins(ctx: FlowContext, item: WorkItem) -> None:
    """DM every workspace admin (a few at most) the request with Approve/Deny."""
    request = await ctx.deps.storage.access(ctx.team_id).request(ctx.user_id)
    if request is None or request.state != MappingRequestState.PENDING:
        return
    user = await ctx.deps.directory.user(ctx.client, ctx.team_id, ctx.user_id)
    message = request_dm(
        requester_id=ctx.user_id,
        email=user.email if user else None,
        member_name=request.member_name,
        member_identifier=request.member_identifier,
        member_email=item.args.get("member_email"),
        member_id=request.psa_member_id,
    )
    admins = await ctx.deps.directory.admins(ctx.client)
    sent = await asyncio.gather(*(ctx.dm(message, admin.id) for admin in admins))
    if not any(sent):
        log.warning("team %s: no admin could be told of %s's mapping request", ctx.team_id, ctx.user_id)
        await ctx.dm(
            decided_dm(
                "⚠️ Your mapping request is saved, but no workspace admin could be messaged. Ask one of "
                "them to map you with `/tickets map`."
            )
        )


@flow("mapping.approve")
async def approve(ctx: FlowContext, item: WorkItem) -> None:
    """An admin's Approve: map the requester (if the request still stands), then tell both."""
    await _decide(ctx, item, approve=True)


@flow("mapping.deny")
async def deny(ctx: FlowContext, item: WorkItem) -> None:
    """An admin's Deny: tell both; nothing is mapped."""
    await _decide(ctx, item, approve=False)


async def _decide(ctx: FlowContext, item: WorkItem, *, approve: bool) -> None:
    ref = RequestRef.decode(item.args.get("value"))
    if not await ctx.is_admin():
        await ctx.respond(decided_dm("⚠️ Only workspace admins and owners can decide mapping requests."))
        return
    store = ctx.deps.storage.access(ctx.team_id)
    requester = f"<@{ref.user_id}>"
    if approve:
        try:
            decided = await store.approve(ref.user_id, member_id=ref.member_id, approved_by=ctx.user_id)
        except MappingConflictError as exc:
            holder = f"<@{exc.mapped_to}>" if exc.mapped_to else "someone else"
            await ctx.respond(
                decided_dm(
                    f"⚠️ Not mapped: that member is mapped to {holder} by now. Use `/tickets map` to move "
                    f"it to {requester} if it should be theirs."
                ),
                replace=True,
            )
            return
        request = decided[0] if decided else None
    else:
        request = await store.deny(ref.user_id, member_id=ref.member_id, denied_by=ctx.user_id)
    if request is None:
        current = await store.request(ref.user_id)
        if current is not None and current.decided_by and current.psa_member_id == ref.member_id:
            verb = "approved" if current.state == MappingRequestState.APPROVED else "denied"
            text = f"This request from {requester} was already {verb} by <@{current.decided_by}>."
        else:
            text = f"This request from {requester} is no longer pending (they asked again or were mapped)."
        await ctx.respond(decided_dm(text), replace=True)
        return
    member = f"{escape_truncate(request.member_name, 100)} ({escape_truncate(request.member_identifier, 60)})"
    me = f"<@{ctx.user_id}>"
    log.info(
        "team %s: %s %s %s's mapping request",
        ctx.team_id,
        ctx.user_id,
        "approved" if approve else "denied",
        ref.user_id,
    )
    if approve:
        await ctx.respond(decided_dm(f"✅ {me} approved: {requester} is mapped to {member}."), replace=True)
        await ctx.dm(
            decided_dm(
                f"✅ {me} approved your request: you're mapped to {member}. Your queue is in the Home tab."
            ),
            ref.user_id,
        )
        await ctx.submit(home.refresh_home, user_id=ref.user_id)
    else:
        await ctx.respond(decided_dm(f"❌ {me} denied {requester}'s request for {member}."), replace=True)
        await ctx.dm(
            decided_dm(
                f"❌ {me} denied your request to be mapped to {member}. Ask {me} which member is yours, "
                "or check that your Slack e-mail is the one in ConnectWise."
            ),
            ref.user_id,
        )

"""Member mapping: the modal (with the e-mail suggestion), its member options, saving and unmapping."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from functools import partial
from typing import Any

from bot.flows import home, mapping_requests
from bot.flows.context import FlowContext
from bot.flows.errors import NotConnected
from bot.flows.submission import Submission
from bot.flows.work import WorkItem, flow
from bot.ids import MappingBlock
from bot.views.mapping import (
    MappingForm,
    OwnKeys,
    has_block,
    mapping_done_modal,
    mapping_member_options,
    mapping_modal,
    mapping_target,
    mapping_unavailable_modal,
    read_mapping,
)
from psa.errors import PSAError
from psa.models import Member
from psa.registry import ConnectFailed
from psa.service import TicketService
from storage import MappingConflictError
from storage.repositories import mappings as mapping_repo

log = logging.getLogger(__name__)

# Everything below runs inside Slack's 3 s (a trigger_id, an options request or a submission ack):
# a slow PSA costs the e-mail suggestion or a "try again", never a dead modal.
MEMBERS_BUDGET_SECONDS = 1.5
KEYS_BUDGET_SECONDS = 1.2  # after the members' check, inside the same 3 s
NAMES_BUDGET_SECONDS = 0.8

Payload = dict[str, Any]


async def _members_within(service: TicketService, budget: float) -> list[Member] | None:
    try:
        return await asyncio.wait_for(service.members(), budget)
    except (TimeoutError, PSAError) as exc:
        log.info("members unavailable for the mapping modal: %s", getattr(exc, "message", "timeout"))
        return None


def _by_email(members: Iterable[Member], email: str) -> Member | None:
    wanted = email.strip().casefold()
    return next((m for m in members if m.email and m.email.strip().casefold() == wanted), None)


async def _labels(ctx: FlowContext, user_ids: Iterable[str]) -> dict[str, str]:
    """Slack display names for these users; ids where Slack is slow or does not know them."""
    ids = list(dict.fromkeys(user_ids))

    async def one(user_id: str) -> tuple[str, str]:
        user = await ctx.deps.directory.user(ctx.client, ctx.team_id, user_id)
        return user_id, user.label if user else user_id

    try:
        pairs = await asyncio.wait_for(asyncio.gather(*(one(u) for u in ids)), NAMES_BUDGET_SECONDS)
    except TimeoutError:
        pairs = [(u, u) for u in ids]
    return dict(pairs)


async def mapping_view(
    ctx: FlowContext,
    *,
    target_id: str | None = None,
    notice: str | None = None,
    error: str | None = None,
) -> Payload:
    """The mapping modal for `target_id` (an admin's pick) or the viewer themselves."""
    viewer_id = ctx.user_id
    viewer = await ctx.deps.directory.user(ctx.client, ctx.team_id, viewer_id)
    is_admin = viewer is not None and viewer.can_manage
    try:
        service = await ctx.service()
    except NotConnected:
        todo = (
            "Run `/tickets connect` first."
            if is_admin
            else "Ask a workspace admin to run `/tickets connect`."
        )
        return mapping_unavailable_modal(
            f"ConnectWise is not connected to this workspace yet, so there are no members to pick. {todo}"
        )
    target = target_id if is_admin and target_id and target_id != viewer_id else None
    subject_id = target or viewer_id
    store = ctx.deps.storage.workspace(ctx.team_id)
    subject = await ctx.deps.directory.user(ctx.client, ctx.team_id, target) if target else viewer
    row, members = await asyncio.gather(
        store.read(partial(mapping_repo.get_mapping, slack_user_id=subject_id)),
        _members_within(service, MEMBERS_BUDGET_SECONDS),
    )
    current = (
        Member(id=row.psa_member_id, identifier=row.member_identifier, name=row.member_name) if row else None
    )
    suggested = None
    if current is None and subject is not None and subject.email and members:
        suggested = _by_email(members, subject.email)
        if suggested is not None:
            holder = await store.read(partial(mapping_repo.get_mapping_by_member, member_id=suggested.id))
            if holder is not None:
                suggested = None  # someone else already holds it: suggesting it would only fail on Save
    return mapping_modal(
        current=current,
        suggested=suggested,
        is_admin=is_admin,
        target_user_id=target,
        notice=notice,
        error=error,
        keys=None if target else await own_keys(ctx),
    )


async def own_keys(ctx: FlowContext) -> OwnKeys:
    """What the viewer's modal says about their own API keys (stored ones are checked against the site)."""
    info = await ctx.deps.storage.engineer_keys(ctx.team_id).info(ctx.user_id)
    if info is None:
        return OwnKeys()
    mapped = await ctx.member()
    summary = await ctx.deps.workspaces.summary(ctx.team_id)
    usable = (
        mapped is not None
        and summary is not None
        and info.usable_for(
            member_id=mapped.psa_member_id, base_url=summary.base_url, company_id=summary.company_id
        )
    )
    return OwnKeys(saved_at=info.validated_at, usable=usable)


async def open_mapping_modal(ctx: FlowContext) -> None:
    """Open the modal where a user picks their PSA member (admins: also for others); pushed over the
    modal the user clicked in (e.g. a refusal's Map button)."""
    if ctx.actor.trigger_id is None:
        return
    view = await mapping_view(ctx)
    clicked_in = ctx.item.body.get("view") or {}
    if clicked_in.get("type") == "modal" and await ctx.push(view) is not None:
        return
    await ctx.open(view)


@flow("mapping.open")
async def open_mapping(ctx: FlowContext, item: WorkItem) -> None:
    """A Map button (messages, Home): the mapping modal."""
    await open_mapping_modal(ctx)


async def member_options(ctx: FlowContext, body: Payload) -> list[Payload]:
    """Active members matching what was typed; members held by others marked "taken"."""
    service = await ctx.service()
    query = str(body.get("value") or "")
    choices = await asyncio.wait_for(service.member_choices(query), MEMBERS_BUDGET_SECONDS)
    view = body.get("view")
    subject_id = (mapping_target(view) if view else None) or ctx.user_id
    mappings = await ctx.deps.storage.workspace(ctx.team_id).read(mapping_repo.list_mappings)
    held = {m.psa_member_id: m.slack_user_id for m in mappings}
    names = await _labels(ctx, held.values())
    members = [Member(id=c.member_id, identifier=c.member_identifier, name=c.member_name) for c in choices]
    own = next((m for m, u in held.items() if u == subject_id), None)
    return mapping_member_options(
        members, holders={m: names[u] for m, u in held.items()}, viewer_member_id=own
    )


def _errors(block_id: str, message: str) -> Submission:
    return Submission.field_errors({block_id: message})


async def submit_mapping(ctx: FlowContext, view: Payload) -> Submission:
    """Check and save a submitted mapping: field errors, a request for an admin's approval, or the
    confirmation. Mapping yourself needs the e-mail match with the member, your own keys for that member,
    or an admin's approval; admins map anyone; nobody takes a member someone else holds by themselves."""
    form = read_mapping(view)
    member_block = form.member_block_id
    user_block = MappingBlock.SLACK_USER if has_block(view, MappingBlock.SLACK_USER) else member_block
    target = form.slack_user_id or ctx.user_id
    is_admin = await ctx.is_admin()
    if target != ctx.user_id and not is_admin:
        # The picker is only shown to admins, but a submission is checked whatever the client sent.
        return _errors(user_block, "Only workspace admins and owners can map other people.")
    if form.member_id is None:
        return _errors(member_block, "Pick a ConnectWise member.")
    service = await ctx.service()
    try:
        members = await asyncio.wait_for(service.members(), MEMBERS_BUDGET_SECONDS)
    except TimeoutError:
        return _errors(member_block, "ConnectWise is slow to answer right now. Press Save again in a moment.")
    except PSAError as exc:
        return _errors(member_block, f"Couldn't check the member with ConnectWise: {exc.message}")
    member = next((m for m in members if m.id == form.member_id), None)
    if member is None:
        return _errors(member_block, "That member is not an active ConnectWise member any more.")
    store = ctx.deps.storage.workspace(ctx.team_id)
    holder = await store.read(partial(mapping_repo.get_mapping_by_member, member_id=member.id))
    reassign = is_admin and form.reassign
    if holder is not None and holder.slack_user_id != target and not reassign:
        return _errors(member_block, await _taken_text(ctx, member, holder.slack_user_id))
    keys_saved = False
    if target == ctx.user_id and form.has_keys and has_block(view, MappingBlock.PUBLIC_KEY):
        refused = await own_keys_refusal(ctx, member, form)
        if refused is not None:
            return refused
        keys_saved = True  # keys ConnectWise says are this member's: they prove who the user is
    if not is_admin and not keys_saved and not await _email_matches(ctx, member):
        if holder is not None and holder.slack_user_id == target:
            pass  # already theirs (e.g. approved earlier): saving it again changes nothing
        elif form.ask_admin:
            return await mapping_requests.ask_admins(ctx, member)
        else:
            return _errors(member_block, _mismatch_text(member))
    try:
        await store.map_member(
            target,
            member_id=member.id,
            member_identifier=member.identifier,
            member_name=member.name,
            mapped_by=ctx.user_id,
            reassign=reassign,
        )
    except MappingConflictError as exc:  # someone took it between the check and the save
        return _errors(member_block, await _taken_text(ctx, member, exc.mapped_to))
    log.info("team %s: %s mapped %s to member %s", ctx.team_id, ctx.user_id, target, member.id)
    who = "You're" if target == ctx.user_id else f"{(await _labels(ctx, [target]))[target]} is"
    done = f"{who} mapped to {member.name} ({member.identifier})."
    if keys_saved:
        done += " Your own API keys are saved and used for your writes from now on."
    answer = Submission.update(mapping_done_modal(done))
    for user_id in {target} | ({holder.slack_user_id} if holder is not None else set()):
        answer = answer.and_then(home.refresh_home, user_id=user_id)
    return answer


async def _email_matches(ctx: FlowContext, member: Member) -> bool:
    """Whether the actor's Slack e-mail (users.info profile) is the member's ConnectWise e-mail."""
    user = await ctx.deps.directory.user(ctx.client, ctx.team_id, ctx.user_id)
    return user is not None and bool(user.email) and _by_email([member], user.email or "") is not None


def _mismatch_text(member: Member) -> str:
    return (
        f"Your Slack e-mail doesn't match {member.name}'s e-mail in ConnectWise, so you can't map yourself "
        "to this member alone. Tick “Ask a workspace admin to approve” and Save, or enter your own "
        "ConnectWise API keys below."
    )


async def own_keys_refusal(ctx: FlowContext, member: Member, form: MappingForm) -> Submission | None:
    """Check the typed keys with one real call and store them (encrypted); field errors when refused."""
    try:
        await asyncio.wait_for(
            ctx.deps.workspaces.save_member_keys(
                ctx.team_id,
                ctx.user_id,
                member=member,
                public_key=form.public_key,
                private_key=form.private_key,
                saved_by=ctx.user_id,
            ),
            KEYS_BUDGET_SECONDS,
        )
    except TimeoutError:
        return _errors(MappingBlock.PUBLIC_KEY, "ConnectWise is slow to answer right now. Press Save again.")
    except ConnectFailed as exc:
        field = exc.fields.get("private_key") and not exc.fields.get("public_key")
        block = MappingBlock.PRIVATE_KEY if field else MappingBlock.PUBLIC_KEY
        return _errors(block, f"Keys not saved: {exc.message}")
    log.info("team %s: %s saved their own PSA keys for member %s", ctx.team_id, ctx.user_id, member.id)
    return None


async def _taken_text(ctx: FlowContext, member: Member, holder_id: str | None) -> str:
    who = (await _labels(ctx, [holder_id]))[holder_id] if holder_id else "someone else"
    text = f"{member.name} ({member.identifier}) is already mapped to {who}."
    if await ctx.is_admin():
        return text + " Tick “Move the member from whoever holds it” to reassign it."
    return text + " Ask a workspace admin if it should be yours."


@flow("mapping.unmap")
async def unmap(ctx: FlowContext, item: WorkItem) -> None:
    """The modal's Unmap button: remove the shown user's mapping and re-render the modal."""
    view = item.body.get("view") or {}
    target_id = mapping_target(view)
    subject_id = target_id or ctx.user_id
    if subject_id != ctx.user_id and not await ctx.is_admin():
        refused = await mapping_view(ctx, error="Only admins can unmap others.")
        await ctx.update(refused, view_id=view["id"], hash=view.get("hash"))
        return
    store = ctx.deps.storage.workspace(ctx.team_id)
    removed = await store.unmap_member(subject_id, unmapped_by=ctx.user_id)
    notice = (
        f"Unmapped {removed.member_name} ({removed.member_identifier})." if removed else "Nothing was mapped."
    )
    rendered = await mapping_view(ctx, target_id=target_id, notice=notice)
    await ctx.update(rendered, view_id=view["id"], hash=view.get("hash"))
    await home.publish_home(ctx, subject_id)


@flow("mapping.remove_keys")
async def remove_keys(ctx: FlowContext, item: WorkItem) -> None:
    """The modal's Remove (own keys): forget them; the user's writes use the workspace's key again."""
    view = item.body.get("view") or {}
    removed = await ctx.deps.workspaces.remove_member_keys(ctx.team_id, ctx.user_id, removed_by=ctx.user_id)
    notice = (
        "Your own API keys are removed. Your changes now go out with the workspace's key, naming your member."
        if removed
        else "No keys were stored."
    )
    await ctx.update(await mapping_view(ctx, notice=notice), view_id=view["id"], hash=view.get("hash"))


@flow("mapping.change_target")
async def change_target(ctx: FlowContext, item: WorkItem) -> None:
    """An admin picked whom to map: show that user's mapping and e-mail suggestion instead."""
    if not await ctx.is_admin():
        return
    view = item.body.get("view") or {}
    rendered = await mapping_view(ctx, target_id=item.args.get("selected_user"))
    await ctx.update(rendered, view_id=view["id"], hash=view.get("hash"))

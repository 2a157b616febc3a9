"""What the create form shows: the PSA's reference data in one parallel round, and the rendered modal."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bot.flows.context import FlowContext
from bot.flows.stored import keep_draft
from bot.state import TicketDraft
from bot.views.create_modal import create_modal
from psa.errors import PSAError
from psa.models import Board, BoardStatus, Company, Member, Priority
from psa.service import TicketService

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class FormData:
    """Reference data behind the form's selects, plus what could not be loaded."""

    boards: list[Board] = field(default_factory=list)
    statuses: list[BoardStatus] = field(default_factory=list)  # of the draft's board
    priorities: list[Priority] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)
    mapped: dict[int, str] = field(default_factory=dict)  # member id → Slack user id
    viewer_member_id: int | None = None
    problems: list[str] = field(default_factory=list)


async def _safe(load: Awaitable[list[T]], what: str, problems: list[str]) -> list[T]:
    try:
        return await load
    except PSAError as exc:
        # The form still opens: the select shows what it can and the banner says what is missing.
        log.warning("create form: %s unavailable: %s", what, exc.message)
        problems.append(what)
        return []


async def _empty() -> list[Any]:
    return []


async def load_form_data(ctx: FlowContext, service: TicketService, board_id: int | None) -> FormData:
    """Boards, the board's statuses, priorities, members and mappings, fetched in parallel (cached)."""
    problems: list[str] = []
    lookup = ctx.deps.storage.mapping_lookup(ctx.team_id)
    boards, statuses, priorities, members, mapped, viewer = await asyncio.gather(
        _safe(service.boards(), "boards", problems),
        _safe(service.statuses(board_id), "statuses", problems) if board_id is not None else _empty(),
        _safe(service.priorities(), "priorities", problems),
        _safe(service.members(), "members", problems),
        lookup.mapped_member_ids(),
        lookup.member_id_for(ctx.user_id),
    )
    return FormData(
        boards=boards,
        statuses=statuses,
        priorities=priorities,
        members=members,
        mapped=mapped,
        viewer_member_id=viewer,
        problems=problems,
    )


async def board_statuses(service: TicketService, board_id: int, problems: list[str]) -> list[BoardStatus]:
    """The board's statuses (cached); empty, with "statuses" noted in `problems`, when unavailable."""
    return await _safe(service.statuses(board_id), "statuses", problems)


async def prefetch(service: TicketService) -> None:
    """Warm the reference cache (companies, boards, priorities, members) while the user types a prompt."""
    problems: list[str] = []
    await asyncio.gather(
        _safe(service.companies(), "companies", problems),
        _safe(service.boards(), "boards", problems),
        _safe(service.priorities(), "priorities", problems),
        _safe(service.members(), "members", problems),
    )


async def company_name(service: TicketService, company_id: int) -> str | None:
    """The company's name from the cached company list (None when unknown or unavailable)."""
    try:
        companies: list[Company] = await service.companies()
    except PSAError as exc:
        log.info("company names unavailable: %s", exc.message)
        return None
    return next((c.name for c in companies if c.id == company_id), None)


async def with_names(service: TicketService, draft: TicketDraft, data: FormData) -> TicketDraft:
    """The draft with the company's and assignee's display names filled in where they are missing."""
    update: dict[str, Any] = {}
    if draft.company_id is not None and not draft.company_name:
        update["company_name"] = await company_name(service, draft.company_id)
    if draft.assigned_member_id is not None and not draft.assigned_member_name:
        member = next((m for m in data.members if m.id == draft.assigned_member_id), None)
        update["assigned_member_name"] = member.name if member else None
    return draft.model_copy(update=update) if update else draft


def problems_banner(problems: list[str]) -> str | None:
    """The banner for reference data that could not be loaded."""
    if not problems:
        return None
    missing = ", ".join(problems)
    return f"Couldn't load {missing} from ConnectWise; some choices may be missing. Try again shortly."


def render_form(
    draft: TicketDraft,
    data: FormData,
    *,
    banner: str | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The create modal for `draft` with `data` behind its selects."""
    banners = [b for b in (banner, problems_banner(data.problems)) if b]
    return create_modal(
        draft,
        boards=data.boards,
        statuses=data.statuses,
        priorities=data.priorities,
        members=data.members,
        mapped_member_ids=set(data.mapped),
        errors=errors,
        banner="\n".join(banners) or None,
        viewer_member_id=data.viewer_member_id,
    )


async def form_view(
    ctx: FlowContext,
    service: TicketService,
    draft: TicketDraft,
    *,
    banner: str | None = None,
    errors: dict[str, str] | None = None,
) -> tuple[TicketDraft, dict[str, Any]]:
    """Load what the form needs and render it; returns the draft as rendered (names filled in)."""
    data = await load_form_data(ctx, service, draft.board_id)
    draft = await keep_draft(ctx, await with_names(service, draft, data))
    return draft, render_form(draft, data, banner=banner, errors=errors)

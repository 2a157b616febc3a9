"""`FlowContext`: what a flow works with — the deps, the workspace's Slack client, the actor — and the
helpers that raise the shared errors (`NotConnected`, `NotMapped`) instead of returning None.

A flow reads as its happy path plus its own errors; `bot.flows.tell` answers the shared ones on the
surface the user is looking at (`ctx.surface`, derived from the payload, which a flow may narrow).
"""

from __future__ import annotations

from collections.abc import Coroutine
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.actor import Actor
from bot.flows.access import require_access
from bot.flows.errors import NotConnected, NotMapped
from bot.flows.respond import respond as post_response
from bot.flows.views_io import OpenedView, as_definition, open_view, post_message, push_view, update_view
from bot.views.prompts import with_banner
from psa.service import TicketService
from storage import MemberMapping
from storage.repositories import mappings as mapping_repo

if TYPE_CHECKING:
    import asyncio

    from bot.deps import AppDeps
    from bot.flows.work import Flow, WorkItem

Payload = dict[str, Any]


@dataclass
class Surface:
    """Where the user is looking, so a failure is told there.

    - `response_url`: a message or command (ephemeral reply);
    - `view_id` (+ `definition` to put a banner on, or `replace` with a short explanation modal);
    - `trigger_id`: nothing is open yet (a modal is opened or pushed);
    - otherwise a DM with `user_id`, or nowhere (events nobody asked for).
    """

    response_url: str | None = None
    view_id: str | None = None
    view_hash: str | None = None
    definition: Payload | None = None
    replace: bool = False
    trigger_id: str | None = None
    push: bool = False
    title: str = "Tickets"
    user_id: str | None = None


def surface_of(body: dict[str, Any]) -> Surface:
    """The surface a request came from: the modal clicked in, the message or command, Home, or an event."""
    if body.get("type") == "event_callback":
        return Surface()
    view = body.get("view") or {}
    user = body.get("user")
    user_id = body.get("user_id") or (user.get("id") if isinstance(user, dict) else None)
    if view.get("type") == "modal":
        submitted = body.get("type") == "view_submission"
        return Surface(
            view_id=view.get("id"),
            view_hash=None if submitted else view.get("hash"),
            definition=None if submitted else as_definition(view),
            replace=submitted,  # the ack already replaced what was submitted
            user_id=user_id,
        )
    urls = body.get("response_urls") or []
    response_url = body.get("response_url") or (urls[0].get("response_url") if urls else None)
    if response_url:
        return Surface(response_url=response_url, user_id=user_id)
    return Surface(user_id=user_id)


@dataclass
class FlowContext:
    """One flow run: deps, the workspace's Slack client, who acts, and where to answer."""

    deps: AppDeps
    client: AsyncWebClient
    actor: Actor
    item: WorkItem
    surface: Surface = field(default_factory=Surface)
    doing: str | None = None  # "Couldn't {doing}: …" when the PSA fails
    channel: str | None = None  # the channel the work is done from, when the payload doesn't name it

    @classmethod
    def for_actor(
        cls, deps: AppDeps, client: AsyncWebClient, actor: Actor, *, name: str = "direct"
    ) -> FlowContext:
        """A context for calling a flow's steps directly (tests, scripts), answering on a DM."""
        from bot.flows.work import work_item

        item = work_item(name, {}, team_id=actor.team_id, user_id=actor.user_id)
        return cls(deps=deps, client=client, actor=actor, item=item, surface=Surface(user_id=actor.user_id))

    @property
    def team_id(self) -> str:
        return self.actor.team_id

    @property
    def user_id(self) -> str:
        return self.actor.user_id

    # -- the workspace -------------------------------------------------------------------------

    async def service(self) -> TicketService:
        """The workspace's ticket service; raises NotConnected when no PSA is connected."""
        service = await self.deps.workspaces.service(self.team_id)
        if service is None:
            raise NotConnected(self.team_id)
        return service

    async def member(self, user_id: str | None = None) -> MemberMapping | None:
        """The PSA member the user (default: the actor) is mapped to, if any."""
        user_id = user_id or self.user_id
        workspace = self.deps.storage.workspace(self.team_id)
        read = partial(workspace.read, partial(mapping_repo.get_mapping, slack_user_id=user_id))
        people = self.deps.workspaces.people
        if people is None:
            return await read()
        return await people.mapping(self.team_id, user_id, read)

    async def require_member(self) -> MemberMapping:
        """The actor's PSA member; raises NotMapped when they have none."""
        mapped = await self.member()
        if mapped is None:
            raise NotMapped(self.team_id, self.user_id)
        return mapped

    async def require_writer(self) -> MemberMapping:
        """The actor's PSA member when they may write from Slack — the one authorization point every write
        goes through (creates, notes, status, assignees, share, link thread, time entries). Raises NotMapped
        or Restricted (the workspace's user group / channel rule, see bot/flows/access.py) otherwise;
        `bot.flows.tell` answers it on the user's surface."""
        mapped = await require_access(self, reading=False)
        if mapped is None:  # require_access refuses an unmapped writer; kept explicit for the type
            raise NotMapped(self.team_id, self.user_id)
        return mapped

    async def require_reader(self) -> MemberMapping | None:
        """The actor's PSA member (None when unmapped users may read) when they may read tickets here;
        raises NotMapped or Restricted when the workspace's settings forbid it."""
        return await require_access(self, reading=True)

    async def is_admin(self, user_id: str | None = None) -> bool:
        """True for workspace admins and owners."""
        return await self.deps.directory.can_manage(self.client, self.team_id, user_id or self.user_id)

    # -- answering -----------------------------------------------------------------------------

    async def respond(self, payload: Payload, *, replace: bool = False, url: str | None = None) -> bool:
        """Post to the response_url (the actor's unless `url`), over the pooled Slack session."""
        return await post_response(
            url or self.actor.response_url, payload, replace=replace, session=self.client.session
        )

    async def dm(self, payload: Payload, user_id: str | None = None) -> str | None:
        """A message in the user's DM with the app; its ts (None when Slack refused, logged)."""
        return await post_message(self.client, user_id or self.user_id, payload)

    async def open(self, view: Payload, *, trigger_id: str | None = None) -> OpenedView | None:
        """views.open with the actor's trigger (None when Slack refused, logged)."""
        trigger = trigger_id or self.actor.trigger_id
        return await open_view(self.client, trigger, view) if trigger else None

    async def push(self, view: Payload) -> OpenedView | None:
        """views.push onto the modal the actor clicked in."""
        trigger = self.actor.trigger_id
        return await push_view(self.client, trigger, view) if trigger else None

    async def update(
        self, view: Payload, *, view_id: str | None = None, hash: str | None = None, outcome: bool = False
    ) -> OpenedView | None:
        """views.update of `view_id` (default: the actor's modal), hash-guarded when `hash` is given.
        `outcome`: it answers the user's click, so it replaces a background refresh that landed first."""
        target = view_id or self.actor.view_id
        return await update_view(self.client, target, view, hash=hash, outcome=outcome) if target else None

    @property
    def answers_user(self) -> bool:
        """This run answers the user's own click or submission (not follow-up work handed on after it)."""
        return not self.item.follow_up

    async def banner(
        self,
        view: Payload,
        *,
        error: str | None = None,
        notice: str | None = None,
        outcome: bool | None = None,
    ) -> OpenedView | None:
        """A ⚠️/✅ line on top of `view` (a modal from a payload) as it is: inputs and typing untouched.
        An outcome (by default: when this run answers the user) is never dropped for a newer version."""
        return await update_view(
            self.client,
            view["id"],
            with_banner(as_definition(view), error=error, notice=notice),
            hash=view.get("hash"),
            outcome=self.answers_user if outcome is None else outcome,
        )

    # -- more work -----------------------------------------------------------------------------

    async def submit(self, fn: Flow | str, *, body: dict[str, Any] | None = None, **args: Any) -> None:
        """Hand follow-up work (another flow) to the work queue, on behalf of the same actor."""
        from bot.flows.work import work_item

        item = work_item(
            fn,
            self.item.body if body is None else body,
            team_id=self.team_id,
            enterprise_id=self.item.enterprise_id,
            user_id=self.user_id,
            args=args,
            follow_up=True,
        )
        await self.deps.work.submit(item)

    def continue_here(self, coro: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        """Finish work already running in this process (e.g. a check that outlived Slack's 3 s)."""
        return self.deps.tasks.spawn(coro, name=name)

"""The one hand-off of post-ack work: a serializable `WorkItem`, the registry of flows, and `run_work`.

A listener acks, parses what it needs into a `WorkItem` and submits it to `deps.work`; a worker (this
process by default, another one with a durable queue) runs it with `run_work`. A flow depends only on
the item and the app's deps — never on objects Bolt built for the request — so it can run anywhere.

Retries: a flow that only reads declares it (`@flow(name, retry=True)`, or a predicate of the item
when that depends on the command). When it fails because ConnectWise is briefly unavailable (timeout,
5xx, 429, refused connection: the client's own bounded retries already spent), `run_work` tells the
user once that it is trying again and raises `RetryLater`: the job engine runs the whole flow again
after a backoff, and the last attempt tells the plain failure. A flow that writes never declares it:
a write whose outcome is unknown goes to reconciliation (the write ledger), never to a rerun.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, Field

from bot.actor import actor_from
from bot.flows.context import FlowContext, surface_of
from bot.flows.tell import tell_failure, tell_retrying
from bot.jobs.retry import RetryLater, current_attempt
from psa.errors import PSARateLimitedError, PSAUnavailableError
from psa.retries import fail_fast_reads

if TYPE_CHECKING:
    from bot.deps import AppDeps

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


class WorkItem(BaseModel):
    """Everything a worker in any process needs to run one flow (JSON-serializable)."""

    flow: str  # a registered flow name, e.g. "detail.change_status"
    team_id: str
    enterprise_id: str | None = None
    user_id: str | None = None
    body: dict[str, Any]  # the Slack request payload as Bolt parsed it (what the flow reads)
    args: dict[str, Any] = Field(default_factory=dict)  # small typed extras the listener parsed
    key: str | None = None  # idempotency key when the work writes
    # Handed on by another flow (a re-read after a write, a list refresh): its updates of a modal
    # yield to newer versions instead of replacing them.
    follow_up: bool = False
    submitted_at: datetime = Field(default_factory=_now)


Flow = Callable[[FlowContext, WorkItem], Awaitable[None]]
# Whether running the item's flow again is harmless (it only reads), decided from the item alone.
Rerunnable = Callable[[WorkItem], bool]


@dataclass(frozen=True)
class FlowSpec:
    """A registered flow: its function, what it is doing (for the PSA error text), and whether it
    may be run again when ConnectWise is briefly unavailable."""

    name: str
    run: Flow
    doing: str | None = None
    retry: bool | Rerunnable = False

    def rerunnable(self, item: WorkItem) -> bool:
        """Whether `item` may be run again from the start (its flow only reads)."""
        return self.retry(item) if callable(self.retry) else self.retry


FLOWS: dict[str, FlowSpec] = {}


def flow(name: str, *, doing: str | None = None, retry: bool | Rerunnable = False) -> Callable[[Flow], Flow]:
    """Register `fn` as the flow `name` (a PSA failure reads "Couldn't {doing}: …").

    `retry`: the flow only reads, so a passing ConnectWise failure runs it again (see the module).
    """

    def register(fn: Flow) -> Flow:
        if name in FLOWS and FLOWS[name].run is not fn:
            raise ValueError(f"flow {name!r} is registered twice")
        FLOWS[name] = FlowSpec(name=name, run=fn, doing=doing, retry=retry)
        fn.flow_name = name  # type: ignore[attr-defined]
        return fn

    return register


def flow_name(fn: Flow | str) -> str:
    """The registered name of a flow function (or the name itself)."""
    if isinstance(fn, str):
        return fn
    name = getattr(fn, "flow_name", None)
    if name is None:
        raise ValueError(f"{fn!r} is not a registered flow")
    return str(name)


def lookup(name: str) -> FlowSpec:
    """The registered flow `name` (every flow module is imported on first use)."""
    if name not in FLOWS:
        # A worker process may never have imported the listeners (which import the flows).
        from bot.flows.catalog import load_all

        load_all()
    try:
        return FLOWS[name]
    except KeyError:
        raise LookupError(f"no flow named {name!r}") from None


def work_item(
    fn: Flow | str,
    body: dict[str, Any],
    *,
    team_id: str,
    enterprise_id: str | None = None,
    user_id: str | None = None,
    key: str | None = None,
    args: dict[str, Any] | None = None,
    follow_up: bool = False,
) -> WorkItem:
    """A work item for the flow `fn` (`args` are its small parsed extras)."""
    return WorkItem(
        flow=flow_name(fn),
        team_id=team_id,
        enterprise_id=enterprise_id,
        user_id=user_id,
        body=body,
        args=args or {},
        key=key,
        follow_up=follow_up,
    )


async def run_work(deps: AppDeps, item: WorkItem) -> None:
    """Run one work item: build its FlowContext, run the flow, tell the user about shared failures."""
    spec = lookup(item.flow)
    try:
        client = await deps.slack_client_for(item.team_id, item.enterprise_id)
    except Exception:
        log.exception("flow %s: no Slack client for team %s", item.flow, item.team_id)
        return
    actor = actor_from(item.body).model_copy(update={"team_id": item.team_id})
    if item.user_id and not actor.user_id:
        actor = actor.model_copy(update={"user_id": item.user_id})
    ctx = FlowContext(deps=deps, client=client, actor=actor, item=item, surface=surface_of(item.body))
    ctx.doing = spec.doing
    if current_attempt().number > 1 and ctx.surface.response_url is not None:
        ctx.surface.replace = True  # the message there is the first attempt's "trying again" notice
    # A read that will be run again if it fails lets the job engine do the waiting (RetryLater, its slot
    # free meanwhile) instead of the ConnectWise client's backoff inside the job; the last attempt
    # keeps the client's own retries.
    fail_fast = fail_fast_reads() if spec.rerunnable(item) and not current_attempt().final else nullcontext()
    try:
        with fail_fast:
            await spec.run(ctx, item)
    except Exception as exc:
        later = _retry_later(spec, item, exc)
        if later is None:
            await tell_failure(ctx, exc)
            return
        if current_attempt().number == 1:
            await tell_retrying(ctx)
        log.info("flow %s for team %s will run again: %s", item.flow, item.team_id, exc)
        raise later from exc


def _retry_later(spec: FlowSpec, item: WorkItem, exc: Exception) -> RetryLater | None:
    """A RetryLater when the failure is passing, the flow may rerun and a later attempt will come."""
    if not isinstance(exc, PSAUnavailableError | PSARateLimitedError):
        return None
    if current_attempt().final or not spec.rerunnable(item):
        return None
    after = exc.retry_after if isinstance(exc, PSARateLimitedError) else None
    return RetryLater(exc.message, after=after)


class WorkQueue(Protocol):
    """Where listeners hand post-ack work: in this process, or a durable queue for other workers."""

    async def submit(self, item: WorkItem) -> None:
        """Hand the item off (returns without waiting for the work)."""
        ...

    async def drain(self, within: float) -> None:
        """Wait until the work submitted so far (and what it started) has finished (tests, shutdown)."""
        ...


class InProcessWorkQueue:
    """The default: run each item as a supervised task of this process's event loop.

    `serialize` sends every item through JSON first, as a durable queue would: a flow that relied on
    anything but the item's JSON fails here, in tests, instead of in another process.
    """

    def __init__(self, deps: AppDeps, *, serialize: bool = False) -> None:
        self._deps = deps
        self._serialize = serialize

    async def submit(self, item: WorkItem) -> None:
        """Start the item's flow in the background."""
        if self._serialize:
            item = WorkItem.model_validate_json(item.model_dump_json())
        self._deps.tasks.spawn(run_work(self._deps, item), name=item.flow)

    async def drain(self, within: float) -> None:
        """Wait for every running task (and those they start)."""
        await self._deps.tasks.drain(within)

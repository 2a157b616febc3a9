"""The periodic jobs of live updates, registered with the job engine (each run once per tick across
every worker, and safe to run twice): the poller, the outbox sender, SLA warnings, pruning."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import TYPE_CHECKING

from bot.flows.live.deliver import deliver
from bot.flows.live.poller import poll_all, polling
from bot.flows.live.sla import warn_all

if TYPE_CHECKING:
    from bot.deps import AppDeps
    from bot.jobs.runtime import Jobs

OUTBOX_EVERY = 60  # seconds: messages held for quiet hours or a digest go out within a minute of due
PRUNE_EVERY = 3600
SLA_EVERY = 60
DELIVERIES_KEPT = timedelta(days=1)  # ConnectWise retries a delivery for seconds, not days
SENT_KEPT = timedelta(days=7)


def register_live_jobs(deps: AppDeps, jobs: Jobs | None = None) -> None:
    """Add the live-update jobs to the engine's periodic registry (before a worker starts)."""
    jobs = jobs or deps.jobs
    if jobs is None:
        return
    periodic = jobs.engine.periodic

    async def poll() -> int:
        return await poll_all(deps)

    async def outbox() -> int:
        return await deliver(deps)

    async def sla() -> int:
        return await warn_all(deps)

    async def prune() -> int:
        now = deps.now().astimezone(UTC)
        return await deps.storage.live().prune(
            deliveries_before=now - DELIVERIES_KEPT, sent_before=now - SENT_KEPT
        )

    if polling(deps):
        periodic.register_periodic("live.poll", poll, every=deps.settings.live_poll_seconds, at_start=False)
    periodic.register_periodic("live.outbox", outbox, every=OUTBOX_EVERY, at_start=False)
    periodic.register_periodic("live.prune", prune, every=PRUNE_EVERY, at_start=False)
    if deps.settings.sla_warn_minutes > 0:
        periodic.register_periodic("live.sla", sla, every=SLA_EVERY, at_start=False)

"""The job engine: one procrastinate app per process, the work task, periodic tasks and the worker."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any, Protocol

from procrastinate import App, BaseConnector, JobContext
from procrastinate.exceptions import AlreadyEnqueued, UniqueViolation
from procrastinate.jobs import Status

from bot.jobs.config import JobsConfig
from bot.jobs.connector import WORK_QUEUE, EmbeddedConnector
from bot.jobs.periodic import PeriodicRegistry, set_tick
from bot.jobs.retry import Backoff, set_attempt

log = logging.getLogger(__name__)

# The work item as JSON (flows' WorkItem.model_dump(mode="json")) -> run it.
Runner = Callable[[dict[str, Any]], Awaitable[None]]


class Sealer(Protocol):
    """Encrypts work items at rest: a Slack payload may carry secrets (the connect modal's private key)
    and always carries user text, so the job table and procrastinate's logs only ever see ciphertext."""

    def seal(self, item: dict[str, Any]) -> str: ...

    def unseal(self, sealed: str) -> dict[str, Any]: ...


WORK_TASK = "bot.work"
PERIODIC_TASK = "bot.periodic"
PERIODIC_QUEUE = "periodic"
# Recovery and housekeeping go ahead of user work: they unblock users (a stalled job is someone's
# answer) and are short.
PERIODIC_PRIORITY = 10


class JobEngine:
    """Owns the procrastinate app of this process; `run_worker` runs jobs until stopped."""

    def __init__(self, config: JobsConfig, connector: BaseConnector, *, sealer: Sealer | None = None) -> None:
        self.config = config
        self.sealer = sealer
        self.connector = connector
        self.app = App(connector=connector)
        self.periodic = PeriodicRegistry()
        self.backoff = Backoff(config.max_attempts, config.retry_base)
        self._runner: Runner | None = None
        self._opened = False
        self._worker: asyncio.Task[None] | None = None
        self.work_task = self.app.task(
            name=WORK_TASK, queue=WORK_QUEUE, pass_context=True, retry=self.backoff
        )(self._run_work)
        self.periodic_task = self.app.task(name=PERIODIC_TASK, queue=PERIODIC_QUEUE, pass_context=True)(
            self._run_periodic
        )
        self.periodic.register_periodic(
            "recover-stalled", self.recover_stalled, every=config.recover_every, at_start=False
        )

    @property
    def embedded_store(self) -> EmbeddedConnector | None:
        """The in-process job store (SQLite installs), or None on Postgres."""
        return self.connector if isinstance(self.connector, EmbeddedConnector) else None

    async def open(self) -> None:
        """Open the connection pool (idempotent)."""
        if not self._opened:
            await self.app.open_async()
            self._opened = True

    async def close(self) -> None:
        """Stop the worker (if running here) and close the pool."""
        await self.stop_worker()
        if self._opened:
            self._opened = False
            await self.app.close_async()

    # -- the worker ---------------------------------------------------------------------------

    def bind(self, runner: Runner) -> None:
        """The function that runs a work item (set before a worker starts)."""
        self._runner = runner

    async def run_worker(self, *, name: str = "worker") -> None:
        """Run jobs until cancelled (graceful: running jobs get `shutdown_grace` seconds to finish)."""
        if self._runner is None:
            raise RuntimeError("bind(runner) before running a worker")
        self._schedule_periodic()
        await self._defer_start_periodic()
        embedded = self.embedded_store is not None
        await self.app.run_worker_async(
            name=name,
            queues=[WORK_QUEUE, PERIODIC_QUEUE],
            concurrency=self.config.concurrency,
            wait=True,
            install_signal_handlers=False,
            listen_notify=True,
            fetch_job_polling_interval=self.config.poll_interval,
            abort_job_polling_interval=max(self.config.poll_interval, 5.0),
            shutdown_graceful_timeout=self.config.shutdown_grace,
            update_heartbeat_interval=self.config.heartbeat,
            stalled_worker_timeout=self.config.stalled_after,
            # In memory nothing outlives the process: drop jobs once done. On Postgres failed jobs
            # stay for inspection until housekeeping prunes them.
            delete_jobs="always" if embedded else "successful",
        )

    def start_worker(self, *, name: str = "embedded") -> asyncio.Task[None]:
        """Run the worker as a task of this event loop (`serve` with WORKERS=embedded)."""
        if self._worker is None or self._worker.done():
            self._worker = asyncio.get_running_loop().create_task(
                self.run_worker(name=name), name=f"jobs-{name}"
            )
        return self._worker

    async def stop_worker(self) -> None:
        """Stop the in-process worker gracefully (procrastinate waits up to the grace, then aborts)."""
        worker, self._worker = self._worker, None
        if worker is None or worker.done():
            return
        worker.cancel()
        with suppress(asyncio.CancelledError):
            await worker

    # -- tasks --------------------------------------------------------------------------------

    def job_args(self, item: dict[str, Any]) -> dict[str, Any]:
        """What is stored for a work item: sealed when a sealer is set."""
        return {"sealed": self.sealer.seal(item)} if self.sealer is not None else {"item": item}

    async def _run_work(
        self, context: JobContext, *, item: dict[str, Any] | None = None, sealed: str | None = None
    ) -> None:
        assert self._runner is not None
        attempt = self.backoff.attempt(context.job.attempts)
        set_attempt(attempt)
        log.info("job %s started (attempt %d)", context.job.id, attempt.number)
        if sealed is not None:
            assert self.sealer is not None, "a sealed job needs the sealer"
            item = self.sealer.unseal(sealed)
        assert item is not None
        await self._runner(item)

    async def _run_periodic(self, context: JobContext, timestamp: int | None = None, *, name: str) -> None:
        periodic = self.periodic.get(name)
        if periodic is None:
            log.warning("periodic function %r is not registered in this process", name)
            return
        set_tick(timestamp)
        await periodic.fn()

    def _schedule_periodic(self) -> None:
        registry = self.app.periodic_registry
        for periodic in self.periodic.items():
            if (PERIODIC_TASK, periodic.name) in registry.periodic_tasks:
                continue
            registry.register_task(
                task=self.periodic_task,
                cron=periodic.cron,
                periodic_id=periodic.name,
                configure_kwargs={
                    "task_kwargs": {"name": periodic.name},
                    "priority": PERIODIC_PRIORITY,
                    # One run of a function at a time, and at most one waiting.
                    "lock": f"periodic:{periodic.name}",
                    "queueing_lock": f"periodic:{periodic.name}",
                },
            )

    async def _defer_start_periodic(self) -> None:
        # Recovery at start: once per function, whichever worker starts first defers it (the
        # queueing lock refuses a second while one waits).
        for periodic in self.periodic.items():
            if not periodic.at_start:
                continue
            with suppress(AlreadyEnqueued):
                await self.periodic_task.configure(
                    priority=PERIODIC_PRIORITY,
                    lock=f"periodic:{periodic.name}",
                    queueing_lock=f"periodic:{periodic.name}",
                ).defer_async(name=periodic.name)

    # -- built-in periodic work ---------------------------------------------------------------

    async def recover_stalled(self) -> int:
        """Give the jobs of dead workers (no heartbeat for `stalled_after`) back to the queue."""
        stalled = await self.app.job_manager.get_stalled_jobs(
            seconds_since_heartbeat=self.config.stalled_after
        )
        count = 0
        for job in stalled:
            try:
                await self.app.job_manager.retry_job(job)
            except (UniqueViolation, AlreadyEnqueued):
                # A periodic job whose next copy is already queued (same queueing lock): the dead
                # worker's copy is not needed twice, so it is closed instead of put back.
                await self.app.job_manager.finish_job(job, status=Status.FAILED, delete_job=False)
                continue
            count += 1
        if count:
            log.warning("handed %d jobs of dead workers back to the queue", count)
        return count

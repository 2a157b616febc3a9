"""Post-ack work in this process: the job engine wired to the app's deps, for `serve` and `worker`.

WORKERS=embedded (default): `python -m bot serve` runs a bounded worker — on SQLite with procrastinate's
in-process store (jobs end with the process; registered recovery functions run at start; on a SQLite
file in a thread with its own event loop and deps, bot/jobs/thread.py), on Postgres against the shared,
durable queue (so a small install can still run several `serve` processes). WORKERS=external: `serve`
only acks and defers; `python -m bot worker` processes (the Procfile's `worker:`) run the jobs.
External workers need Postgres.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from collections.abc import Callable
from contextlib import suppress
from typing import TYPE_CHECKING, Any

import aiohttp
from pydantic import SecretStr

from bot.jobs.config import JobsConfig, jobs_config
from bot.jobs.connector import connector_for, is_postgres
from bot.jobs.engine import JobEngine, Runner, Sealer
from bot.jobs.queue import JobQueue
from bot.jobs.schema import migrate_jobs
from bot.settings import Settings
from storage.crypto import SecretBox

if TYPE_CHECKING:
    from bot.deps import AppDeps

log = logging.getLogger(__name__)

HOUSEKEEP_EVERY = 3600  # seconds: forget old Slack event ids, prune finished jobs
FINISHED_JOBS_KEPT_HOURS = 24


class ExternalWorkersNeedPostgres(RuntimeError):
    """WORKERS=external with SQLite: no other process could see the jobs."""


class Jobs:
    """This process's job engine and the queue `deps.work` hands work to."""

    def __init__(
        self, settings: Settings, *, sealer: Sealer | None = None, config: JobsConfig | None = None
    ) -> None:
        self.config = config or jobs_config(
            settings.workers, settings.worker_concurrency, stalled_after=settings.jobs_stalled_after
        )
        if self.config.workers == "external" and not is_postgres(settings.database_url):
            raise ExternalWorkersNeedPostgres(
                "WORKERS=external needs a Postgres DATABASE_URL: with SQLite, run `serve` alone (embedded)."
            )
        self._database_url = settings.database_url
        self.engine = JobEngine(self.config, connector_for(settings.database_url), sealer=sealer)
        self.queue = JobQueue(self.engine, external=self.config.workers == "external")
        self._deps: AppDeps | None = None
        self._started = False
        self._start_lock = asyncio.Lock()

    @property
    def started(self) -> bool:
        """Whether the engine is open (after the server's start or the first submit)."""
        return self._started

    @property
    def runs_here(self) -> bool:
        """Whether `serve` runs jobs itself."""
        return self.config.workers == "embedded"

    def attach(self, deps: AppDeps) -> None:
        """Hand `deps.work` to this queue; the worker runs items with `deps`."""
        self._deps = deps
        deps.work = self.queue
        self.queue.on_busy = busy_notice(deps)
        self.queue.before_submit = self.start
        self.queue.also_drain = deps.tasks.drain
        self.engine.bind(runner_for(deps))
        self.engine.periodic.register_periodic("housekeep", self._housekeep, every=HOUSEKEEP_EVERY)

    async def start(self) -> None:
        """Open the engine and, with WORKERS=embedded, run a worker in this event loop (idempotent)."""
        if self._started:
            return
        async with self._start_lock:
            if not self._started:
                # `python -m bot migrate` applies the queue's schema; a process started without the
                # release step still finds it (idempotent: one short transaction under a lock).
                await migrate_jobs(self._database_url)
                await self.engine.open()
                if self.runs_here:
                    self.engine.start_worker(name="embedded")
                self._started = True

    async def aclose(self) -> None:
        """Stop the worker gracefully and close the engine."""
        await self.queue.aclose()
        await self.engine.close()

    async def _housekeep(self) -> None:
        assert self._deps is not None
        await self._deps.housekeep()
        if self.engine.embedded_store is None:
            await self.engine.app.job_manager.delete_old_jobs(
                nb_hours=FINISHED_JOBS_KEPT_HOURS, include_failed=True, include_cancelled=True
            )


class BoxSealer:
    """Seals work items with the app's secret box (the key that encrypts PSA private keys)."""

    def __init__(self, box: SecretBox) -> None:
        self._box = box

    def seal(self, item: dict[str, Any]) -> str:
        """JSON, then Fernet."""
        return self._box.encrypt(SecretStr(json.dumps(item, separators=(",", ":"))))

    def unseal(self, sealed: str) -> dict[str, Any]:
        """Back to the JSON item."""
        item: dict[str, Any] = json.loads(self._box.decrypt(sealed).get_secret_value())
        return item


def runner_for(deps: AppDeps) -> Runner:
    """Run a stored work item as flows' `run_work` would in the process that received it."""
    from bot.flows.work import WorkItem, run_work

    async def run(item: dict[str, Any]) -> None:
        await run_work(deps, WorkItem.model_validate(item))

    return run


def busy_notice(deps: AppDeps) -> Any:
    """Tell a slash-command user at once that their answer is queued (never silence under load)."""
    from bot.flows.respond import respond
    from bot.flows.tell import busy_line

    async def notice(item: Any, ahead: int) -> None:
        url = item.body.get("response_url") if isinstance(item.body, dict) else None
        if url:
            await respond(url, {"text": busy_line(ahead)}, session=deps.slack.session)

    return notice


async def run_worker(settings: Settings, on_ready: Callable[[], None] = lambda: None) -> int:
    """`python -m bot worker`: run jobs until SIGTERM/SIGINT (running jobs get the grace to finish).
    `on_ready` runs once everything the jobs need is built, just before the first job is fetched."""
    from bot.deps import build_deps

    deps = build_deps(settings)
    jobs = Jobs(settings.model_copy(update={"workers": "external"}), sealer=BoxSealer(deps.storage.box))
    jobs.attach(deps)
    from bot.flows.live.jobs import register_live_jobs

    register_live_jobs(deps, jobs)
    from bot.flows.create.recover import register_create_recovery

    register_create_recovery(deps, jobs.engine.periodic)
    session = aiohttp.ClientSession()
    deps.slack.base.session = session
    loop = asyncio.get_running_loop()
    try:
        if deps.changes is not None:
            await deps.changes.start()
        await migrate_jobs(settings.database_url)
        await jobs.engine.open()
        on_ready()
        worker = loop.create_task(jobs.engine.run_worker(name="worker"))
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, worker.cancel)
        log.info("worker started: %d jobs at once", jobs.config.concurrency)
        with suppress(asyncio.CancelledError):
            await worker
        return 0
    finally:
        await jobs.aclose()
        deps.slack.base.session = None
        await session.close()
        await deps.aclose()

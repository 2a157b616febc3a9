"""`python -m bench.scale [--quick]`: the scale-out figures of issue 11, measured from outside the app.

- e2e: `/tickets mine` sent at a fixed rate (1, 20, 50 req/s) with ConnectWise answering in 100 ms:
  ack latency, end-to-end latency (sent → the response_url post FakeSlack received), and the app's
  CPU per request (ack + post-ack, from /proc) ÷ a bare Bolt app's at the same rate.
- burst: N concurrent `/tickets mine` as a cold app's first traffic (a server of its own, waited for
  until every user is answered and its backlog is drained): acks within 3 s, users answered, seconds
  until the last answer, and one more command afterwards (a wedged client would fail it); the same
  burst sent to a bare Bolt app first, its acks within 3 s side by side.
- the load generator sends with aiohttp (one connection per request in flight): httpx's pool spends
  time quadratic in the requests queued on it (`_assign_requests_to_connections`), so at 1,000 at
  once the generator itself took 12 s to send them, and acks within 3 s measured the generator.
- e2e-loop: the same fixed rates with the embedded worker on the web loop (EMBEDDED_WORKER=loop, what
  `serve` did before its worker got a thread), for the before/after in one run.
- the fixed rates run on a fresh server, warmed up first, with the backlog drained between rates.
- external: the fixed rates again against one web process (WORKERS=external, Postgres) and one worker
  process: ack p99 of the web process ÷ bare Bolt's, CPU of the web and of the worker apart.
- multi: 2 web (WORKERS=external) + 2 worker processes on one Postgres database; one worker SIGKILLed
  halfway: commands answered, answered twice, lost.
- memory: RSS of the web process (embedded worker) idle and after the load, and of a worker process.

`--quick` is a smoke run (short phases, a burst of 100, 20 commands in the multi-process run); figures
for the record come from the full run on a quiet machine: `python -m bench.scale --output bench/scale.md`.
Needs TEST_POSTGRES_URL (or BENCH_POSTGRES_URL) for the multi-process part.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import httpx

from bench.loadgen import percentile
from bench.stack import (
    REPO,
    SIGNING_SECRET,
    Backends,
    ServerProcess,
    app_environment,
    bench_users,
    pinned,
    prepare_database,
    split_cores,
)
from bot.local import payloads as p
from bot.local import sign

CHANNEL = "C0BENCH"
LATENCY_MS = 100
BURST_ANSWER_S = 600.0  # how long the burst's users are waited for
DRAIN_S = 300.0  # how long a phase's backlog is waited for before the next phase
CLOSED_LOOP_CLIENTS = 50
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_mb(pid: int) -> float:
    """Resident memory of a process (VmRSS), MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def load_session(connections: int) -> aiohttp.ClientSession:
    """The load generator's HTTP client: up to `connections` requests in flight, none queued in it."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=connections, force_close=False),
        timeout=aiohttp.ClientTimeout(total=60),
    )


class Sender:
    """Signed `/tickets mine` commands to one server, each with its own response_url."""

    def __init__(self, backends: Backends, server: ServerProcess, http: aiohttp.ClientSession) -> None:
        self.fake = backends.fake
        self.users = [u.slack_id for u in backends.users]
        self.url = server.events_url
        self.http = http
        self.sent: dict[str, float] = {}  # response_url token -> time sent
        self.acks: list[float] = []
        self.errors = 0
        self.told_queued = 0  # acks that said the answer is queued (Slack shows the ack's text)

    async def mine(self, n: int) -> None:
        user = self.users[n % len(self.users)]
        url = self.fake.new_response_url(CHANNEL, user)
        body = p.slash_command(
            "/tickets",
            "mine",
            user=user,
            channel=CHANNEL,
            trigger_id=self.fake.new_trigger_id(user),
            response_url=url,
        )
        raw, content_type = body
        headers = {"Content-Type": content_type, **sign(raw, signing_secret=SIGNING_SECRET)}
        started = time.time()
        self.sent[url.rsplit("/", 1)[1]] = started
        try:
            async with self.http.post(self.url, data=raw.encode(), headers=headers) as resp:
                content = await resp.read()
                if resp.status != 200:
                    self.errors += 1
                self.told_queued += b"Lots of requests" in content
        except (aiohttp.ClientError, TimeoutError):
            self.errors += 1
        self.acks.append(time.time() - started)


def answered(fake: Any, sent: dict[str, float]) -> dict[str, list[float]]:
    """Per token, the times its lists were posted (FakeSlack's clock is time.time)."""
    posts: dict[str, list[float]] = {}
    for post in fake.responses:
        if post.token in sent and "Your open tickets" in str(post.body.get("blocks")):
            posts.setdefault(post.token, []).append(post.at)
    return posts


async def wait_answered(fake: Any, sent: dict[str, float], within: float) -> dict[str, list[float]]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        posts = answered(fake, sent)
        if len(posts) >= len(sent):
            return posts
        await asyncio.sleep(0.1)
    return answered(fake, sent)


async def fixed_rate(sender: Sender, rate: float, seconds: float) -> None:
    """Open loop: one command every 1/rate s, whatever the answers do."""
    tasks = []
    start = time.monotonic()
    for n in range(int(rate * seconds)):
        delay = start + n / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(sender.mine(n)))
    await asyncio.gather(*tasks)


def _ms(values: list[float], fraction: float) -> float:
    return round(percentile(values, fraction) * 1000, 1) if values else float("nan")


async def e2e(
    backends: Backends,
    web: ServerProcess,
    bare: ServerProcess,
    rates: list[float],
    seconds: float,
    *,
    worker_pid: int | None = None,
) -> list[dict[str, Any]]:
    """Per rate: bare Bolt, then the app; with `worker_pid` (WORKERS=external) the worker's CPU apart."""
    rows = []
    async with load_session(200) as http:
        for rate in rates:
            row: dict[str, Any] = {"rate": rate}
            for name, server in (("bare", bare), ("app", web)):
                sender = Sender(backends, server, http)
                before = cpu_seconds(server.pid)
                worker_before = cpu_seconds(worker_pid) if worker_pid else 0.0
                await fixed_rate(sender, rate, seconds)
                if name == "app":
                    posts = await wait_answered(backends.fake, sender.sent, 120)
                    e2e_s = [min(at) - sender.sent[token] for token, at in posts.items()]
                    row["app_e2e_p50_ms"] = _ms(e2e_s, 0.5)
                    row["app_e2e_p99_ms"] = _ms(e2e_s, 0.99)
                    row["app_unanswered"] = len(sender.sent) - len(posts)
                    if worker_pid:
                        worker_cpu = cpu_seconds(worker_pid) - worker_before
                        per_request = worker_cpu * 1000 / max(1, len(sender.sent))
                        row["worker_cpu_ms_per_request"] = round(per_request, 2)
                else:
                    await asyncio.sleep(0.5)
                cpu = cpu_seconds(server.pid) - before
                row[f"{name}_cpu_ms_per_request"] = round(cpu * 1000 / max(1, len(sender.sent)), 2)
                row[f"{name}_ack_p99_ms"] = _ms(sender.acks, 0.99)
                row[f"{name}_errors"] = sender.errors
            app_cpu = row["app_cpu_ms_per_request"] + row.get("worker_cpu_ms_per_request", 0.0)
            row["cpu_ratio"] = round(app_cpu / max(0.01, row["bare_cpu_ms_per_request"]), 2)
            row["ack_p99_ratio"] = round(row["app_ack_p99_ms"] / max(0.01, row["bare_ack_p99_ms"]), 2)
            rows.append(row)
            await drained(web)  # the next rate starts with no backlog
    return rows


async def closed_loop(backends: Backends, server: ServerProcess, clients: int, seconds: float) -> Sender:
    """`clients` users each sending the next command as soon as the last one was acked, for `seconds`."""
    async with load_session(clients) as http:
        sender = Sender(backends, server, http)
        deadline = time.monotonic() + seconds
        counter = iter(range(10**9))

        async def client() -> None:
            while time.monotonic() < deadline:
                await sender.mine(next(counter))

        await asyncio.gather(*(client() for _ in range(clients)))
    return sender


async def capacity(
    backends: Backends, web: ServerProcess, bare: ServerProcess, clients: int, seconds: float
) -> dict[str, Any]:
    """Closed-loop capacity: commands acked per second by bare Bolt, then by the app, the app's backlog
    drained and every user's answer waited for before the figure is final (an ack nobody answers is
    not capacity)."""
    row: dict[str, Any] = {"clients": clients, "seconds": seconds}
    for name, server in (("bare", bare), ("app", web)):
        sender = await closed_loop(backends, server, clients, seconds)
        row[f"{name}_acked_per_s"] = round((len(sender.acks) - sender.errors) / seconds, 1)
        row[f"{name}_errors"] = sender.errors
        row[f"{name}_ack_p99_ms"] = _ms(sender.acks, 0.99)
        if name == "app":
            ended = time.time()
            # The backlog drains at one workspace's fairness cap (~30 jobs a second here): wait for
            # the server to finish it, however long, then for the answers it posted.
            await drained(web, within=BURST_ANSWER_S)
            posts = await wait_answered(backends.fake, sender.sent, 30)
            last = max((min(at) for at in posts.values()), default=ended)
            row["app_commands"] = len(sender.sent)
            row["app_unanswered"] = len(sender.sent) - len(posts)
            row["app_answered_twice"] = sum(1 for at in posts.values() if len(at) > 1)
            row["app_last_answer_after_s"] = round(max(0.0, last - ended), 1)
    row["ratio"] = round(row["app_acked_per_s"] / max(0.1, row["bare_acked_per_s"]), 2)
    return row


async def bare_burst(backends: Backends, bare: ServerProcess, count: int) -> int:
    """The same burst against bare Bolt: how many it acked within 3 s (what the machine allows)."""
    async with load_session(count) as http:
        sender = Sender(backends, bare, http)
        await asyncio.gather(*(sender.mine(n) for n in range(count)))
    return sum(1 for a in sender.acks if a <= 3.0)


async def burst(backends: Backends, web: ServerProcess, count: int) -> dict[str, Any]:
    async with load_session(count) as http:
        sender = Sender(backends, web, http)
        started = time.time()
        await asyncio.gather(*(sender.mine(n) for n in range(count)))
        posts = await wait_answered(backends.fake, sender.sent, BURST_ANSWER_S)
        last = max((min(at) for at in posts.values()), default=started) - started
        after = Sender(backends, web, http)
        await after.mine(0)
        after_posts = await wait_answered(backends.fake, after.sent, 30)
    return {
        "commands": count,
        "acked_within_3s": sum(1 for a in sender.acks if a <= 3.0),
        "ack_errors": sender.errors,
        "told_queued_in_ack": sender.told_queued,
        "answered": len(posts),
        "answered_twice": sum(1 for at in posts.values() if len(at) > 1),
        "last_answer_s": round(last, 2),
        "next_command_answered": len(after_posts) == 1,
    }


class Worker:
    def __init__(self, env: dict[str, str], log: Path, *, cores: set[int] | None = None) -> None:
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-OO", "-m", "bot", "worker"],
                env=env,
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=(lambda: os.sched_setaffinity(0, cores)) if cores else None,
            )

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(30)


@asynccontextmanager
async def scratch_postgres(backends: Backends, admin: str) -> AsyncIterator[dict[str, str]]:
    """A database of its own on the Postgres server (dropped afterwards), seeded; the environment of
    a web process with WORKERS=external and of its workers."""
    from bot.jobs.schema import migrate_jobs
    from storage.db import normalize_database_url

    name = f"bench_{uuid.uuid4().hex[:12]}"
    await _psql(admin, f'CREATE DATABASE "{name}"')
    url = normalize_database_url(admin).set(database=name).render_as_string(hide_password=False)
    try:
        await asyncio.to_thread(prepare_database, url, backends.sandbox, backends.users)
        await migrate_jobs(url)
        yield {
            **app_environment(backends, url, log_level="WARNING"),
            "WORKERS": "external",
            "JOBS_STALLED_AFTER": "6",
            "PYTHONPATH": str(REPO),
            "CW_REQUESTS_PER_MINUTE": "1000000",
        }
    finally:
        await _psql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def external(
    backends: Backends,
    postgres_url: str,
    rates: list[float],
    seconds: float,
    workdir: Path,
    extra: dict[str, str] | None = None,
    *,
    cores: set[int] | None = None,
    closed_loop_s: float = 0.0,
) -> dict[str, Any]:
    """The fixed rates against the deployment issue 11 is about: one web process (WORKERS=external)
    acking and deferring to Postgres, one worker process running the jobs; bare Bolt side by side."""
    async with scratch_postgres(backends, postgres_url) as env:
        # The deployment's own heartbeat and recovery periods (JOBS_STALLED_AFTER 30 s: a periodic
        # recovery job every 10 s), not the multi phase's quick ones (a recovery job every 2 s).
        env = {**env, "JOBS_STALLED_AFTER": "30", **(extra or {})}
        web = ServerProcess(["bot", "serve"], env, workdir / "ext-web.log", cores=cores)
        await asyncio.to_thread(web.start)
        worker = Worker(env, workdir / "ext-worker.log")
        bare = ServerProcess(["bench.bare"], env, workdir / "ext-bare.log", cores=cores)
        await asyncio.to_thread(bare.start)
        try:
            await _warm_up(backends, web)
            figures: dict[str, Any] = {"web_rss_idle_mb": round(rss_mb(web.pid), 1)}
            figures["e2e"] = await e2e(backends, web, bare, rates, seconds, worker_pid=worker.proc.pid)
            if closed_loop_s:
                figures["capacity"] = await capacity(backends, web, bare, CLOSED_LOOP_CLIENTS, closed_loop_s)
            figures["web_rss_after_mb"] = round(rss_mb(web.pid), 1)
            figures["worker_rss_after_mb"] = round(rss_mb(worker.proc.pid), 1)
            return figures
        finally:
            bare.stop()
            worker.stop()
            web.stop()


async def multi(
    backends: Backends, postgres_url: str, count: int, workdir: Path, *, cores: set[int] | None = None
) -> dict[str, Any]:
    async with scratch_postgres(backends, postgres_url) as env:
        webs = [ServerProcess(["bot", "serve"], env, workdir / f"web{i}.log", cores=cores) for i in (1, 2)]
        await asyncio.gather(*(asyncio.to_thread(w.start) for w in webs))
        workers = [Worker(env, workdir / f"worker{i}.log") for i in (1, 2)]
        try:
            async with load_session(200) as http:
                senders = [Sender(backends, w, http) for w in webs]
                tasks = []
                for n in range(count):
                    tasks.append(asyncio.create_task(senders[n % 2].mine(n)))
                    if n == count // 2:
                        workers[0].stop(signal.SIGKILL)
                    await asyncio.sleep(0.05)
                await asyncio.gather(*tasks)
                sent = {**senders[0].sent, **senders[1].sent}
                posts = await wait_answered(backends.fake, sent, 120)
            return {
                "commands": count,
                "answered": len(posts),
                "answered_twice": sum(1 for at in posts.values() if len(at) > 1),
                "lost": count - len(posts),
                "ack_errors": senders[0].errors + senders[1].errors,
                "worker_rss_mb": round(rss_mb(workers[1].proc.pid), 1),
            }
        finally:
            for w in workers:
                w.stop()
            for web in webs:
                web.stop()


async def _psql(url: str, sql: str) -> None:
    from sqlalchemy import pool, text
    from sqlalchemy.ext.asyncio import create_async_engine

    from storage.db import normalize_database_url

    engine = create_async_engine(
        normalize_database_url(url), isolation_level="AUTOCOMMIT", poolclass=pool.NullPool
    )
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


async def drained(server: ServerProcess, within: float = DRAIN_S) -> float:
    """Wait until the server has no post-ack work left (its /healthz `pending_tasks`); seconds waited."""
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=30) as http:
        while time.monotonic() - started < within:
            try:
                health = (await http.get(server.url + "/healthz")).json()
            except httpx.HTTPError:
                health = {}
            if health.get("pending_tasks") == 0:
                break
            await asyncio.sleep(0.5)  # polling another process: nothing to wait on but its answer
    return round(time.monotonic() - started, 1)


PHASES = ("burst", "e2e", "e2e-5ms", "e2e-loop", "external", "external-bolt", "multi")


async def run(quick: bool, postgres_url: str | None, phases: Sequence[str] = PHASES) -> dict[str, Any]:
    """With two cores or more, the measured servers (the app's web process, bare Bolt) run on the first
    core and everything else (load generator, sandbox, FakeSlack, worker processes) on the others, as
    in a deployment where the web process has its CPU to itself (bench.ack does the same)."""
    server_cores, other_cores = split_cores()
    with pinned(other_cores):
        figures = await _run(quick, postgres_url, phases, server_cores)
    figures["cores"] = {
        "servers": sorted(server_cores) if server_cores else None,
        "others": sorted(other_cores) if other_cores else None,
    }
    return figures


async def _run(
    quick: bool, postgres_url: str | None, phases: Sequence[str], cores: set[int] | None
) -> dict[str, Any]:
    figures: dict[str, Any] = {"quick": quick, "load_average_before": _load()}
    workdir = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    users = bench_users(len(bench_users()))
    with Backends(users, latency_ms=LATENCY_MS) as backends:
        # The sandbox is one ConnectWise company: at 20-50 commands/s (2 requests each) the real
        # per-company limit (1,000/min) would be what is measured. Lifted here; see the README.
        async def fresh_server(name: str, **extra: str) -> ServerProcess:
            db = f"sqlite+aiosqlite:///{workdir}/{name}.db"
            await asyncio.to_thread(prepare_database, db, backends.sandbox, users)
            env = {
                **app_environment(backends, db, log_level="WARNING"),
                "CW_REQUESTS_PER_MINUTE": "1000000",
                **extra,
            }
            server = ServerProcess(["bot", "serve"], env, workdir / f"{name}.log", cores=cores)
            return await asyncio.to_thread(server.start)

        # The burst gets a cold app of its own, and all the time it needs to answer everyone: its
        # backlog must not fall into the fixed-rate phases.
        if "burst" in phases:
            count = 100 if quick else 1000
            env = {**app_environment(backends, "sqlite+aiosqlite://", log_level="WARNING")}
            bare = ServerProcess(["bench.bare"], env, workdir / "bare-burst.log", cores=cores)
            await asyncio.to_thread(bare.start)
            try:
                bare_acked = await bare_burst(backends, bare, count)
            finally:
                bare.stop()
            cold = await fresh_server("burst")
            try:
                figures["burst"] = await burst(backends, cold, count)
                figures["burst"]["bare_acked_within_3s"] = bare_acked
                figures["burst"]["drained_after_s"] = await drained(cold)
            finally:
                cold.stop()
        rates = [1.0, 20.0] if quick else [1.0, 20.0, 50.0]
        seconds = 3.0 if quick else 20.0
        closed_loop_s = 1.0 if quick else 5.0
        # e2e: the default embedded worker (a thread with its own loop); e2e-loop: the same with the
        # worker on the web loop (EMBEDDED_WORKER=loop, what `serve` did before), side by side.
        # e2e-5ms: the thread with Python's default switch interval (before EMBEDDED_SWITCH_INTERVAL_MS).
        variants = (
            ("e2e", {}),
            ("e2e-5ms", {"EMBEDDED_SWITCH_INTERVAL_MS": "5"}),
            ("e2e-loop", {"EMBEDDED_WORKER": "loop"}),
        )
        for phase, extra in variants:
            if phase not in phases:
                continue
            web = await fresh_server(phase, **extra)
            suffix = "" if phase == "e2e" else "_" + phase.removeprefix("e2e-")
            try:
                figures[f"rss_idle_mb{suffix}"] = round(rss_mb(web.pid), 1)
                await _warm_up(backends, web)
                env = {**app_environment(backends, "sqlite+aiosqlite://", log_level="WARNING")}
                bare = ServerProcess(["bench.bare"], env, workdir / f"bare{suffix}.log", cores=cores)
                await asyncio.to_thread(bare.start)
                try:
                    figures[phase] = await e2e(backends, web, bare, rates, seconds)
                    if phase == "e2e":
                        figures["e2e_capacity"] = await capacity(
                            backends, web, bare, CLOSED_LOOP_CLIENTS, closed_loop_s
                        )
                    figures[f"rss_after_mb{suffix}"] = round(rss_mb(web.pid), 1)
                finally:
                    bare.stop()
            finally:
                web.stop()
        # external-bolt: the same with every request through Bolt's dispatch (FAST_ACK=false, as before).
        for phase, extra in (("external", {}), ("external-bolt", {"FAST_ACK": "false"})):
            if postgres_url and phase in phases:
                figures[phase] = await external(
                    backends,
                    postgres_url,
                    rates,
                    seconds,
                    workdir,
                    extra,
                    cores=cores,
                    closed_loop_s=closed_loop_s if phase == "external" else 0.0,
                )
        if postgres_url and "multi" in phases:
            figures["multi"] = await multi(backends, postgres_url, 20 if quick else 400, workdir, cores=cores)
    figures["load_average_after"] = _load()
    return figures


async def _warm_up(backends: Backends, server: ServerProcess) -> None:
    # A server in production is warm: imports done, pools open, caches filled.
    async with load_session(200) as http:
        sender = Sender(backends, server, http)
        await fixed_rate(sender, 5.0, 4.0)
        await wait_answered(backends.fake, sender.sent, 60)
    await drained(server)


def _load() -> list[float]:
    # The machine is shared: how busy it was says how far the absolute figures (not the ratios) hold.
    return [round(x, 2) for x in os.getloadavg()]


def render(figures: dict[str, Any]) -> str:
    from bench.report import machine

    lines = [
        "# Scale-out figures (`python -m bench.scale" + (" --quick" if figures["quick"] else "") + "`)",
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {machine()}; load average"
        f" (1, 5, 15 min) {figures['load_average_before']} before, {figures['load_average_after']} after.",
        "",
    ]
    lines.append("```json")
    lines.append(json.dumps(figures, indent=1))
    lines.append("```")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument("--phases", default=",".join(PHASES), help="a subset of " + ",".join(PHASES))
    args = parser.parse_args(argv)
    phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    postgres = os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("TEST_POSTGRES_URL")
    figures = asyncio.run(run(args.quick, postgres, phases))
    print(json.dumps(figures, indent=1))
    if args.output:
        args.output.write_text(render(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

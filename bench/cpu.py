"""`python -m bench.cpu [--rounds 3] [--commands 100]`: CPU per `/tickets mine` for each candidate speed-up.

Issue 11, item 5 asks for post-ack CPU per `/tickets mine` at most 5 ms at 20 req/s, and to adopt only
what measurably helps. Every candidate runs as its own server process (the production `serve`: Bolt
on Starlette under uvicorn, the embedded job worker, SQLite), all started at once and measured in
turn, round after round, so machine load falls on all of them alike:

- `bare`: a Bolt app that only acks (bench.bare): the ack's own CPU;
- `base`: the app as it ships without the candidates (asyncio loop, h11, the stdlib json);
- `uvloop`: uvicorn on uvloop + httptools (the embedded worker shares that loop);
- `orjson`: orjson for the JSON of ConnectWise responses, response_url posts and Slack payloads;
- `aiohttp`: httpx on httpx-aiohttp's transport instead of httpcore (the API stays httpx);
- `keepalive`: httpcore with every pooled connection kept alive (20 instead of 10);
- `shipped`: the app as `python -m bot serve` runs it now (what was adopted);
- `before`: `python -m bot serve` of the source tree in BENCH_BEFORE (an earlier commit), when set.

CPU is user + system time of the server process from /proc over N commands sent at a fixed rate
(open loop) with ConnectWise answering in 100 ms; every command's answer is awaited before the
figure is read. The app also works when idle (the live-updates poller, job heartbeats): its idle
rate, measured just before, is taken off. Post-ack CPU = that per command − bare Bolt's (an upper
bound: the app's ack does a little more than bare's). `python -m bench.cpu serve --variant NAME
--fd N` is the server one candidate runs as.

Memory: each server's RSS when started, once warmed up (idle) and after the rounds; with
TEST_POSTGRES_URL (or BENCH_POSTGRES_URL) also a web process (WORKERS=external) and a `python -m bot
worker` on a scratch Postgres database, started, idle and after `--commands` more at the same rate.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

from bench.scale import (
    LATENCY_MS,
    Sender,
    Worker,
    fixed_rate,
    load_session,
    rss_mb,
    scratch_postgres,
    wait_answered,
)
from bench.stack import REPO, Backends, ServerProcess, app_environment, bench_users, prepare_database

RATE = 20.0
# Candidates that need a package the app does not depend on (`pip install orjson httpx-aiohttp`).
NEEDS = {"orjson": "orjson", "aiohttp": "httpx_aiohttp"}
IDLE_SECONDS = 3.0
VARIANTS = ("bare", "base", "uvloop", "orjson", "aiohttp", "keepalive", "shipped", "before")


class _OrjsonModule:
    """The part of the `json` module the patched libraries call, on orjson."""

    def __init__(self) -> None:
        import orjson

        self._orjson = orjson

    def loads(self, text: str | bytes, **_: Any) -> Any:
        return self._orjson.loads(text)

    def dumps(self, value: Any, **_: Any) -> str:
        return self._orjson.dumps(value).decode()


def _use_orjson() -> None:
    import httpx._models
    import slack_sdk.web.async_internal_utils
    import slack_sdk.webhook.async_client

    import bot.boundary

    shim: Any = _OrjsonModule()
    httpx._models.jsonlib = shim
    slack_sdk.webhook.async_client.json = shim
    slack_sdk.web.async_internal_utils.json = shim
    bot.boundary.json = shim


def _pool_factory(make: Callable[[Any, httpx.Limits], httpx.AsyncBaseTransport]) -> None:
    # Replaces the ConnectWise pool before bot.workspaces binds `default_http`.
    import psa.connectwise.factory as factory
    from psa.transport import HealingTransport

    def pooled_http(verify: Any = None) -> httpx.AsyncClient:
        tls = verify or factory._tls()
        limits = httpx.Limits(
            max_connections=factory.HTTP_POOL, max_keepalive_connections=factory.HTTP_KEEPALIVE
        )
        return httpx.AsyncClient(
            timeout=factory.DEFAULT_TIMEOUT,
            transport=HealingTransport(lambda: make(tls, limits), max_connections=factory.HTTP_POOL),
        )

    factory.pooled_http = pooled_http


def _use_aiohttp_transport() -> None:
    from httpx_aiohttp import AiohttpTransport

    _pool_factory(lambda tls, limits: AiohttpTransport(verify=tls, limits=limits))


def _keep_every_connection() -> None:
    import psa.connectwise.factory as factory

    factory.HTTP_KEEPALIVE = factory.HTTP_POOL


def serve_variant(variant: str, port: int, fd: int | None = None) -> int:
    """Serve the app with one candidate applied (what `serve` does, the candidate aside)."""
    import logging

    import uvicorn

    server: dict[str, Any] = {"loop": "asyncio", "http": "h11"}
    if variant == "uvloop":
        server = {"loop": "uvloop", "http": "httptools"}
    elif variant == "orjson":
        _use_orjson()
    elif variant == "aiohttp":
        _use_aiohttp_transport()
    elif variant == "keepalive":
        _keep_every_connection()
    elif variant != "base":
        raise SystemExit(f"unknown variant {variant!r}")
    from bot.__main__ import _freeze_startup_objects
    from bot.server import create_asgi
    from bot.settings import Settings

    settings = Settings()
    logging.basicConfig(level=settings.log_level.upper())
    api = create_asgi(settings)
    _freeze_startup_objects()
    profile_to = os.environ.get("BENCH_PROFILE")  # a cProfile of the whole serve, written at exit
    if profile_to:
        import cProfile

        profiler = cProfile.Profile(time.thread_time)  # CPU of the event loop thread, idle not counted
        profiler.enable()
    config = uvicorn.Config(api, host="127.0.0.1", port=port, log_level=settings.log_level.lower(), **server)
    config.load_app()
    # The listening socket handed over by bench.stack.ServerProcess (as `bot serve --fd` takes it).
    sockets = [socket.socket(fileno=fd)] if fd is not None else None
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.Server(config).run(sockets=sockets)
    if profile_to:
        profiler.disable()
        profiler.dump_stats(profile_to)
    return 0


def _tree_argv(tree: Path, *args: str) -> list[str]:
    """`python -m bot ARGS` of another source tree (`-m` would put this repository first on sys.path)."""
    run = (
        f"import runpy, sys; sys.path.insert(0, {str(tree)!r}); runpy.run_module('bot', run_name='__main__')"
    )
    return [sys.executable, "-c", run, *args]


class TreeServer(ServerProcess):
    """`python -m bot serve` of another source tree (BENCH_BEFORE: an earlier commit, e.g. extracted
    with `git archive COMMIT | tar -x -C DIR`), for a before/after in the same run."""

    def __init__(self, tree: Path, env: dict[str, str], log_path: Path) -> None:
        super().__init__(["bot", "serve"], {**env, "PYTHONPATH": str(tree)}, log_path)
        self.tree = tree

    def argv(self, fd: int) -> list[str]:
        return _tree_argv(self.tree, "serve", "--fd", str(fd))


class TreeWorker(Worker):
    """`python -m bot worker` of another source tree."""

    def __init__(self, tree: Path, env: dict[str, str], log: Path) -> None:
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                _tree_argv(tree, "worker"),
                env={**env, "PYTHONPATH": str(tree)},
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
            )


def _argv(variant: str) -> list[str]:
    if variant == "bare":
        return ["bench.bare"]
    if variant == "shipped":
        return ["bot", "serve"]
    return ["bench.cpu", "serve", "--variant", variant]


async def _idle(server: ServerProcess, seconds: float = IDLE_SECONDS) -> float:
    """CPU ms per second the server spends with no command (periodic jobs: live poller, heartbeats)."""
    before, started = server.cpu_seconds(), time.monotonic()
    await asyncio.sleep(seconds)
    return (server.cpu_seconds() - before) * 1000 / (time.monotonic() - started)


async def _measure(backends: Backends, server: ServerProcess, commands: int) -> tuple[float, float]:
    """CPU ms per command over `commands` sent at RATE (every answer awaited; bare: acks only):
    everything the process spent, and that less its idle rate over the same time."""
    idle_rate = await _idle(server)
    async with load_session(100) as http:
        sender = Sender(backends, server, http)
        before, started = server.cpu_seconds(), time.monotonic()
        await fixed_rate(sender, RATE, commands / RATE)
        if "bench.bare" not in server.module_argv:
            posts = await wait_answered(backends.fake, sender.sent, 60)
            if len(posts) < len(sender.sent) or sender.errors:
                raise RuntimeError(f"{server.argv}: {len(sender.sent) - len(posts)} unanswered")
        await asyncio.sleep(0.5)  # the last answers' bookkeeping (connection release, job finish)
        spent = (server.cpu_seconds() - before) * 1000
        elapsed = time.monotonic() - started
    return spent / commands, (spent - idle_rate * elapsed) / commands


async def run(variants: Sequence[str], rounds: int, commands: int) -> dict[str, Any]:
    """Per variant: CPU ms per command in each round, the median, and post-ack (− bare)."""
    workdir = Path(tempfile.mkdtemp(prefix="bench-cpu-"))
    users = bench_users()
    load_before = os.getloadavg()
    samples: dict[str, list[float]] = {v: [] for v in variants}
    busy: dict[str, list[float]] = {v: [] for v in variants}
    with Backends(users, latency_ms=LATENCY_MS) as backends:
        servers: dict[str, ServerProcess] = {}
        try:
            for variant in variants:
                db = f"sqlite+aiosqlite:///{workdir}/{variant}.db"
                await asyncio.to_thread(prepare_database, db, backends.sandbox, users)
                env = {
                    **{
                        k: v
                        for k, v in os.environ.items()
                        if k in ("BENCH_PROFILE", "EMBEDDED_WORKER", "MALLOC_ARENA_MAX")
                    },
                    **app_environment(backends, db, log_level="WARNING"),
                    "CW_REQUESTS_PER_MINUTE": "1000000",
                    "PYTHONPATH": str(REPO),
                }
                log = workdir / f"{variant}.log"
                before = os.environ.get("BENCH_BEFORE")
                server = (
                    TreeServer(Path(before), env, log)
                    if variant == "before" and before
                    else ServerProcess(_argv(variant), env, log)
                )
                servers[variant] = await asyncio.to_thread(server.start)
            rss_started = {v: round(s.rss_mb(), 1) for v, s in servers.items()}
            for server in servers.values():  # warm-up: imports, pools, caches
                await _measure(backends, server, 40)
            rss_idle = {v: round(s.rss_mb(), 1) for v, s in servers.items()}
            for _ in range(rounds):
                for variant, server in servers.items():
                    total, less_idle = await _measure(backends, server, commands)
                    samples[variant].append(round(total, 2))
                    busy[variant].append(round(less_idle, 2))
            rss_after = {v: round(s.rss_mb(), 1) for v, s in servers.items()}
            postgres = os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("TEST_POSTGRES_URL")
            worker_rss = await _worker_rss(backends, postgres, commands, workdir) if postgres else None
            before = os.environ.get("BENCH_BEFORE") if "before" in variants else None
            if postgres and before and worker_rss:
                worker_rss = {
                    "now": worker_rss,
                    "before": await _worker_rss(backends, postgres, commands, workdir, Path(before)),
                }
        finally:
            for server in servers.values():
                server.stop()
    median = {v: round(statistics.median(s), 2) for v, s in busy.items()}
    bare = median.get("bare", 0.0)
    base = median.get("base")
    figures: dict[str, Any] = {
        "rate_per_s": RATE,
        "commands_per_round": commands,
        "rounds": rounds,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "cpu_ms_per_command": samples,
        "less_idle_ms_per_command": busy,
        "median_less_idle_ms": median,
        "post_ack_ms": {v: round(m - bare, 2) for v, m in median.items() if v != "bare"},
        "rss_mb": {
            v: {"started": rss_started[v], "idle": rss_idle[v], "after": rss_after[v]} for v in variants
        },
    }
    if worker_rss:
        figures["external_rss_mb"] = worker_rss
    if base:
        figures["post_ack_vs_base"] = {
            v: round((m - bare) / max(0.01, base - bare), 2) for v, m in median.items() if v != "bare"
        }
    return figures


async def _worker_rss(
    backends: Backends, postgres: str, commands: int, workdir: Path, tree: Path | None = None
) -> dict[str, Any]:
    """RSS of a web process (WORKERS=external) and of a worker on Postgres: started, idle (warmed up)
    and after `commands` more at RATE (`tree`: those of another source tree)."""
    async with scratch_postgres(backends, postgres) as env:
        name = "ext-before" if tree else "ext"
        web_log, worker_log = workdir / f"{name}-web.log", workdir / f"{name}-worker.log"
        web = TreeServer(tree, env, web_log) if tree else ServerProcess(["bot", "serve"], env, web_log)
        await asyncio.to_thread(web.start)
        worker = TreeWorker(tree, env, worker_log) if tree else Worker(env, worker_log)
        try:
            await asyncio.sleep(IDLE_SECONDS)
            pid = worker.proc.pid
            figures: dict[str, Any] = {
                "web_started": round(web.rss_mb(), 1),
                "worker_started": round(rss_mb(pid), 1),
            }
            async with load_session(100) as http:
                sender = Sender(backends, web, http)
                await fixed_rate(sender, 5.0, 40 / 5.0)  # warm-up
                await wait_answered(backends.fake, sender.sent, 60)
                figures.update(web_idle=round(web.rss_mb(), 1), worker_idle=round(rss_mb(pid), 1))
                await fixed_rate(sender, RATE, commands / RATE)
                await wait_answered(backends.fake, sender.sent, 120)
            figures.update(web_after=round(web.rss_mb(), 1), worker_after=round(rss_mb(pid), 1))
            return figures
        finally:
            worker.stop()
            web.stop()


def render(figures: dict[str, Any]) -> str:
    """Markdown: the figures as JSON under a heading."""
    return (
        "# CPU per `/tickets mine` by candidate (`python -m bench.cpu`)\n\n```json\n"
        + json.dumps(figures, indent=1)
        + "\n```\n"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Measure (default) or serve one variant."""
    parser = argparse.ArgumentParser(prog="python -m bench.cpu", description=__doc__)
    parser.add_argument("mode", nargs="?", default="measure", choices=["measure", "serve"])
    parser.add_argument("--variant", default="base")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--fd", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--commands", type=int, default=100)
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.mode == "serve":
        return serve_variant(args.variant, args.port, args.fd)
    started = time.monotonic()
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    missing = [v for v in variants if v in NEEDS and importlib.util.find_spec(NEEDS[v]) is None]
    if "before" in variants and not os.environ.get("BENCH_BEFORE"):
        missing.append("before")
    if missing:
        print(f"skipped (package not installed, or no BENCH_BEFORE): {', '.join(missing)}")
        variants = [v for v in variants if v not in missing]
    figures = asyncio.run(run(variants, args.rounds, args.commands))
    figures["seconds"] = round(time.monotonic() - started)
    print(json.dumps(figures, indent=1))
    if args.output:
        args.output.write_text(render(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

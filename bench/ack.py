"""Ack latency under load, the app against a bare Bolt app in the same run, and the app's memory.

Both servers run as subprocesses (`python -m bot serve` and `python -m bench.bare`, same adapter,
same uvicorn settings, same environment) against FakeSlack and the ConnectWise sandbox, which serve
from threads of this process. The load generator is a third process (`bench.loadgen`). Segments
alternate bare → app → bare → app so that drift on a shared machine hits both alike.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.loadgen import LoadResult, Plan, RequestTemplate, percentile
from bench.stack import (
    CHANNEL,
    REPO,
    SIGNING_SECRET,
    Backends,
    BenchUser,
    ServerProcess,
    app_environment,
    bench_users,
    pinned,
    prepare_database,
    split_cores,
)
from bot.ids import Callback, ListAction, SearchModal
from bot.local import FakeSlack, SlackRequestSender
from bot.local import payloads as p

MARKER = "BENCHRESPONSETOKEN"
TOKEN_USES = 4  # Slack allows 5 posts per response_url; the bench stays under it
CLEAR_EVERY_S = 0.5


@dataclass(frozen=True)
class AckConfig:
    """How hard and how long to push."""

    clients: int = 200
    duration_s: float = 30.0
    think_ms: float = 10_000.0  # 200 clients → about 20 requests/s
    segments: int = 2
    users: int = 19
    warmup_s: float = 4.0
    psa_latency_ms: int = 100


SEARCH_CLICKS = 5


async def _until(check: Any, what: str, within: float = 15.0) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        await asyncio.sleep(0.02)
    raise TimeoutError(f"no {what} within {within} s")


async def build_templates(events_url: str, fake: FakeSlack, users: list[BenchUser]) -> list[RequestTemplate]:
    """Real requests for every user, taken from what the app showed: `/tickets mine`, a Next click
    on a real list message, and a submission of the real search modal."""
    marker_url = f"{fake.url}response/{MARKER}"
    templates: list[RequestTemplate] = []
    async with httpx.AsyncClient(timeout=30) as http:
        sender = SlackRequestSender(events_url, SIGNING_SECRET, http)
        for user in users:
            uid = user.slack_id
            answer = fake.new_response_url(CHANNEL, uid)
            await sender.send(
                *p.slash_command("/tickets", "search", user=uid, channel=CHANNEL, response_url=answer)
            )
            # The list itself, not the "Loading your tickets…" placeholder a slow answer is preceded by.
            message = (
                await _until(
                    lambda uid=uid: [
                        m for m in fake.ephemeral(CHANNEL, uid) if ListAction.SEARCH.value in json.dumps(m)
                    ],
                    "list message",
                )
            )[-1]
            answer = fake.new_response_url(CHANNEL, uid, message["ts"])
            modal = None
            for _ in range(SEARCH_CLICKS):
                # Building templates is set-up, not measurement: a click whose job started after its
                # trigger expired (queued behind a long job of the same workspace slot) is clicked again.
                await sender.send(
                    *p.block_actions(
                        ListAction.SEARCH,
                        user=uid,
                        message=message,
                        channel=CHANNEL,
                        response_url=answer,
                        trigger_id=fake.new_trigger_id(uid),
                    )
                )
                try:
                    modal = await _until(
                        lambda uid=uid: (
                            (v := fake.last_view(uid)) and v["callback_id"] == Callback.LIST_SEARCH and v
                        ),
                        "search modal",
                    )
                    break
                except TimeoutError:
                    continue
            if modal is None:
                raise TimeoutError(f"no search modal for {uid} after {SEARCH_CLICKS} clicks")
            modal["private_metadata"] = modal["private_metadata"].replace(answer, marker_url)
            for kind, (body, content_type) in (
                (
                    "command",
                    p.slash_command("/tickets", "mine", user=uid, channel=CHANNEL, response_url=marker_url),
                ),
                (
                    "click",
                    p.block_actions(
                        ListAction.NEXT, user=uid, message=message, channel=CHANNEL, response_url=marker_url
                    ),
                ),
                (
                    "submission",
                    p.view_submission(
                        modal, user=uid, values={SearchModal.BLOCK: {SearchModal.ACTION: "printer"}}
                    ),
                ),
            ):
                assert MARKER in body, kind
                templates.append(RequestTemplate(kind=kind, body=body, content_type=content_type))
    return templates


def _run_loadgen(plan: Plan, workdir: Path, fake: FakeSlack) -> LoadResult:
    plan_file, result_file = workdir / "plan.json", workdir / "result.json"
    plan_file.write_text(plan.model_dump_json())
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.loadgen", str(plan_file), str(result_file)], cwd=REPO
    )
    # The fake keeps every call it saw; forgetting them as we go keeps this process light.
    while proc.poll() is None:
        time.sleep(CLEAR_EVERY_S)
        fake.clear()
    if proc.returncode != 0:
        raise RuntimeError(f"load generator failed with exit code {proc.returncode}")
    return LoadResult.model_validate_json(result_file.read_text())


def _settle(server: ServerProcess, timeout: float = 60.0) -> float:
    """Wait until the app's post-ack work is done; seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if httpx.get(server.url + "/healthz", timeout=5).json().get("pending_tasks", 0) == 0:
            break
        time.sleep(0.1)
    return time.monotonic() - started


def _summary(results: list[LoadResult]) -> dict[str, Any]:
    every: list[float] = []
    kinds: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    for result in results:
        for kind, values in result.latencies_ms.items():
            kinds.setdefault(kind, []).extend(values)
            every.extend(values)
        for error, count in result.errors.items():
            errors[error] = errors.get(error, 0) + count
    seconds = sum(r.measured_s for r in results)
    return {
        "requests": sum(r.sent for r in results),
        "rate_per_s": round(sum(r.sent for r in results) / seconds, 1) if seconds else 0.0,
        "p50_ms": round(percentile(every, 0.50), 2),
        "p95_ms": round(percentile(every, 0.95), 2),
        "p99_ms": round(percentile(every, 0.99), 2),
        "max_ms": round(max(every, default=0.0), 2),
        "by_kind_p99_ms": {k: round(percentile(v, 0.99), 2) for k, v in sorted(kinds.items())},
        "errors": errors,
        "generator_cpu_share_max": max(r.generator_cpu_share for r in results),
        "generator_loop_lag_p99_ms_max": max(r.loop_lag_ms_p99 for r in results),
    }


def _count_problems(log: str) -> dict[str, int]:
    return {
        "error_lines": len(re.findall(r" (?:ERROR|CRITICAL) ", log)),
        "tracebacks": log.count("Traceback (most recent call last)"),
    }


def run(config: AckConfig = AckConfig()) -> dict[str, Any]:
    """Run the comparison; the figures as a dict.

    With two cores or more, the measured server (app or bare Bolt, one at a time) gets the first core
    to itself and everything else (load generator, sandbox, FakeSlack) runs on the others, as a
    production app does not share its CPU with Slack and ConnectWise.
    """
    server_cores, other_cores = split_cores()
    with pinned(other_cores):
        figures = _run(config, server_cores)
    figures["cores"] = {
        "server": sorted(server_cores) if server_cores else None,
        "others": sorted(other_cores) if other_cores else None,
    }
    return figures


def _run(config: AckConfig, server_cores: set[int] | None) -> dict[str, Any]:
    users = bench_users(config.users)
    with (
        tempfile.TemporaryDirectory(prefix="bench-ack-") as tmp,
        Backends(users, latency_ms=config.psa_latency_ms) as backends,
    ):
        workdir = Path(tmp)
        database_url = f"sqlite+aiosqlite:///{workdir / 'tickets.db'}"
        prepare_database(database_url, backends.sandbox, users)
        env = app_environment(backends, database_url)
        with (
            ServerProcess(["bot", "serve"], env, workdir / "app.log", cores=server_cores) as app,
            ServerProcess(["bench.bare"], env, workdir / "bare.log", cores=server_cores) as bare,
        ):
            rss_started, hwm_started = app.rss_mb(), _hwm_mb(app.pid)
            templates = asyncio.run(build_templates(app.events_url, backends.fake, users))
            _settle(app)
            rss_idle = app.rss_mb()
            segment_s = config.duration_s / config.segments

            def load(server: ServerProcess, seconds: float) -> LoadResult:
                expected = int(config.clients * seconds / max(config.think_ms / 1000, 0.05) * 1.5) + 100
                tokens = [
                    backends.fake.new_response_url(CHANNEL, users[i % len(users)].slack_id).rsplit("/", 1)[1]
                    for i in range(expected // TOKEN_USES + 1)
                ]
                plan = Plan(
                    url=server.events_url,
                    signing_secret=SIGNING_SECRET,
                    clients=config.clients,
                    duration_s=seconds,
                    think_ms=config.think_ms,
                    templates=templates,
                    marker=MARKER,
                    tokens=tokens,
                    token_uses=TOKEN_USES,
                )
                result = _run_loadgen(plan, workdir, backends.fake)
                _settle(server)
                return result

            # Not measured: a long-running server is warm (pools filled, caches loaded, code paths run).
            for server in (bare, app) if config.warmup_s > 0 else ():
                load(server, config.warmup_s)
            app_cpu_before = app.cpu_seconds()
            results: dict[str, list[LoadResult]] = {"bare": [], "app": []}
            for _ in range(config.segments):
                for name, server in (("bare", bare), ("app", app)):
                    results[name].append(load(server, segment_s))
            rss_after = app.rss_mb()
            settle_s = _settle(app)
            app_cpu = app.cpu_seconds() - app_cpu_before
            rss_peak = _hwm_mb(app.pid)
            problems = _count_problems(app.log_text())
            bare_problems = _count_problems(bare.log_text())
    bare_summary, app_summary = _summary(results["bare"]), _summary(results["app"])
    return {
        "config": config.__dict__,
        "bare": bare_summary,
        "app": app_summary,
        "ratio": {
            q: round(app_summary[q] / bare_summary[q], 2) if bare_summary[q] else None
            for q in ("p50_ms", "p95_ms", "p99_ms")
        },
        "app_log": problems,
        "bare_log": bare_problems,
        "app_cpu_s_during_load": round(app_cpu, 1),
        "app_cpu_ms_per_request": round(app_cpu * 1000 / max(1, app_summary["requests"]), 1),
        "settle_s_after_load": round(settle_s, 2),
        "memory_mb": {
            "started": round(rss_started, 1),
            "idle": round(rss_idle, 1),
            "after_load": round(rss_after, 1),
            "peak": round(rss_peak, 1),
            "peak_at_start": round(hwm_started, 1),
        },
    }


def _hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> dict[str, Any]:
    """A short run with the default clients, for trying things out."""
    figures = run(AckConfig(duration_s=float(sys.argv[1]) if len(sys.argv) > 1 else 5.0))
    print(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()

"""The load generator: N concurrent clients posting signed Slack requests, in a process of its own.

`python -m bench.loadgen PLAN.json RESULT.json`. Each client sends one request, waits for the answer
(the ack), pauses (exponential think time), and goes on with the next kind of request, for the
plan's duration. It also watches itself: its CPU share and how late its event loop wakes up, so a
run where the generator was the bottleneck can be told apart from one where the server was.
"""

from __future__ import annotations

import asyncio
import math
import random
import resource
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
from pydantic import BaseModel, Field

from bot.local.signing import SLACK_USER_AGENT, sign

LAG_TICK_S = 0.01


class RequestTemplate(BaseModel):
    """One kind of request: a body in which `Plan.marker` stands for a fresh response_url token."""

    kind: str
    body: str
    content_type: str


class Plan(BaseModel):
    """What to send, where, by how many clients, for how long."""

    url: str
    signing_secret: str
    clients: int
    duration_s: float
    warmup_s: float = 1.0
    think_ms: float = 1000.0
    templates: list[RequestTemplate]
    marker: str = "BENCHRESPONSETOKEN"
    tokens: list[str] = Field(default_factory=list)
    token_uses: int = 4
    timeout_s: float = 10.0
    seed: int = 7


class LoadResult(BaseModel):
    """Ack latencies (ms) per kind, errors, and how busy the generator itself was."""

    latencies_ms: dict[str, list[float]]
    errors: dict[str, int]
    sent: int
    measured_s: float
    generator_cpu_share: float  # CPU seconds / wall seconds of this process (1.0 = one full core)
    loop_lag_ms_p99: float
    loop_lag_ms_max: float


class _Tokens:
    """Hands out response_url tokens, each at most `uses` times (Slack allows 5 posts per URL)."""

    def __init__(self, tokens: list[str], uses: int) -> None:
        self._tokens = tokens or ["unused"]
        self._uses = max(1, uses)
        self._next = 0

    def take(self) -> str:
        token = self._tokens[(self._next // self._uses) % len(self._tokens)]
        self._next += 1
        return token


async def run(plan: Plan) -> LoadResult:
    """Drive the load and collect the figures."""
    rng = random.Random(plan.seed)
    tokens = _Tokens(plan.tokens, plan.token_uses)
    latencies: dict[str, list[float]] = {t.kind: [] for t in plan.templates}
    errors: Counter[str] = Counter()
    sent = 0
    lags: list[float] = []
    limits = httpx.Limits(max_connections=plan.clients, max_keepalive_connections=plan.clients)
    start = time.perf_counter()
    measure_from = start + plan.warmup_s
    stop_at = measure_from + plan.duration_s
    cpu_start = cpu_measured = 0.0
    cpu_wall = 1e-9

    async def watch_loop() -> None:
        while time.perf_counter() < stop_at:
            before = time.perf_counter()
            await asyncio.sleep(LAG_TICK_S)
            if before >= measure_from:
                lags.append((time.perf_counter() - before - LAG_TICK_S) * 1000)

    async def client(http: httpx.AsyncClient, index: int) -> None:
        nonlocal sent
        turn = index % len(plan.templates)
        # Exponential pauses from the start: each client is a Poisson process at once (memoryless).
        if plan.think_ms > 0:
            await asyncio.sleep(min(rng.expovariate(1000 / plan.think_ms), stop_at - time.perf_counter()))
        while time.perf_counter() < stop_at:
            template = plan.templates[turn]
            turn = (turn + 1) % len(plan.templates)
            body = template.body.replace(plan.marker, tokens.take())
            headers = {
                "Content-Type": template.content_type,
                "User-Agent": SLACK_USER_AGENT,
                **sign(body, signing_secret=plan.signing_secret),
            }
            began = time.perf_counter()
            try:
                resp = await http.post(plan.url, content=body.encode(), headers=headers)
                outcome = None if resp.status_code == 200 else f"{template.kind}: HTTP {resp.status_code}"
            except httpx.HTTPError as exc:
                outcome = f"{template.kind}: {type(exc).__name__}"
            elapsed_ms = (time.perf_counter() - began) * 1000
            if measure_from <= began < stop_at:
                sent += 1
                if outcome is None:
                    latencies[template.kind].append(elapsed_ms)
                else:
                    errors[outcome] += 1
            pause = rng.expovariate(1000 / plan.think_ms) if plan.think_ms > 0 else 0.0
            await asyncio.sleep(max(0.0, min(pause, stop_at - time.perf_counter())))

    async def mark_cpu() -> None:
        nonlocal cpu_start
        await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
        cpu_start = _cpu_seconds()

    async with httpx.AsyncClient(limits=limits, timeout=plan.timeout_s) as http:
        await asyncio.gather(watch_loop(), mark_cpu(), *(client(http, i) for i in range(plan.clients)))
        cpu_measured = _cpu_seconds() - cpu_start
        cpu_wall = max(cpu_wall, time.perf_counter() - measure_from)
    measured_s = plan.duration_s  # requests are counted when they start inside the window
    return LoadResult(
        latencies_ms=latencies,
        errors=dict(errors),
        sent=sent,
        measured_s=round(measured_s, 3),
        generator_cpu_share=round(cpu_measured / cpu_wall, 3),
        loop_lag_ms_p99=round(percentile(lags, 0.99), 2),
        loop_lag_ms_max=round(max(lags, default=0.0), 2),
    )


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


def main(argv: list[str] | None = None) -> int:
    """Read the plan, run, write the result JSON."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m bench.loadgen PLAN.json RESULT.json", file=sys.stderr)
        return 2
    plan = Plan.model_validate_json(Path(args[0]).read_text())
    result = asyncio.run(run(plan))
    Path(args[1]).write_text(result.model_dump_json())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

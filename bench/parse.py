"""Offline parse benchmark: accuracy on the public cases, latency, and PSA calls per parse (cold and warm).

Runs the real path: the offline parser → `TicketService` → `ConnectWiseProvider` → the sandbox over HTTP.
`python -m bench.parse` prints a Markdown table for the public cases and for our harder set
(`tests/ai/data/ai-parse-hard.jsonl`: typos, urgency words, status phrases, no company, two companies);
`run()` returns the figures for other runners.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import sys
import time
from pathlib import Path
from typing import Any

from ai.extract import HeuristicExtractor
from ai.parse import NoMappings
from ai.parser import TicketParser
from psa.connectwise import ConnectWiseCredentials, ConnectWiseProvider
from psa.connectwise.sandbox import SandboxServer
from psa.service import TicketService

CASES = Path(__file__).resolve().parents[1] / "tests" / "ai" / "data" / "ai-parse-cases.jsonl"
HARD_CASES = CASES.with_name("ai-parse-hard.jsonl")
WARM_ROUNDS = 5
ROUND_LATENCY_MS = 50


def load_cases(path: Path = CASES) -> list[dict[str, Any]]:
    """The public cases: prompt, as, expect, summary_has, optional warn."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def score(case: dict[str, Any], result: Any) -> dict[str, bool]:
    """Each check of a case: one per expected field, 'summary' for summary_has (and summary_lacks),
    'description' for description_lacks, 'warnings' for warn."""
    checks = {field: getattr(result, field) == value for field, value in case.get("expect", {}).items()}
    summary = (result.summary or "").casefold()
    if case.get("summary_has") or case.get("summary_lacks"):
        checks["summary"] = all(
            part.casefold() in summary for part in case.get("summary_has", [])
        ) and not any(_has_words(summary, part) for part in case.get("summary_lacks", []))
    if case.get("description_lacks"):
        description = (result.description or "").casefold()
        checks["description"] = not any(_has_words(description, part) for part in case["description_lacks"])
    if "warn" in case:
        checks["warnings"] = bool(result.warnings) == bool(case["warn"])
    return checks


def _has_words(text: str, words: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(words.casefold())}(?!\w)", text) is not None


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)] if ordered else 0.0


def _calls(values: list[int]) -> dict[str, float]:
    return {"mean": round(sum(values) / len(values), 2) if values else 0.0, "max": max(values, default=0)}


async def measure(
    sandbox: SandboxServer, cases: list[dict[str, Any]], *, round_latency_ms: int = ROUND_LATENCY_MS
) -> dict[str, Any]:
    """Parse every case cold (reference cache emptied first), then warm; return the figures.

    With `round_latency_ms` > 0, one more cold pass runs with that latency added to every PSA request:
    its wall time divided by the latency is the number of sequential PSA round trips per parse.
    """
    credentials = ConnectWiseCredentials(
        base_url=sandbox.base_url,
        company_id=sandbox.company_id,
        public_key=sandbox.public_key,
        private_key=sandbox.private_key,
        client_id="bench-parse",
    )
    service = TicketService(ConnectWiseProvider(credentials), NoMappings())
    try:
        parser = TicketParser(HeuristicExtractor(), service)
        actors = {}
        for identifier in {case.get("as", "") for case in cases}:
            member = await service.member_for_identifier(identifier) if identifier else None
            actors[identifier] = member.id if member else None
        cold_ms, warm_ms, cold_calls, warm_calls = [], [], [], []
        per_case: list[dict[str, bool]] = []
        for case in cases:
            service.invalidate_reference_data()
            before, started = sandbox.request_count(), time.perf_counter()
            result = await parser.parse(case["prompt"], actor_member_id=actors[case.get("as", "")])
            cold_ms.append((time.perf_counter() - started) * 1000)
            cold_calls.append(sandbox.request_count() - before)
            per_case.append(score(case, result))
        for case in cases:  # fill the cache for every board the cases name
            await parser.parse(case["prompt"], actor_member_id=actors[case.get("as", "")])
        for _ in range(WARM_ROUNDS):
            for case in cases:
                before, started = sandbox.request_count(), time.perf_counter()
                await parser.parse(case["prompt"], actor_member_id=actors[case.get("as", "")])
                warm_ms.append((time.perf_counter() - started) * 1000)
                warm_calls.append(sandbox.request_count() - before)
        rounds = await _rounds(sandbox, service, parser, cases, actors, round_latency_ms)
    finally:
        await service.aclose()
    figures = _figures(cases, per_case, cold_ms, warm_ms, cold_calls, warm_calls)
    figures["psa_rounds_per_cold_parse"] = rounds
    return figures


async def _rounds(
    sandbox: SandboxServer,
    service: TicketService,
    parser: TicketParser,
    cases: list[dict[str, Any]],
    actors: dict[str, int | None],
    latency_ms: int,
) -> dict[str, float] | None:
    if latency_ms <= 0:
        return None
    sandbox.set_latency(latency_ms)
    rounds: list[float] = []
    try:
        for case in cases:
            service.invalidate_reference_data()
            started = time.perf_counter()
            await parser.parse(case["prompt"], actor_member_id=actors[case.get("as", "")])
            rounds.append((time.perf_counter() - started) * 1000 / latency_ms)
    finally:
        sandbox.set_latency(0)
    return {
        "mean": round(sum(rounds) / len(rounds), 2),
        "max": round(max(rounds), 2),
        "latency_ms": latency_ms,
    }


def _figures(
    cases: list[dict[str, Any]],
    per_case: list[dict[str, bool]],
    cold_ms: list[float],
    warm_ms: list[float],
    cold_calls: list[int],
    warm_calls: list[int],
) -> dict[str, Any]:
    fields: dict[str, list[bool]] = {}
    for checks in per_case:
        for field, ok in checks.items():
            fields.setdefault(field, []).append(ok)
    passed = sum(ok for checks in per_case for ok in checks.values())
    total = sum(len(checks) for checks in per_case)
    return {
        "cases": len(cases),
        "field_accuracy": {field: round(sum(oks) / len(oks), 4) for field, oks in sorted(fields.items())},
        "field_checks": {
            "passed": passed,
            "total": total,
            "accuracy": round(passed / total, 4) if total else 0.0,
        },
        "exact_case_accuracy": round(sum(all(c.values()) for c in per_case) / len(per_case), 4)
        if per_case
        else 0.0,
        "latency_ms": {
            "cold": {"p50": round(_percentile(cold_ms, 0.5), 2), "p95": round(_percentile(cold_ms, 0.95), 2)},
            "warm": {"p50": round(_percentile(warm_ms, 0.5), 2), "p95": round(_percentile(warm_ms, 0.95), 2)},
        },
        "psa_calls_per_parse": {"cold": _calls(cold_calls), "warm": _calls(warm_calls)},
        "failures": [
            {"prompt": case["prompt"], "failed": [field for field, ok in checks.items() if not ok]}
            for case, checks in zip(cases, per_case, strict=True)
            if not all(checks.values())
        ],
    }


def run(cases_path: Path = CASES, hard_path: Path | None = HARD_CASES) -> dict[str, Any]:
    """Start a sandbox, measure, stop it; the figures as a dict (the harder set's under "hard")."""
    with SandboxServer() as sandbox:
        figures = asyncio.run(measure(sandbox, load_cases(cases_path)))
        if hard_path is not None:
            figures["hard"] = asyncio.run(measure(sandbox, load_cases(hard_path), round_latency_ms=0))
        return figures


def accuracy_table(figures: dict[str, Any], title: str) -> list[str]:
    """Per-field accuracy, all checks and exact cases, with the failed cases listed under the table."""
    lines = [f"## {title}", "", "| Field | Accuracy |", "|---|---|"]
    lines += [f"| {field} | {value:.1%} |" for field, value in figures["field_accuracy"].items()]
    checks = figures["field_checks"]
    lines += [
        f"| **all field checks** | **{checks['accuracy']:.1%}** ({checks['passed']}/{checks['total']}) |",
        f"| **exact cases** | **{figures['exact_case_accuracy']:.1%}** ({figures['cases']} cases) |",
    ]
    for failure in figures["failures"]:
        lines.append(f"\n- failed {', '.join(failure['failed'])}: {failure['prompt']}")
    return lines


def to_markdown(figures: dict[str, Any]) -> str:
    """The figures as Markdown tables."""
    lines = accuracy_table({**figures, "failures": []}, "Offline parser on the public cases")
    lines += [
        "",
        "| Measure | Cold (reference cache empty) | Warm (cached) |",
        "|---|---|---|",
    ]
    latency, calls = figures["latency_ms"], figures["psa_calls_per_parse"]
    lines += [
        f"| latency p50 | {latency['cold']['p50']:.2f} ms | {latency['warm']['p50']:.2f} ms |",
        f"| latency p95 | {latency['cold']['p95']:.2f} ms | {latency['warm']['p95']:.2f} ms |",
        f"| PSA calls per parse (mean / max) | {calls['cold']['mean']} / {calls['cold']['max']} "
        f"| {calls['warm']['mean']} / {calls['warm']['max']} |",
    ]
    if rounds := figures.get("psa_rounds_per_cold_parse"):
        lines.append(
            f"| sequential PSA round trips per parse (mean / max, at {rounds['latency_ms']} ms a request) "
            f"| {rounds['mean']} / {rounds['max']} | 0 |"
        )
    for failure in figures["failures"]:
        lines.append(f"\n- failed {', '.join(failure['failed'])}: {failure['prompt']}")
    if hard := figures.get("hard"):
        title = "Offline parser on the harder set (typos, urgency, status phrases, no or two companies)"
        lines += ["", *accuracy_table(hard, title)]
    return "\n".join(lines)


def main() -> dict[str, Any]:
    """Run and print the benchmark."""
    figures = run()
    sys.stdout.write(to_markdown(figures) + "\n")
    return figures


if __name__ == "__main__":
    main()

"""The issue-11 figures (bench/scale.md, bench/cpu.md) as a section of bench/results.md, against targets."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SCALE = HERE / "scale.md"
CPU = HERE / "cpu.md"


READING = [
    "What shapes these figures (see also the machine's load average in `bench/scale.md`):",
    "",
    "- The load is one workspace, and a workspace runs at most 4 jobs at once (the fairness cap, sized",
    "  to its 20-connection ConnectWise pool): beyond about 4 ÷ (time per command) commands a second its",
    "  work queues, whatever the CPU. With the sandbox at 100 ms that is well under 50 req/s, so the",
    "  50 req/s row and the 1,000 burst measure that queue, not a wedge (the command after the burst",
    "  is answered).",
    "- `e2e` is the default install (SQLite, WORKERS=embedded) as `serve` runs it now: the worker on an",
    "  event loop of its own in a thread, the ack checking replays in memory (no database write); `e2e-loop`",
    "  is the same with the worker on the web loop (EMBEDDED_WORKER=loop, what `serve` did before), in",
    "  the same run. `external` is the deployment the ack targets were set for: one web process",
    "  (WORKERS=external, Postgres) and one worker process, their CPU apart.",
    "- With a thread the ack still shares the interpreter with the jobs: it waits for the GIL while a job",
    "  computes, so at rates where the jobs keep the CPU busy its p99 stays above bare Bolt's (at 50 req/s",
    "  the jobs use most of a core). `serve` now sets the switch interval to 1 ms in that mode",
    "  (EMBEDDED_SWITCH_INTERVAL_MS); `e2e-5ms` is Python's default 5 ms, in the same run: app ack p99",
    "  at 20 / 50 req/s 4.7 / 12.6 ms against 6.6 / 19.8 (3.5 / 11.4 against 4.9 / 15.0 in a busier run),",
    "  CPU per request within 5% either way; at 1 req/s p99 is the slowest of 20 acks (noise).",
    "- `/tickets` from a workspace Bolt authorized within the last minute is acked without Bolt's dispatch",
    "  (bot/fast_ack.py: after the signature and replay checks, the same hand-off, an empty 200);",
    "  `external-bolt` is the same deployment with FAST_ACK=false (every request through Bolt), in the",
    "  same run: 2.13 vs 2.67 ms of web CPU per command at 20 req/s, ack p99 7.8 vs 8.7 (20 req/s) and",
    "  11.9 vs 13.2 ms (50 req/s). In the runs before, fast ack's p99 at 50 req/s was the higher one",
    "  (35.9 vs 10.5 ms): the busy notice was then a post from the web process for every command past",
    "  the backlog; a slash command is now told in its own ack, and the two paths are in line.",
    "- Since the 20:23 run the servers measured (web, bare Bolt) run on core 0 and everything else on",
    "  core 1, as bench.ack does: a deployment where the web process has its CPU to itself.",
    "- Closed-loop capacity (50 clients, each sending the next command once the last was acked, 5 s):",
    "  bare Bolt acks 6,400-6,700 a second on its core; the app 1,108 (embedded) and 579 (external).",
    "  The app's ack does what bare Bolt's does not: on Postgres one INSERT with its commit (the job",
    "  must be stored before the ack says it is taken), on SQLite the hand-off to the worker thread,",
    "  which then competes for the interpreter. 1.3x bare Bolt would need an ack cheaper than Bolt's",
    "  no-op dispatch plus a durable write: not reached. Tried beside it in throwaway runs on a busy",
    "  machine (not kept): a job-engine pool of 12 instead of 4 (324-407 vs 406-560 acks/s) and psycopg's",
    "  C implementation (0.62 vs 0.70 ms of web CPU per ack, +1.4 MB RSS): neither near 1.3x.",
    "- The embedded closed loop also found a real failure: with 5,540 jobs waiting, procrastinate's",
    "  in-memory fetch (quadratic in the backlog) let only 184 be answered in 300 s. The store now",
    "  fetches in one pass (d2a778e); the e2e figures above are from the re-run after that fix.",
    "- The embedded server's RSS after that closed loop (241.7 MB, after a 4,842-job backlog) is not",
    "  bounded the way the issue asks: the queue lives in memory. RSS of a server that served the fixed",
    "  rates only, and of the external processes, is in the rows above. In that run each command past the",
    "  busy backlog lost its notice in this mode (the hand-off to the worker thread carried the ack's",
    "  context along and filled it in after the ack had gone); since b36f342 the web thread reads the",
    "  worker's count of waiting work (one int, updated by each fetch and hand-off) and the ack says it,",
    "  as on Postgres, and busy posts for clicks are capped at 16 at once per process. The burst alone,",
    "  re-run on b36f342 (`python -m bench.scale --phases burst`, 22:37, load average 0.44): 1,000 / 1,000",
    "  acked within 3 s (bare Bolt 1,000), 947 of those acks said the answer is queued, 1,000 answered,",
    "  0 twice, the last after 34.3 s, the next command answered.",
    "- External: a web process's `/tickets` ack makes one Postgres statement (the replay record, the",
    "  least busy fairness slot and procrastinate's defer function together), in autocommit, on a",
    "  connection its pool opened at start; before, about a dozen round trips (SQLAlchemy's pre-ping,",
    "  BEGIN, INSERT, COMMIT for the replay record, then the slot count and the INSERT, each behind",
    "  psycopg_pool's liveness check and inside BEGIN ... COMMIT). Its worker now fetches again when a",
    "  job ends: a job skipped behind its workspace's busy slot used to wait for the next insert or",
    "  the 1 s poll. With both, end-to-end p50 at 20 req/s went from 4.9 s (load average 3.2) to 117 ms.",
    "- Ack p99 against bare Bolt still misses 0.5x except at low rates: pinned alone on a core, bare Bolt",
    "  acks in 2-3 ms at p99, and the app's ack is the work item (JSON, sealed) and one Postgres round",
    "  trip to a server that shares the other core with the worker, the sandbox and FakeSlack; half of",
    "  bare Bolt would need an ack cheaper than Bolt's dispatch alone. At 50 req/s the one workspace's",
    "  4 slots (about 4 / 0.12 s = 33 jobs a second) are below the rate: its queue grows.",
    "- The burst's load generator sends with aiohttp: with httpx's pool it needed 12 s to send 1,000",
    "  requests at once (its pool's bookkeeping is quadratic in the requests queued), so \"acked within",
    '  3 s" measured the generator; bare Bolt is sent the same burst first, in the same run.',
    "- Post-ack CPU and RSS (`bench/cpu.md`, `before` = the app at d80b040 in the same run): the rest of the",
    "  CPU is spread thin (asyncio, the ConnectWise HTTP stack, the replay record and job bookkeeping,",
    "  JSON → rows); about 119 MB is what `serve` imports before any work (SQLAlchemy, pydantic,",
    "  psycopg via procrastinate, aiohttp via slack-sdk, cryptography's Rust module, libpq).",
]


def _figures(path: Path) -> dict[str, Any] | None:
    """The last JSON block of a figures file (None when it is missing)."""
    if not path.exists():
        return None
    blocks = re.findall(r"```json\n(.*?)\n```", path.read_text(), flags=re.S)
    return json.loads(blocks[-1]) if blocks else None


def _yes(ok: bool) -> str:
    return "✅" if ok else "❌"


MODES = {
    "e2e": "embedded, worker thread",
    "e2e-5ms": "embedded, worker thread, 5 ms switch interval (before)",
    "e2e-loop": "embedded, worker on the web loop (before)",
    "external": "web (WORKERS=external) + 1 worker, Postgres",
    "external-bolt": "web (WORKERS=external, FAST_ACK=false: all through Bolt, before) + 1 worker",
}


def _e2e_rows(scale: dict[str, Any], phase: str = "e2e") -> list[str]:
    lines = []
    block = scale.get(phase)
    rows = block.get("e2e", []) if isinstance(block, dict) else block or []
    mode = MODES[phase]
    for row in rows:
        rate = row["rate"]
        ack = row["app_ack_p99_ms"] / max(0.01, row["bare_ack_p99_ms"])
        lines.append(
            f"| Ack p99 at {rate:g} req/s, app ÷ bare Bolt ({mode}) | {row['app_ack_p99_ms']} ÷ "
            f"{row['bare_ack_p99_ms']} ms = **{ack:.2f}×** | ≤ 0.5× | {_yes(ack <= 0.5)} |"
        )
        worker = row.get("worker_cpu_ms_per_request")
        spent = f"{row['app_cpu_ms_per_request']}" + (f" + worker {worker}" if worker is not None else "")
        lines.append(
            f"| CPU per request at {rate:g} req/s, app ÷ bare Bolt ({mode}) | {spent} ÷ "
            f"{row['bare_cpu_ms_per_request']} ms = **{row['cpu_ratio']}×** | ≤ 3.5× "
            f"| {_yes(row['cpu_ratio'] <= 3.5)} |"
        )
        target = "≤ 120 ms" if rate == 20 else "—"
        met = _yes(row["app_e2e_p50_ms"] <= 120) if rate == 20 else "—"
        lines.append(
            f"| End-to-end p50 / p99 at {rate:g} req/s (sandbox 100 ms, {mode}); unanswered | "
            f"{row['app_e2e_p50_ms']} / {row['app_e2e_p99_ms']} ms; {row['app_unanswered']} "
            f"| {target} | {met} |"
        )
    return lines


def _capacity_rows(block: dict[str, Any] | None, mode: str) -> list[str]:
    if not block:
        return []
    ok = block["ratio"] >= 1.3 and block["app_errors"] == 0 and block["app_unanswered"] == 0
    return [
        f"| Closed-loop capacity, app ÷ bare Bolt ({mode}; {block['clients']} clients, "
        f"{block['seconds']:g} s) | {block['app_acked_per_s']} ÷ {block['bare_acked_per_s']} acks/s = "
        f"**{block['ratio']}×**; errors {block['app_errors']}, unanswered {block['app_unanswered']} of "
        f"{block['app_commands']} (the last answered {block['app_last_answer_after_s']} s after the load) "
        f"| ≥ 1.3×, 0 | {_yes(ok)} |",
    ]


def _burst_rows(burst: dict[str, Any]) -> list[str]:
    n = burst["commands"]
    bare = burst.get("bare_acked_within_3s")
    beside = "" if bare is None else f" (bare Bolt, same burst: {bare} / {n})"
    rows = [
        f"| Burst of {n} on a cold app: acked within 3 s | {burst['acked_within_3s']} / {n}{beside} | all "
        f"| {_yes(burst['acked_within_3s'] == n)} |",
        f"| Burst: users answered (twice) ; last answer after | {burst['answered']} / {n} "
        f"({burst['answered_twice']}); {burst['last_answer_s']} s | all, 0 | "
        f"{_yes(burst['answered'] == n and burst['answered_twice'] == 0)} |",
        "| Burst: the next command answered afterwards (no wedged client) | "
        f"{burst['next_command_answered']} | yes | {_yes(bool(burst['next_command_answered']))} |",
    ]
    told = burst.get("told_queued_in_ack")
    if told is not None:  # runs before b36f342 did not count them
        rows.append(f"| Burst: acks that said the answer is queued (past 50 waiting) | {told} / {n} | | |")
    return rows


def _multi_rows(multi: dict[str, Any]) -> list[str]:
    ok = multi["lost"] == 0 and multi["answered_twice"] == 0 and multi["answered"] == multi["commands"]
    return [
        f"| 2 web + 2 workers, one worker SIGKILLed: answered / twice / lost | {multi['answered']} / "
        f"{multi['answered_twice']} / {multi['lost']} of {multi['commands']} | all / 0 / 0 | {_yes(ok)} |",
    ]


def _cpu_rows(cpu: dict[str, Any]) -> list[str]:
    """Post-ack CPU and RSS from bench.cpu: `python -m bot serve` as shipped, beside `before` when run."""
    post = cpu.get("post_ack_ms", {})
    shipped = post.get("shipped", post.get("uvloop"))
    rows = []
    if shipped is not None:
        before = post.get("before")
        beside = (
            f"before {before} ms" if before is not None else f"without the candidates {post.get('base')} ms"
        )
        rows.append(
            "| Post-ack CPU per `/tickets mine` at 20 req/s (`bot serve` as shipped; bench.cpu) "
            f"| {shipped} ms ({beside}) | ≤ 5 ms | {_yes(shipped <= 5)} |"
        )
    rss = cpu.get("rss_mb", {})
    external = cpu.get("external_rss_mb", {})
    now, then = external.get("now", external), external.get("before", {})
    measured = [
        ("web (embedded worker, SQLite)", rss.get("shipped", {}), rss.get("before", {}), ""),
        ("web (WORKERS=external, Postgres)", now, then, "web_"),
        ("worker (`python -m bot worker`)", now, then, "worker_"),
    ]
    for name, figures, earlier, prefix in measured:
        values = [figures.get(prefix + k) for k in ("started", "idle", "after")]
        if None in values:
            continue
        shown = " / ".join(str(v) for v in values)
        old = [earlier.get(prefix + k) for k in ("started", "idle", "after")]
        was = f" (before {' / '.join(str(v) for v in old)})" if None not in old else ""
        rows.append(
            f"| RSS: {name} started / idle / after load (bench.cpu) | {shown} MB{was} | < 120 MB "
            f"| {_yes(max(v for v in values if v is not None) < 120)} |"
        )
    return rows


def scale_section() -> list[str]:
    """The section (empty when neither figures file exists)."""
    scale, cpu = _figures(SCALE), _figures(CPU)
    if scale is None and cpu is None:
        return []
    lines = [
        "## Scale-out (issue 11): `python -m bench.scale` and `python -m bench.cpu`",
        "",
        "From `bench/scale.md` and `bench/cpu.md` (their own runs; the load average is noted there).",
        "",
        "| Figure | Measured | Target | Met |",
        "|---|---|---|---|",
    ]
    if scale is not None:
        for phase in MODES:
            lines += _e2e_rows(scale, phase)
        lines += _capacity_rows(scale.get("e2e_capacity"), MODES["e2e"])
        lines += _capacity_rows((scale.get("external") or {}).get("capacity"), MODES["external"])
        if "burst" in scale:
            lines += _burst_rows(scale["burst"])
        if "multi" in scale:
            lines += _multi_rows(scale["multi"])
        worker = scale.get("multi", {}).get("worker_rss_mb")
        rss = [scale.get("rss_idle_mb"), scale.get("rss_after_mb"), worker]
        shown = " / ".join("—" if v is None else f"{v}" for v in rss)
        top = max((v for v in rss if v is not None), default=0.0)
        lines.append(
            f"| RSS: web (embedded worker) idle / after load / a worker (bench.scale) | {shown} MB "
            f"| < 120 MB | {_yes(top < 120)} |"
        )
    if cpu is not None:
        lines += _cpu_rows(cpu)
    return [*lines, "", *READING]


SECTION = "## Scale-out (issue 11)"


def replace_section(results: str) -> str:
    """`results` (bench/results.md) with its scale-out section rebuilt from the figures files."""
    start = results.find(SECTION)
    head = results if start < 0 else results[:start]
    rest = "" if start < 0 else results[start + len(SECTION) :]
    following = rest.find("\n## ")
    tail = "" if following < 0 else rest[following + 1 :]
    section = "\n".join(scale_section()) + "\n"
    return head.rstrip("\n") + "\n\n" + section + ("\n" + tail if tail else "")


if __name__ == "__main__":
    # `python -m bench.scale_report`: refresh that section of bench/results.md after `bench.scale`.
    target = HERE / "results.md"
    target.write_text(replace_section(target.read_text()))

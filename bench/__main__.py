"""`python -m bench [--quick] [--output PATH]`: run every benchmark and write the Markdown table.

The full run (about 3 minutes on 2 cores) writes `bench/results.md`; `--quick` is a 5-second smoke
run of the same code paths (one segment per server, no sweep, one run per round-trip figure).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import ack, parse, report, rounds

RESULTS = Path(__file__).resolve().parent / "results.md"
BENCHMARKS = ("ack", "sweep", "rounds", "parse")
# The ack figure is taken at 200 clients pausing 10 s; the sweep shows the ratio at higher request rates.
SWEEP_THINK_MS = (5_000.0, 2_500.0)
SWEEP_SECONDS = 6.0
QUICK_USERS = 4  # fewer request templates to build before the smoke run


def run_all(
    *, quick: bool, only: Sequence[str], clients: int, duration: float, think_ms: float
) -> dict[str, Any]:
    """Run the chosen benchmarks; their figures by name."""
    figures: dict[str, Any] = {}
    if "ack" in only:
        config = ack.AckConfig(
            clients=clients,
            duration_s=duration,
            think_ms=think_ms,
            segments=1 if quick else 2,
            users=QUICK_USERS if quick else ack.AckConfig.users,
            warmup_s=0.0 if quick else ack.AckConfig.warmup_s,  # a smoke run checks paths, not figures
        )
        figures["ack"] = ack.run(config)
        _show("ack", figures["ack"])
    if "sweep" in only and not quick:
        figures["sweep"] = []
        for think in SWEEP_THINK_MS:
            level = ack.run(
                ack.AckConfig(clients=clients, duration_s=SWEEP_SECONDS, think_ms=think, segments=1)
            )
            figures["sweep"].append(level)
            _show(f"sweep {think / 1000:g} s", {k: level[k] for k in ("bare", "app", "ratio")})
    if "rounds" in only:
        figures["rounds"] = rounds.run(repeats=1 if quick else rounds.REPEATS)
        _show("rounds", figures["rounds"])
    if "parse" in only:
        figures["parse"] = parse.run()
        _show("parse", {k: v for k, v in figures["parse"].items() if k != "failures"})
    return figures


def _show(name: str, figures: dict[str, Any]) -> None:
    sys.stdout.write(
        f"== {name} ({time.strftime('%H:%M:%S')})\n{json.dumps(figures, indent=1, default=str)}\n"
    )
    sys.stdout.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, run, write the table."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="5 s smoke run (no sweep, single runs)")
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"Markdown file (default {RESULTS})")
    parser.add_argument(
        "--only", default=",".join(BENCHMARKS), help=f"comma-separated: {', '.join(BENCHMARKS)}"
    )
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument(
        "--duration", type=float, default=None, help="seconds of load per server (30; quick 5)"
    )
    parser.add_argument("--think-ms", type=float, default=ack.AckConfig.think_ms)
    args = parser.parse_args(argv)
    only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(only) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmarks: {', '.join(sorted(unknown))}")
    duration = args.duration if args.duration is not None else (5.0 if args.quick else 30.0)
    started, load_before = time.monotonic(), report.load_average()
    figures = run_all(
        quick=args.quick, only=only, clients=args.clients, duration=duration, think_ms=args.think_ms
    )
    command = "python -m bench" + (" --quick" if args.quick else "")
    args.output.write_text(
        report.render(figures, seconds=time.monotonic() - started, command=command, load_before=load_before)
    )
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

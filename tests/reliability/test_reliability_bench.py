"""`python -m bench --quick`: the 5-second smoke run of the benchmarks works and writes its table."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_quick_bench_run_writes_every_figure_with_zero_ack_errors(tmp_path: Path) -> None:
    out = tmp_path / "results.md"

    run = subprocess.run(
        # The smoke run's own load, shortened further: only that every figure is produced matters here.
        [
            sys.executable,
            "-m",
            "bench",
            "--quick",
            "--duration",
            "2",
            "--clients",
            "50",
            "--output",
            str(out),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
    )

    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    table = out.read_text()
    for heading in ("## Ack latency", "## Memory", "## PSA round trips", "## Offline parser"):
        assert heading in table
    errors = re.search(r"\| Ack errors \(app \+ bare, of (\d+) requests\) \| (\d+) \|", table)
    # How many requests fit in the 5 s window depends on the machine: only that the load ran is checked.
    assert errors is not None and int(errors.group(1)) > 0 and errors.group(2) == "0", table[:1500]
    rounds = re.search(r"\| Sequential PSA round trips, warm cache: /tickets mine \| (\d+) ", table)
    assert rounds is not None and rounds.group(1) == "1"

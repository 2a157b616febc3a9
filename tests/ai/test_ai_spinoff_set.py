"""Spin-off detection on the labelled thread messages (tests/ai/data/spinoff-threads*.jsonl).

Targets for the offline detector: recall ≥ 0.9 and a false-positive rate ≤ 0.05, on the set the rules
were written against and on the set written afterwards (held out). The Claude path runs through the
real SDK with scripted answers: it must lose nothing between the model's answer and the suggestion.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bench.spinoff import HOLDOUT, TUNING, load_threads, measure


def test_the_sets_are_big_and_varied_enough() -> None:
    tuning, holdout = load_threads(TUNING), load_threads(HOLDOUT)
    assert len(tuning) >= 150 and len(holdout) >= 40
    assert sum(r["separate"] for r in tuning) >= 50
    assert sum(not r["separate"] for r in tuning) >= 100
    kinds = Counter(r["kind"] for r in tuning if not r["separate"])
    for kind in ("thanks", "follow-up", "question", "same-issue", "cause", "passing", "troubleshooting"):
        assert kinds[kind] >= 1, kind
    messages = [r["message"] for r in tuning + holdout]
    assert len(set(messages)) == len(messages)


@pytest.mark.parametrize("path", [TUNING, HOLDOUT], ids=["tuning", "holdout"])
async def test_the_offline_detector_finds_separate_issues_and_leaves_the_rest(path: Path) -> None:
    figures = (await measure(load_threads(path)))["offline"]
    assert figures["recall"] >= 0.9, figures["misses"]
    assert figures["false_positive_rate"] <= 0.05, figures["false_alarms"]


@pytest.mark.parametrize("path", [TUNING, HOLDOUT], ids=["tuning", "holdout"])
async def test_the_claude_path_keeps_every_answer_it_gets(path: Path) -> None:
    rows = load_threads(path)
    figures = (await measure(rows))["claude"]
    assert figures["requests"] == len(rows) and figures["unmatched_requests"] == 0
    assert (figures["precision"], figures["recall"]) == (1.0, 1.0), (
        figures["misses"],
        figures["false_alarms"],
    )

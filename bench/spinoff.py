"""Spin-off detection quality on labelled thread messages: the offline detector and the Claude path.

The sets (`tests/ai/data/spinoff-threads*.jsonl`) hold one thread message each, with its context (the
linked ticket's summary and the earlier messages) and whether it raises a second, separate issue.
`spinoff-threads.jsonl` was used while writing the rules; `spinoff-threads-holdout.jsonl` was written
afterwards and never tuned on.

The Claude path runs `ClaudeSpinoffDetector` through the real anthropic SDK against a local Messages API
that answers from the labels, in the shapes models really write (a bare `[ACTIONS]` block, a fenced
one, prose around it, smart quotes, a trailing comma; silence or a sentence when there is nothing).
Its figures measure our prompt and parsing plumbing, not the model's judgement.

`python -m bench.spinoff` prints the tables.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import re
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from ai.models import SpinoffSuggestion, ThreadContext
from ai.spinoff import ClaudeSpinoffDetector, HeuristicSpinoffDetector

DATA = Path(__file__).resolve().parents[1] / "tests" / "ai" / "data"
TUNING = DATA / "spinoff-threads.jsonl"
HOLDOUT = DATA / "spinoff-threads-holdout.jsonl"
MODEL = "claude-haiku-4-5"
Detect = Callable[[ThreadContext], Awaitable[SpinoffSuggestion | None]]


def load_threads(path: Path) -> list[dict[str, Any]]:
    """The labelled messages of one set."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def context_of(row: dict[str, Any]) -> ThreadContext:
    """The detector's input for one labelled message."""
    return ThreadContext(
        ticket_summary=row["ticket_summary"],
        ticket_description=row.get("ticket_description"),
        thread=row["thread"],
        message=row["message"],
    )


async def evaluate(detect: Detect, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Precision, recall and false-positive rate; a hit must also name what the issue is about."""
    tp = fp = fn = tn = 0
    misses: list[str] = []
    false_alarms: list[str] = []
    for row in rows:
        suggestion = await detect(context_of(row))
        if row["separate"]:
            described = suggestion is not None and all(
                word in suggestion.description.casefold() for word in row.get("about", [])
            )
            tp, fn = (tp + 1, fn) if described else (tp, fn + 1)
            if not described:
                misses.append(row["message"])
        elif suggestion is not None:
            fp += 1
            false_alarms.append(row["message"])
        else:
            tn += 1
    return {
        "messages": len(rows),
        "separate": tp + fn,
        "precision": round(tp / (tp + fp), 3) if tp + fp else 1.0,
        "recall": round(tp / (tp + fn), 3) if tp + fn else 1.0,
        "false_positive_rate": round(fp / (fp + tn), 3) if fp + tn else 0.0,
        "counts": {"tp": tp, "fp": fp, "fn": fn, "tn": tn},
        "misses": misses,
        "false_alarms": false_alarms,
    }


_ANSWER_SHAPES = (
    "[ACTIONS]\n{payload}\n[/ACTIONS]",
    "Yes, that is a separate issue.\n[ACTIONS]\n```json\n{payload}\n```\n[/ACTIONS]",
    "[ACTIONS]\n{payload_trailing_comma}\n[/ACTIONS]\nLet me know if you need anything else.",
    "[ACTIONS]{payload_smart}[/ACTIONS]",
)
_NOTHING_SHAPES = ("", "No separate issue here.", "That message is about the same ticket.")


class ScriptedMessagesAPI:
    """A local Messages API answering from the labels; it finds the case by the `<new_message>` it got."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.by_message = {row["message"].strip(): row for row in rows}
        self.requests = 0
        self.unmatched = 0

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        """The assistant message for one request."""
        self.requests += 1
        prompt = body["messages"][0]["content"]
        found = re.search(r"<new_message>\n(.*)\n</new_message>", prompt, re.DOTALL)
        row = self.by_message.get(found.group(1).strip()) if found else None
        if row is None:
            self.unmatched += 1
        index = self.requests
        if row is not None and row["separate"]:
            description = f"{' '.join(row.get('about', []))}: {row['message']}"
            item = {"label": f"Create ticket: {description[:50]}", "command": "create_spin_off_ticket"}
            item["description"] = description
            payload = json.dumps([item])
            text = _ANSWER_SHAPES[index % len(_ANSWER_SHAPES)].format(
                payload=payload,
                payload_trailing_comma=payload[:-1] + ",]",
                payload_smart=payload.replace('"label"', "“label”"),
            )
        else:
            text = _NOTHING_SHAPES[index % len(_NOTHING_SHAPES)]
        content = [{"type": "text", "text": text}] if text else []
        return {
            "id": f"msg_{index:04d}",
            "type": "message",
            "role": "assistant",
            "model": MODEL,
            "content": content,
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 500, "output_tokens": 60},
        }


def claude_detector(api: ScriptedMessagesAPI) -> tuple[ClaudeSpinoffDetector, Any]:
    """`ClaudeSpinoffDetector` on the real SDK whose HTTP goes to `api` (and the client, to close)."""
    import anthropic

    # anthropic >= 1.0 talks through `httpx2`; older releases used `httpx`.
    hx: Any = importlib.import_module("httpx2" if importlib.util.find_spec("httpx2") else "httpx")

    def handle(request: Any) -> Any:
        return hx.Response(200, json=api.answer(json.loads(request.content)))

    http = hx.AsyncClient(transport=hx.MockTransport(handle))
    client = anthropic.AsyncAnthropic(api_key="local", http_client=http, max_retries=0)
    return ClaudeSpinoffDetector(client, MODEL), client


async def measure(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Both detectors on one set."""
    offline = await evaluate(HeuristicSpinoffDetector().detect, rows)
    api = ScriptedMessagesAPI(rows)
    detector, client = claude_detector(api)
    try:
        claude = await evaluate(detector.detect, rows)
    finally:
        await client.close()
    claude["requests"], claude["unmatched_requests"] = api.requests, api.unmatched
    return {"offline": offline, "claude": claude}


def run() -> dict[str, Any]:
    """Figures for the tuning set and the held-out set."""
    return {
        "tuning": asyncio.run(measure(load_threads(TUNING))),
        "holdout": asyncio.run(measure(load_threads(HOLDOUT))),
    }


def to_markdown(figures: dict[str, Any]) -> str:
    """The figures as one Markdown table, then the offline detector's mistakes."""
    lines = [
        "## Spin-off detection",
        "",
        "| Set | Detector | Messages (separate) | Precision | Recall | False-positive rate |",
        "|---|---|---|---|---|---|",
    ]
    for name, label in (("tuning", "tuning set"), ("holdout", "held out")):
        for detector in ("offline", "claude"):
            f = figures[name][detector]
            lines.append(
                f"| {label} | {detector} | {f['messages']} ({f['separate']}) | {f['precision']:.1%} "
                f"| {f['recall']:.1%} | {f['false_positive_rate']:.1%} |"
            )
    lines.append("\nThe Claude rows use scripted answers: they measure the prompt and parsing plumbing only.")
    for name in ("tuning", "holdout"):
        offline = figures[name]["offline"]
        lines += [f"\n- {name}, missed: {m}" for m in offline["misses"]]
        lines += [f"\n- {name}, false alarm: {m}" for m in offline["false_alarms"]]
    return "\n".join(lines)


def main() -> dict[str, Any]:
    """Run and print."""
    figures = run()
    sys.stdout.write(to_markdown(figures) + "\n")
    return figures


if __name__ == "__main__":
    main()

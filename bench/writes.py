"""Writes from the detail modal: when the user sees the result of a status change, a note, a new
assignee and a removed one, with the sandbox answering every request after 100 ms
(`python -m bench.writes [--repeats N]`).

The real app under uvicorn (bench.rounds.running_app), signed requests over HTTP, FakeSlack. The clock
runs from sending the click until FakeSlack records the first views.update that shows the outcome;
"settled" is when the background re-read has replaced it too. PSA requests made before the outcome was
shown are counted, and their sequential rounds derived by causality from the sandbox's request log.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.rounds import PLAIN_TICKET, Driver, running_app
from bench.stack import Backends, bench_users, prepare_database
from bot.ids import DetailAction, assignee_block_id, note_block_id
from bot.local import payloads as p
from bot.local.block_state import view_state
from bot.local.fake_slack.models import RecordedCall
from psa.connectwise.sandbox import rounds

LATENCY_MS = 100
REPEATS = 5
MEMBER_TO_ASSIGN = ("Michael Chen", "2")


@dataclass
class Run:
    """One write, measured."""

    action: str
    shown_ms: float  # click → the outcome on screen
    settled_ms: float  # click → the background re-read on screen
    requests: int  # PSA requests before the outcome was shown
    sequential: int  # their sequential rounds
    paths: list[str]


async def _measure(driver: Driver, action: str, click: Callable[[], Awaitable[Any]], expect: str) -> Run:
    await driver.deps.work.drain(30)
    driver.sandbox.clear_requests()
    seq = driver.fake.last_seq
    started = time.time()
    await click()
    await driver.deps.work.drain(30)
    updates = [c for c in driver.fake.calls_after(seq) if c.method == "views.update" and _shows(c, expect)]
    if not updates:
        raise RuntimeError(f"{action}: the modal never showed {expect!r}")
    first, last = updates[0], updates[-1]
    before = [r for r in driver.sandbox.requests if r.timestamp <= first.at]
    return Run(
        action,
        (first.at - started) * 1000,
        (last.at - started) * 1000,
        len(before),
        rounds(before),
        sorted(f"{r.method} {r.path}" for r in before),
    )


def _shows(call: RecordedCall, expect: str) -> bool:
    return call.status == 200 and expect in json.dumps(call.args, ensure_ascii=False)


def _status_choices(view: dict[str, Any]) -> list[tuple[str, str]]:
    for block in view.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("action_id") == DetailAction.STATUS:
                current = (element.get("initial_option") or {}).get("value")
                return [(o["value"], o["text"]["text"]) for o in element["options"] if o["value"] != current]
    raise RuntimeError("the detail modal offers no status change")


async def _runs(driver: Driver, repeats: int) -> list[Run]:
    found: list[Run] = []
    await driver.command(str(PLAIN_TICKET))
    modal = driver.fake.last_view(driver.user)
    assert modal is not None
    view_id = modal["id"]

    def view() -> dict[str, Any]:
        current = driver.fake.view(view_id)
        assert current is not None
        return current

    for i in range(repeats):
        status_id, _ = _status_choices(view())[0]
        found.append(
            await _measure(
                driver,
                "status change",
                lambda s=status_id: driver.click_view(DetailAction.STATUS, view(), s),
                "Status: ",
            )
        )
        text = f"Bench note {i}: checked the backups"
        rev = json.loads(view()["private_metadata"]).get("n", 0)
        driver.fake.set_view_state(
            view_id, view_state(view(), {note_block_id(rev): {DetailAction.NOTE_TEXT: text}})
        )
        found.append(
            await _measure(
                driver, "note", lambda: driver.click_view(DetailAction.ADD_NOTE, view()), "note added"
            )
        )
        found.append(
            await _measure(
                driver,
                "assignee added",
                lambda: driver.click_view(DetailAction.ADD_ASSIGNEE, view(), MEMBER_TO_ASSIGN),
                "Assigned ",
            )
        )
        current = view()
        block = next(b for b in current["blocks"] if b.get("block_id") == assignee_block_id(2))
        found.append(
            await _measure(
                driver,
                "assignee removed",
                lambda b=block["block_id"]: driver.send(_remove(driver, view(), b)),
                "Removed ",
            )
        )
    return found


def _remove(driver: Driver, view: dict[str, Any], block_id: str) -> tuple[str, str]:
    return p.block_actions(
        DetailAction.REMOVE_ASSIGNEE,
        user=driver.user,
        view=view,
        block_id=block_id,
        trigger_id=driver.fake.new_trigger_id(driver.user, view_id=view["id"]),
    )


def run(latency_ms: int = LATENCY_MS, repeats: int = REPEATS) -> dict[str, Any]:
    """Measure each write `repeats` times at `latency_ms`; medians per action."""
    users = bench_users(1)
    with tempfile.TemporaryDirectory(prefix="bench-writes-") as tmp, Backends(users) as backends:
        database_url = f"sqlite+aiosqlite:///{Path(tmp) / 'tickets.db'}"
        prepare_database(database_url, backends.sandbox, users)

        async def measure_all() -> list[Run]:
            async with running_app(backends, database_url, users[0].slack_id) as driver:
                backends.sandbox.set_latency(latency_ms)
                return await _runs(driver, repeats)

        runs = asyncio.run(measure_all())
    rows = []
    for action in dict.fromkeys(r.action for r in runs):
        mine = [r for r in runs if r.action == action]
        rows.append(
            {
                "action": action,
                "runs": len(mine),
                "shown_ms": round(statistics.median(r.shown_ms for r in mine)),
                "settled_ms": round(statistics.median(r.settled_ms for r in mine)),
                "requests": max(r.requests for r in mine),
                "sequential": max(r.sequential for r in mine),
                "paths": mine[-1].paths,
            }
        )
    return {"latency_ms": latency_ms, "writes": rows}


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=REPEATS)
    args = parser.parse_args()
    figures = run(repeats=args.repeats)
    print(f"sandbox latency {figures['latency_ms']} ms; medians of {args.repeats} runs")
    for row in figures["writes"]:
        print(
            f"{row['action']:<16} shown after {row['shown_ms']:>5} ms ({row['sequential']} round(s), "
            f"{row['requests']} request(s): {', '.join(row['paths'])}); "
            f"re-read shown after {row['settled_ms']} ms"
        )


if __name__ == "__main__":
    main()

"""Periodic functions (recovery of unfinished work, housekeeping), run once per tick across all workers."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta

PeriodicFn = Callable[[], Awaitable[object]]
_TICK: ContextVar[int | None] = ContextVar("periodic_tick", default=None)


def current_tick() -> int | None:
    """The tick (Unix time it was due) a periodic function is running for; None for a run at start."""
    return _TICK.get()


def set_tick(tick: int | None) -> None:
    """Set by the job engine before it runs a periodic function."""
    _TICK.set(tick)


_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")


@dataclass(frozen=True)
class Periodic:
    """A function to run every `every`, and once when workers start when `at_start`."""

    name: str
    fn: PeriodicFn
    every: timedelta
    at_start: bool

    @property
    def cron(self) -> str:
        """procrastinate's cron (a 6th column is seconds): ticks at the same instants in every process."""
        return cron_for(self.every)


def cron_for(every: timedelta) -> str:
    """A cron line for `every`: whole seconds dividing a minute, minutes dividing an hour, or hours."""
    seconds = int(every.total_seconds())
    if seconds != every.total_seconds() or seconds <= 0:
        raise ValueError(f"period must be a whole number of seconds, got {every}")
    if seconds < 60 and 60 % seconds == 0:
        return f"* * * * * */{seconds}"
    if seconds % 60 == 0 and seconds < 3600 and 60 % (seconds // 60) == 0:
        return f"*/{seconds // 60} * * * *"
    if seconds % 3600 == 0 and 24 % (seconds // 3600) == 0:
        return f"0 */{seconds // 3600} * * *"
    raise ValueError(f"period {every} does not divide a minute, an hour or a day evenly")


class PeriodicRegistry:
    """What the worker schedules; filled at wiring time, before a worker starts."""

    def __init__(self) -> None:
        self._items: dict[str, Periodic] = {}

    def register_periodic(
        self, name: str, fn: PeriodicFn, *, every: timedelta | float, at_start: bool = True
    ) -> None:
        """Run `fn` every `every` (once across all processes), and once when workers start.

        `fn` must be safe to run twice (a tick whose worker died is run again) and quick; long work
        defers jobs of its own. Raises ValueError for a duplicate name or an uneven period.
        """
        if not _NAME.match(name):
            raise ValueError(f"periodic name {name!r}: lowercase letters, digits, '.', '_' or '-'")
        if name in self._items:
            raise ValueError(f"periodic function {name!r} is already registered")
        period = every if isinstance(every, timedelta) else timedelta(seconds=every)
        cron_for(period)  # validate now, not when a worker starts
        self._items[name] = Periodic(name=name, fn=fn, every=period, at_start=at_start)

    def items(self) -> list[Periodic]:
        """Registered functions, in registration order."""
        return list(self._items.values())

    def get(self, name: str) -> Periodic | None:
        """The function registered under `name`."""
        return self._items.get(name)

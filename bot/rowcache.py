"""Rows the app recently showed, so a click on one opens the detail with what the row already knew."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable

from psa.models import PSATicketSearchResult


class RowCache:
    """A small per-process LRU of ticket rows keyed by (team, ticket id), each kept for `ttl` seconds.

    Only an optimisation: a miss means the detail opens with a placeholder and hydrates a little later.
    """

    def __init__(
        self, *, max_rows: int = 5000, ttl: float = 900.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rows: OrderedDict[tuple[str, int], tuple[float, PSATicketSearchResult]] = OrderedDict()
        self._max = max_rows
        self._ttl = ttl
        self._clock = clock

    def remember(self, team_id: str, rows: Iterable[PSATicketSearchResult]) -> None:
        """Keep these rows of a workspace."""
        expires = self._clock() + self._ttl
        for row in rows:
            key = (team_id, row.id)
            self._rows[key] = (expires, row)
            self._rows.move_to_end(key)
        while len(self._rows) > self._max:
            self._rows.popitem(last=False)

    def get(self, team_id: str, ticket_id: int) -> PSATicketSearchResult | None:
        """A copy of the row, if still fresh."""
        hit = self._rows.get((team_id, ticket_id))
        if hit is None or hit[0] <= self._clock():
            return None
        return hit[1].model_copy(deep=True)

    def forget(self, team_id: str, ticket_id: int) -> None:
        """Drop a row that changed."""
        self._rows.pop((team_id, ticket_id), None)

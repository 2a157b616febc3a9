"""In-memory reference data from the sandbox seed, for the ai/ tests (imported by conftest and tests)."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from psa.models import Board, BoardStatus, Company, Member, Priority

SEED = Path(__file__).resolve().parents[2] / "psa" / "connectwise" / "sandbox" / "seed.json"
CASES = Path(__file__).resolve().parent / "data" / "ai-parse-cases.jsonl"


@dataclass(frozen=True)
class Call:
    """One call to the reference, stamped like a sandbox request (for `psa.connectwise.sandbox.rounds`)."""

    name: str
    received_seq: int
    answered_seq: int


class SeedReference:
    """The sandbox seed mapped into `psa.models`, served from memory; counts and stamps every call.

    With a `delay`, each call takes that long (a slow PSA), so calls made together overlap.
    """

    def __init__(self, seed: dict[str, Any], *, delay: float = 0.0) -> None:
        self.delay = delay
        self.calls: Counter[str] = Counter()
        self.stamped: list[Call] = []
        self._seq = itertools.count(1)
        self._companies = [
            Company(id=c["id"], identifier=c.get("identifier", ""), name=c.get("name", ""))
            for c in seed["companies"]
            if not c.get("deletedFlag")
        ]
        self._boards = [
            Board(id=b["id"], name=b["name"], inactive=b.get("inactiveFlag", False)) for b in seed["boards"]
        ]
        self._statuses = [
            BoardStatus(
                id=s["id"],
                name=s["name"],
                board_id=s["board"]["id"],
                sort_order=s.get("sortOrder", 0),
                closed=s.get("closedStatus", False),
                default=s.get("defaultFlag", False),
                inactive=s.get("inactive", False),
            )
            for s in seed["board_statuses"]
        ]
        self._priorities = [
            Priority(
                id=p["id"], name=p["name"], sort=p.get("sortOrder", 0), default=p.get("defaultFlag", False)
            )
            for p in seed["priorities"]
        ]
        self._members = [
            Member(
                id=m["id"],
                identifier=m["identifier"],
                name=f"{m.get('firstName', '')} {m.get('lastName', '')}".strip(),
                email=m.get("primaryEmail"),
                inactive=m.get("inactiveFlag", False),
            )
            for m in seed["members"]
        ]

    async def _hit(self, name: str) -> None:
        self.calls[name] += 1
        received = next(self._seq)
        if self.delay:
            await asyncio.sleep(self.delay)
        self.stamped.append(Call(name, received, next(self._seq)))

    async def companies(self) -> list[Company]:
        await self._hit("companies")
        return list(self._companies)

    async def search_companies(self, query: str) -> list[Company]:
        await self._hit("search_companies")
        folded = query.casefold()
        return [
            c for c in self._companies if folded in c.name.casefold() or folded in c.identifier.casefold()
        ]

    async def boards(self) -> list[Board]:
        await self._hit("boards")
        return [b for b in self._boards if not b.inactive]

    async def statuses(self, board_id: int) -> list[BoardStatus]:
        await self._hit("statuses")
        return [s for s in self._statuses if s.board_id == board_id]

    async def priorities(self) -> list[Priority]:
        await self._hit("priorities")
        return list(self._priorities)

    async def members(self) -> list[Member]:
        await self._hit("members")
        return [m for m in self._members if not m.inactive]

    def member_id(self, identifier: str) -> int:
        """The seed member id for an identifier (inactive ones included)."""
        return next(m.id for m in self._members if m.identifier == identifier)

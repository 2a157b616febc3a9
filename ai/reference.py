"""The reference data the resolver reads (implemented by `psa.service.TicketService`, which caches it)."""

from __future__ import annotations

from typing import Protocol

from psa.models import Board, BoardStatus, Company, Member, Priority


class ReferenceSource(Protocol):
    """Read-only PSA reference lists; every id the parser outputs comes from here."""

    async def companies(self) -> list[Company]: ...

    async def search_companies(self, query: str) -> list[Company]: ...

    async def boards(self) -> list[Board]: ...

    async def statuses(self, board_id: int) -> list[BoardStatus]: ...

    async def priorities(self) -> list[Priority]: ...

    async def members(self) -> list[Member]:
        """Active members only."""
        ...

"""Write endpoints: tickets, notes, ticket configurations, schedule entries."""

from __future__ import annotations

from aiohttp import web


def register(app: web.Application, root: str) -> None:
    """Add the write routes under the API root."""

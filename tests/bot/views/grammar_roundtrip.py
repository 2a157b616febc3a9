"""Read one `key:value` filter back with the real grammar (what the user would type)."""

from __future__ import annotations

from bot.grammar import MemberName, Search, parse


def parse_filter(typed: str) -> tuple[str, str]:
    """(key, value) of the single filter in `typed`, as `/tickets search` reads it."""
    result = parse(f"search {typed}")
    assert isinstance(result, Search), result
    for key in ("board", "status", "priority", "company"):
        value = getattr(result, f"{key}_name")
        if value is not None:
            return key, value
    assert isinstance(result.assigned, MemberName), result
    return "assigned", result.assigned.text

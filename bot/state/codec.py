"""Compact JSON for state that rides in Slack slots, and the limits of those slots."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

BUTTON_VALUE_MAX = 2000
METADATA_MAX = 3000
BLOCK_ID_MAX = 255
NAME_MAX = 80
WARNING_MAX = 200
WARNINGS_KEPT = 5
PAGE_SIZE = 25


M = TypeVar("M", bound=BaseModel)


class StateError(ValueError):
    """A value, block id or private_metadata that is not state this app wrote."""


def encode(model: BaseModel, limit: int) -> str:
    """The one codec of state riding in Slack slots: compact JSON by the model's aliases, defaults left
    out. Raises StateError when it does not fit `limit`: state is never cut to fit (keep large or
    growing state on the server, `bot.flows.stored`)."""
    text = model.model_dump_json(by_alias=True, exclude_defaults=True)
    if len(text) > limit:
        raise StateError(f"{type(model).__name__} needs {len(text)} characters, the slot holds {limit}")
    return text


def decode(cls: type[M], raw: str | None) -> M:
    """Parse `encode` output into `cls`; raises StateError for anything this app did not write."""
    if not raw:
        raise StateError("no state")
    try:
        return cls.model_validate_json(raw)
    except ValidationError as exc:
        raise StateError(f"not a {cls.__name__}") from exc


def dump(data: dict[str, Any], *, ascii_only: bool = False) -> str:
    """Compact JSON (no spaces; non-ASCII kept unless `ascii_only`)."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=ascii_only)


def load(raw: str | None) -> dict[str, Any]:
    """Parse a JSON object written by `dump`; raises StateError otherwise."""
    if not raw:
        raise StateError("no state")
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, TypeError) as exc:
        raise StateError("state is not JSON") from exc
    if not isinstance(data, dict):
        raise StateError("state is not an object")
    return data


def fit_text(build: Any, text: str, limit: int) -> tuple[str, str]:
    """Longest prefix of `text` for which `build(prefix)` is ≤ limit chars; returns (encoded, prefix)."""
    encoded = build(text)
    if len(encoded) <= limit:
        return encoded, text
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if len(build(text[:mid])) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return build(text[:lo]), text[:lo]


def state_values(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`view.state.values` (block id → action id → entry), or {} when Slack sent none."""
    state = view.get("state") or {}
    values = state.get("values") if isinstance(state, dict) else None
    return values if isinstance(values, dict) else {}

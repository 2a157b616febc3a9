"""The one codec of small typed state riding in Slack slots (button values, block ids, metadata)."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from bot.slack_limits import BUTTON_VALUE_MAX, METADATA_MAX
from bot.slack_limits import ID_MAX as BLOCK_ID_MAX

PAGE_SIZE = 25
__all__ = ["BLOCK_ID_MAX", "BUTTON_VALUE_MAX", "METADATA_MAX", "PAGE_SIZE", "StateError", "decode", "encode"]


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


def state_values(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`view.state.values` (block id → action id → entry), or {} when Slack sent none."""
    state = view.get("state") or {}
    values = state.get("values") if isinstance(state, dict) else None
    return values if isinstance(values, dict) else {}

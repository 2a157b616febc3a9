"""The spec's `[ACTIONS]` marker: a JSON array of `{label, command, description}` in model output.

Parsing is tolerant of what models actually emit (code fences, trailing commas, a single object,
prose around the block, a missing closing marker) and never raises: garbage yields no actions.
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any

from pydantic import BaseModel

SPIN_OFF_COMMAND = "create_spin_off_ticket"
KNOWN_COMMANDS = frozenset({SPIN_OFF_COMMAND})
LABEL_MAX = 75  # Slack button text limit
DESCRIPTION_MAX = 500
LABEL_PREFIX = "Create ticket: "
_MAX_INPUT = 20_000
_MAX_ACTIONS = 5

_OPEN_RE = re.compile(r"\[\s*ACTIONS\s*\]", re.IGNORECASE)
_CLOSE_RE = re.compile(r"\[\s*/\s*ACTIONS\s*\]", re.IGNORECASE)
# Code fences around the JSON (```json … ```), not backticks inside its strings.
_FENCE_RE = re.compile(r"^\s*```[a-zA-Z0-9_-]*|```\s*$")
_TRAILING_COMMA_RE = re.compile(r",\s*([\]}])")
_SMART_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'"})


class Action(BaseModel):
    """One suggested action: a button label, the command it runs, and its description."""

    label: str
    command: str
    description: str


def parse_actions_marker(text: object) -> list[Action]:
    """Known-command actions found in `[ACTIONS] … [/ACTIONS]` blocks of `text`; [] when none."""
    if not isinstance(text, str) or not text:
        return []
    text = text[:_MAX_INPUT]
    actions: list[Action] = []
    for body in _blocks(text):
        for item in _items(_decode(body)):
            action = _to_action(item)
            if action is not None and len(actions) < _MAX_ACTIONS:
                actions.append(action)
    return actions


def format_actions_marker(actions: list[Action]) -> str:
    """The marker block for `actions`, exactly as the spec writes it."""
    payload = [action.model_dump() for action in actions]
    return f"[ACTIONS]\n{json.dumps(payload, indent=2, ensure_ascii=False)}\n[/ACTIONS]"


def spin_off_action(description: str) -> Action | None:
    """A well-formed spin-off action for `description` (label and lengths normalised)."""
    return _to_action({"command": SPIN_OFF_COMMAND, "description": description})


def _blocks(text: str) -> list[str]:
    bodies: list[str] = []
    position = 0
    while opening := _OPEN_RE.search(text, position):
        closing = _CLOSE_RE.search(text, opening.end())
        end = closing.start() if closing else len(text)
        bodies.append(text[opening.end() : end])
        position = closing.end() if closing else len(text)
    return bodies


def _decode(body: str) -> Any:
    body = _FENCE_RE.sub(" ", body).translate(_SMART_QUOTES)
    starts = [index for index in (body.find("["), body.find("{")) if index >= 0]
    if not starts:
        return None
    candidate = body[min(starts) :]
    decoder = json.JSONDecoder()
    for attempt in (candidate, _TRAILING_COMMA_RE.sub(r"\1", candidate)):
        try:
            return decoder.raw_decode(attempt)[0]
        except (ValueError, RecursionError):
            pass
    return _decode_loosely(_TRAILING_COMMA_RE.sub(r"\1", candidate))


def _decode_loosely(candidate: str) -> Any:
    # Models sometimes write Python-style literals (single quotes, True/None) or cut the array short.
    closer = "]" if candidate.startswith("[") else "}"
    end = candidate.rfind(closer)
    attempts = [candidate[: end + 1]] if end > 0 else []
    if candidate.startswith("[") and (brace := candidate.rfind("}")) > 0:
        attempts.append(candidate[: brace + 1] + "]")
    for attempt in attempts:
        try:
            return json.loads(attempt)
        except (ValueError, RecursionError):
            pass
        try:
            return ast.literal_eval(attempt)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            pass
    return None


def _items(decoded: Any) -> list[Any]:
    if isinstance(decoded, dict):
        inner = decoded.get("actions")
        return inner if isinstance(inner, list) else [decoded]
    return decoded if isinstance(decoded, list) else []


def _text(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _trim(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def _to_action(item: Any) -> Action | None:
    if not isinstance(item, dict):
        return None
    command = _text(item.get("command")).lower()
    if command not in KNOWN_COMMANDS:
        return None
    label, description = _text(item.get("label")), _text(item.get("description"))
    if not description and label.lower().startswith(LABEL_PREFIX.lower()):
        description = label[len(LABEL_PREFIX) :].strip()
    description = description or label
    if not description:
        return None
    description = _trim(description, DESCRIPTION_MAX)
    label = _trim(label or f"{LABEL_PREFIX}{description}", LABEL_MAX)
    return Action(label=label, command=command, description=description)

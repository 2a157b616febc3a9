"""Switches that make the sandbox behave like a stricter or older ConnectWise site (for probes and tests).

- `forget`: field paths per resource that the sandbox answers as unknown (`… is not a recognized
  name.`), as a site whose API does not support that query form would.
- `refuse_owner_remove`: a `remove` of a ticket's `owner` is refused with ConnectWise's InvalidObject
  answer. No public source shows whether ConnectWise accepts that patch (the owner is optional on a
  ticket, so the sandbox accepts it by default); the switch lets tests prove the app survives either.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Quirks:
    """The current switches; cleared by a sandbox reset."""

    forgotten: dict[str, set[str]] = field(default_factory=dict)
    refuse_owner_remove: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def forget(self, resource: str, *paths: str) -> None:
        """Answer conditions and orderBy on these paths of `resource` as unknown fields."""
        with self._lock:
            self.forgotten.setdefault(resource, set()).update(p.lower() for p in paths)

    def forgotten_for(self, resource: str) -> frozenset[str]:
        """The forgotten paths of a resource (lower case)."""
        with self._lock:
            return frozenset(self.forgotten.get(resource, ()))

    def clear(self) -> None:
        """Back to a site that knows every field and accepts every documented patch."""
        with self._lock:
            self.forgotten.clear()
            self.refuse_owner_remove = False

    def to_json(self) -> dict[str, Any]:
        """JSON view for the control API."""
        with self._lock:
            return {
                "forget": {k: sorted(v) for k, v in sorted(self.forgotten.items())},
                "refuse_owner_remove": self.refuse_owner_remove,
            }

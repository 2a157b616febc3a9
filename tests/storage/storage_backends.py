"""Where a storage test's tables live (shared by conftest.py and the tests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import Fernet

from storage import Storage


@dataclass
class Backend:
    """Where a test's tables live; `storage()` builds another Storage on the very same tables."""

    name: str
    url: str
    engine_kwargs: dict[str, Any] = field(default_factory=dict)

    def storage(self, fernet: Fernet) -> Storage:
        return Storage(self.url, fernet, **self.engine_kwargs)

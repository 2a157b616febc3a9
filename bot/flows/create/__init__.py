"""Ticket creation: the New Ticket modal (Quick Create and Full Form over one draft), created exactly once.

- `open_create_modal` — every entry point (`/tickets new`, buttons, shortcuts, AI suggestions).
- `edit` — tab switches, board changes and parsing in the open modal.
- `submit` — validation, the idempotency claim and the creation itself; `announce` — what follows it.
"""

from bot.flows.create.open import open_create_modal

__all__ = ["open_create_modal"]

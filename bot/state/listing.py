"""List state: filters + page of a list message (kept on the server, `bot.flows.stored`), what the
message's buttons carry (`ListRef`), and the search modal's metadata."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot.state.codec import BUTTON_VALUE_MAX, METADATA_MAX, PAGE_SIZE, decode, encode
from psa.models import TicketFilters


class ListState(BaseModel):
    """Filters + page of a list message. Names ride along so a re-render needs no lookup."""

    model_config = ConfigDict(populate_by_name=True)

    filters: TicketFilters = Field(default_factory=TicketFilters, alias="f")
    page: int = Field(default=1, ge=1, alias="p")
    page_size: int = Field(default=PAGE_SIZE, ge=1, le=100, alias="ps")
    company_name: str | None = Field(default=None, alias="cn")
    assigned_name: str | None = Field(default=None, alias="an")  # when filters.assigned is a member id

    @classmethod
    def mine(cls) -> ListState:
        """The default `/tickets` list: open tickets assigned to me."""
        return cls(filters=TicketFilters(assigned="me"))

    @property
    def is_mine(self) -> bool:
        """True when this is exactly the default "my open tickets" list."""
        return self.filters == TicketFilters(assigned="me")

    def with_filter(self, **changes: Any) -> ListState:
        """Change filters (TicketFilters fields, plus company_name/assigned_name) and go to page 1."""
        filter_changes = {k: v for k, v in changes.items() if k in TicketFilters.model_fields}
        unknown = set(changes) - set(filter_changes) - {"company_name", "assigned_name"}
        if unknown:
            raise TypeError(f"unknown filter(s): {', '.join(sorted(unknown))}")
        filters = TicketFilters.model_validate({**self.filters.model_dump(), **filter_changes})
        company_name = self.company_name if filters.company_id == self.filters.company_id else None
        assigned_name = self.assigned_name if filters.assigned == self.filters.assigned else None
        if not isinstance(filters.assigned, int):
            assigned_name = None
        return self.model_copy(
            update={
                "filters": filters,
                "page": 1,
                "company_name": changes.get("company_name", company_name),
                "assigned_name": changes.get("assigned_name", assigned_name),
            }
        )

    def with_page(self, page: int) -> ListState:
        """The same filters on another page (never below 1)."""
        return self.model_copy(update={"page": max(1, page)})

    def encode(self, limit: int = BUTTON_VALUE_MAX) -> str:
        """Compact JSON for a button value (a search candidate); StateError when it does not fit."""
        return encode(self, limit)

    @classmethod
    def decode(cls, raw: str | None) -> ListState:
        """Parse `encode` output; raises StateError for anything else."""
        return decode(cls, raw)


class ListRef(BaseModel):
    """What a list message's button carries: the message's stored state and the change it asks for."""

    model_config = ConfigDict(populate_by_name=True)

    list_id: str = Field(alias="l")
    page: int | None = Field(default=None, alias="p")  # Prev / Next
    closed: bool | None = Field(default=None, alias="x")  # the Closed toggle

    def encode(self) -> str:
        """Compact JSON for a button value."""
        return encode(self, BUTTON_VALUE_MAX)

    @classmethod
    def decode(cls, raw: str | None) -> ListRef:
        """Parse `encode` output; raises StateError for anything else."""
        return decode(cls, raw)


class SearchModalState(BaseModel):
    """private_metadata of the list's search modal: the list it came from and where to answer."""

    model_config = ConfigDict(populate_by_name=True)

    list_id: str = Field(alias="l")
    response_url: str | None = Field(default=None, alias="r")

    def encode(self) -> str:
        """Compact JSON ≤ 3000 chars."""
        return encode(self, METADATA_MAX)

    @classmethod
    def decode(cls, raw: str | None) -> SearchModalState:
        """Parse `encode` output; raises StateError otherwise."""
        return decode(cls, raw)

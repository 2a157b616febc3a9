"""List state: filters + page of a list message, and the search modal's metadata."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, ValidationError

from bot.state.codec import (
    BUTTON_VALUE_MAX,
    METADATA_MAX,
    NAME_MAX,
    PAGE_SIZE,
    StateError,
    dump,
    fit_text,
    load,
)
from psa.models import TicketFilters


class ListState(BaseModel):
    """Filters + page of a list message. Names ride along so a re-render needs no lookup."""

    filters: TicketFilters = Field(default_factory=TicketFilters)
    page: int = Field(default=1, ge=1)
    page_size: int = Field(default=PAGE_SIZE, ge=1, le=100)
    company_name: str | None = None
    assigned_name: str | None = None  # when filters.assigned is a member id

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

    def _compact(self, search: str) -> dict[str, Any]:
        f = self.filters
        data: dict[str, Any] = {}
        if search:
            data["q"] = search
        for key, value in (("b", f.board_id), ("s", f.status_id), ("p", f.priority_id), ("c", f.company_id)):
            if value is not None:
                data[key] = value
        if f.status_name:
            data["sn"] = f.status_name[:NAME_MAX]
        if f.assigned != "all":
            data["a"] = f.assigned
        if f.include_closed:
            data["x"] = 1
        if self.page != 1:
            data["pg"] = self.page
        if self.page_size != PAGE_SIZE:
            data["ps"] = self.page_size
        if self.company_name and f.company_id is not None:
            data["cn"] = self.company_name[:NAME_MAX]
        if self.assigned_name and isinstance(f.assigned, int):
            data["an"] = self.assigned_name[:NAME_MAX]
        return data

    def encode(self, limit: int = BUTTON_VALUE_MAX, *, ascii_only: bool = False) -> str:
        """Compact JSON ≤ `limit` chars; the search text is shortened (then names dropped) to fit."""
        return self.fit_into(lambda data: dump(data, ascii_only=ascii_only), limit)

    def fit_into(self, build: Any, limit: int) -> str:
        """`build(compact_dict)` → str, with the search text shortened until the result fits `limit`."""
        encoded, _ = fit_text(lambda q: build(self._compact(q)), self.filters.search, limit)
        if len(encoded) > limit:
            bare = self.model_copy(update={"company_name": None, "assigned_name": None})
            encoded = build(bare._compact(""))
        if len(encoded) > limit:
            raise StateError(f"list state cannot fit in {limit} characters")
        return encoded

    @classmethod
    def decode(cls, raw: str | None) -> ListState:
        """Parse `encode` output; raises StateError for anything else."""
        return cls.from_compact(load(raw))

    @classmethod
    def from_compact(cls, data: Any) -> ListState:
        """Build from the compact dict that `encode` serialises."""
        if not isinstance(data, dict):
            raise StateError("list state is not an object")
        try:
            filters = TicketFilters(
                search=data.get("q", ""),
                board_id=data.get("b"),
                status_id=data.get("s"),
                status_name=data.get("sn"),
                priority_id=data.get("p"),
                company_id=data.get("c"),
                assigned=data.get("a", "all"),
                include_closed=bool(data.get("x", 0)),
            )
            return cls(
                filters=filters,
                page=data.get("pg", 1),
                page_size=data.get("ps", PAGE_SIZE),
                company_name=data.get("cn"),
                assigned_name=data.get("an"),
            )
        except ValidationError as exc:
            raise StateError("bad list state") from exc


class SearchModalState(BaseModel):
    """private_metadata of the list's search modal: the list it came from and where to answer."""

    list_state: ListState
    response_url: str | None = None

    def encode(self) -> str:
        """Compact JSON ≤ 3000 chars."""
        url = self.response_url if self.response_url and len(self.response_url) < 1000 else None
        return self.list_state.fit_into(lambda data: dump({"r": url, "s": data}), METADATA_MAX)

    @classmethod
    def decode(cls, raw: str | None) -> SearchModalState:
        """Parse `encode` output; raises StateError otherwise."""
        data = load(raw)
        return cls(list_state=ListState.from_compact(data.get("s")), response_url=data.get("r"))

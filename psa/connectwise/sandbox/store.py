"""In-memory ConnectWise records loaded from a seed, with reference lookups and derived fields."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .index import TICKET_FIELDS, RecordIndex
from .quirks import Quirks

DEFAULT_SEED = Path(__file__).with_name("seed.json")
SERVICE_IDENTIFIER = "S"
# Used when a seed has no schedule types. The Service type's id is deliberately not 4 (the id many
# sites and ConnectWise's own examples have): ids differ between sites and nothing may depend on one.
DEFAULT_SCHEDULE_TYPES = [
    {"id": 2, "identifier": "C", "name": "Activity", "systemFlag": True},
    {"id": 4, "identifier": "O", "name": "Opportunity", "systemFlag": True},
    {"id": 7, "identifier": SERVICE_IDENTIFIER, "name": "Service", "systemFlag": True},
]
COLLECTIONS = (
    "members",
    "boards",
    "board_statuses",
    "priorities",
    "companies",
    "contacts",
    "configurations",
    "tickets",
    "notes",
    "schedule_entries",
    "work_types",
    "work_roles",
    "time_entries",
    "callbacks",
    "slas",
    "schedule_types",
    "my_security",
)
Rec = dict[str, Any]


def now_iso() -> str:
    """Current UTC time in ConnectWise's `2026-05-05T13:06:45Z` form."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def load_seed(seed: Path | str | Mapping[str, Any] | None) -> Mapping[str, Any]:
    """Read a seed file (or take a dict); None means the packaged default."""
    if seed is None:
        seed = DEFAULT_SEED
    if isinstance(seed, Mapping):
        return seed
    with open(seed, encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, dict):
        raise ValueError(f"seed {seed} is not a JSON object")
    return data


def _ci(a: Any, b: Any) -> bool:
    return isinstance(a, str) and isinstance(b, str) and a.casefold() == b.casefold()


class SandboxStore:
    """All records of one sandbox; callers hold `lock` around reads that must be consistent."""

    def __init__(self, seed: Mapping[str, Any]) -> None:
        from .seed_time import with_time_entries  # it builds records with this module's helpers

        seed = with_time_entries(seed)
        self.lock = threading.RLock()
        # Frozen JSON per collection: reset reloads only what was written since the last reset.
        self._frozen = {name: json.dumps(seed.get(name, [])) for name in COLLECTIONS}
        self._frozen["schedule_types"] = json.dumps(seed.get("schedule_types") or DEFAULT_SCHEDULE_TYPES)
        self._frozen["my_security"] = json.dumps(seed.get("my_security") or _full_security())
        self._frozen["ticket_configurations"] = json.dumps(seed.get("ticket_configurations", []))
        self._frozen["api_member"] = json.dumps(seed.get("api_member") or _default_api_member())
        self._frozen["system_info"] = json.dumps(seed.get("system_info") or {"version": "v2025.1"})
        self._dirty: set[str] = set(self._frozen)
        self.tables: dict[str, dict[int, Rec]] = {}
        self.ticket_configurations: list[Rec] = []
        self.api_member: Rec = {}
        self.system_info: Rec = {}
        self._next_ids: dict[str, int] = {}
        self._resources: dict[int, str] | None = None
        self._views: list[Rec] | None = None
        self._index: RecordIndex | None = None
        self.quirks = Quirks()
        self.reset()

    def reset(self) -> None:
        """Restore the seed data."""
        with self.lock:
            for name in self._dirty:
                data = json.loads(self._frozen[name])
                if name in COLLECTIONS:
                    if name == "tickets":
                        for t in data:
                            t.pop("resources", None)  # derived, never stored
                    self.tables[name] = {int(r["id"]): r for r in sorted(data, key=lambda r: r["id"])}
                    self._next_ids[name] = max(self.tables[name], default=0) + 1
                elif name == "ticket_configurations":
                    self.ticket_configurations = data
                elif name == "api_member":
                    self.api_member = data
                else:
                    self.system_info = data
            self._dirty.clear()
            self._resources = None
            self._views = None
            self._index = None
            self.quirks.clear()

    def touch(self, *names: str) -> None:
        """Mark collections as written (so reset restores them and caches refresh)."""
        self._dirty.update(names)
        if {"tickets", "schedule_entries", "members"} & set(names):
            self._resources = None
            self._views = None
            self._index = None

    def next_id(self, name: str) -> int:
        """Allocate the next id of a collection (caller holds the lock)."""
        new = self._next_ids[name]
        self._next_ids[name] = new + 1
        return new

    def table(self, name: str) -> dict[int, Rec]:
        """Records of a collection keyed by id, in id order."""
        return self.tables[name]

    # ------------------------------------------------------------ derived fields

    def resources_map(self) -> dict[int, str]:
        """Ticket id -> derived `resources` string (owner first, then open Service entries)."""
        cached = self._resources
        if cached is not None:
            return cached
        idents: dict[int, list[str]] = {}
        for t in self.tables["tickets"].values():
            owner = t.get("owner")
            idents[t["id"]] = [owner["identifier"]] if owner and owner.get("identifier") else []
        for e in self.tables["schedule_entries"].values():
            if e.get("doneFlag") or not _is_service_type(e.get("type")):
                continue
            lst = idents.get(e.get("objectId", -1))
            ident = (e.get("member") or {}).get("identifier")
            if lst is not None and ident and ident not in lst:
                lst.append(ident)
        result = {tid: ", ".join(lst) for tid, lst in idents.items() if lst}
        self._resources = result
        return result

    def ticket_view(self, ticket: Rec) -> Rec:
        """A ticket as the API returns it (with derived `resources` and SLA fields)."""
        from .sla import sla_fields  # it reads this store

        res = self.resources_map().get(ticket["id"])
        view = dict(ticket)
        if res:
            view["resources"] = res
        view.update(sla_fields(self, ticket))
        return view

    def ticket_views(self) -> list[Rec]:
        """Every ticket as the API returns it (cached until a write; treat as read-only)."""
        cached = self._views
        if cached is not None:
            return cached
        from .sla import sla_fields  # it reads this store

        resources = self.resources_map()
        out = []
        for t in self.tables["tickets"].values():
            view = dict(t)
            res = resources.get(t["id"])
            if res:
                view["resources"] = res
            view.update(sla_fields(self, t))
            out.append(view)
        self._views = out
        return out

    def ticket_index(self) -> RecordIndex:
        """Indexes over `ticket_views()` on the fields the app filters on (rebuilt after a write)."""
        views = self.ticket_views()
        cached = self._index
        if cached is None or cached.records is not views:
            cached = self._index = RecordIndex(views, TICKET_FIELDS)
        return cached

    # ------------------------------------------------------------ lookups

    def get(self, name: str, ident: int) -> Rec | None:
        """One record by id."""
        return self.tables[name].get(ident)

    def find_member(self, ref: Any) -> Rec | None:
        """Member by `{id}` / `{identifier}` reference (or a bare id/identifier)."""
        return self._find("members", ref, ("identifier",))

    def find_company(self, ref: Any) -> Rec | None:
        """Company by `{id}` or `{identifier}`."""
        return self._find("companies", ref, ("identifier",))

    def find_board(self, ref: Any) -> Rec | None:
        """Board by `{id}` or `{name}`."""
        return self._find("boards", ref, ("name",))

    def find_priority(self, ref: Any) -> Rec | None:
        """Priority by `{id}` or `{name}`."""
        return self._find("priorities", ref, ("name",))

    def service_type_ref(self) -> Rec:
        """The Service schedule type as an entry's `type` reference ({id, identifier})."""
        found = self.find_schedule_type({"identifier": SERVICE_IDENTIFIER}) or {"id": 0}
        return {"id": found["id"], "identifier": SERVICE_IDENTIFIER}

    def find_schedule_type(self, ref: Any) -> Rec | None:
        """Schedule type by `{id}` or `{identifier}`."""
        return self._find("schedule_types", ref, ("identifier",))

    def find_contact(self, ref: Any) -> Rec | None:
        """Contact by `{id}`."""
        return self._find("contacts", ref, ())

    def find_status(self, board_id: int, ref: Any) -> Rec | None:
        """Status of a given board by `{id}` or `{name}`; None if it is not on that board."""
        status = self._find("board_statuses", ref, ("name",), board_id=board_id)
        if status is None or status["board"]["id"] != board_id:
            return None
        return status

    def board_statuses(self, board_id: int) -> list[Rec]:
        """The statuses of one board."""
        return [s for s in self.tables["board_statuses"].values() if s["board"]["id"] == board_id]

    def default_status(self, board_id: int) -> Rec | None:
        """The board's default status (else its first active one)."""
        statuses = self.board_statuses(board_id)
        for s in statuses:
            if s.get("defaultFlag") and not s.get("inactive"):
                return s
        active = [s for s in statuses if not s.get("inactive")]
        return min(active, key=lambda s: (s.get("sortOrder", 0), s["id"])) if active else None

    def default_priority(self) -> Rec | None:
        """The priority flagged default (else the middle one)."""
        prios = list(self.tables["priorities"].values())
        for p in prios:
            if p.get("defaultFlag"):
                return p
        return prios[len(prios) // 2] if prios else None

    def default_board(self) -> Rec | None:
        """Board used when a ticket is created without one (lowest-id active board)."""
        for b in self.tables["boards"].values():
            if not b.get("inactiveFlag"):
                return b
        return None

    def ticket_configuration_ids(self, ticket_id: int) -> list[int]:
        """Configuration ids attached to a ticket."""
        return [tc["configurationId"] for tc in self.ticket_configurations if tc["ticketId"] == ticket_id]

    def _find(self, name: str, ref: Any, keys: Iterable[str], board_id: int | None = None) -> Rec | None:
        table = self.tables[name]
        if isinstance(ref, bool):
            return None
        if isinstance(ref, int):
            return table.get(ref)
        if isinstance(ref, str):
            if ref.isdigit():
                return table.get(int(ref))
            ref = {k: ref for k in keys}
        if not isinstance(ref, Mapping):
            return None
        rid = ref.get("id")
        if rid is not None:
            return table.get(rid) if isinstance(rid, int) and not isinstance(rid, bool) else None
        for key in keys:
            wanted = ref.get(key)
            if wanted is None:
                continue
            for rec in table.values():
                if board_id is not None and rec.get("board", {}).get("id") != board_id:
                    continue
                if _ci(rec.get(key), wanted):
                    return rec
        return None


def _is_service_type(ref: Any) -> bool:
    # Stored entries always carry their type's identifier (ScheduleTypeReference is {id, identifier}).
    return isinstance(ref, Mapping) and _ci(ref.get("identifier"), SERVICE_IDENTIFIER)


def _full_security() -> list[Rec]:
    """Every security function the app needs, at level All (for seeds that say nothing)."""
    functions = [
        ("Companies", "Company Maintenance"),
        ("Companies", "Configurations"),
        ("Companies", "Contacts"),
        ("Service Desk", "Close Service Tickets"),
        ("Service Desk", "Resource Scheduling"),
        ("Service Desk", "Service Tickets"),
        ("System", "Member Maintenance"),
        ("System", "Table Setup"),
        ("Time & Expense", "Time Entry"),
    ]
    levels = {"addLevel": "All", "editLevel": "All", "deleteLevel": "All", "inquireLevel": "All"}
    return [
        {"id": i, "moduleName": module, "moduleFunctionName": name, "sortOrder": i, **levels}
        for i, (module, name) in enumerate(functions, 1)
    ]


def _default_api_member() -> Rec:
    return {"id": 1, "identifier": "apiuser", "firstName": "API", "lastName": "Member", "inactiveFlag": False}


def member_ref(m: Rec) -> Rec:
    """Reference to a member as embedded in other records."""
    name = " ".join(p for p in (m.get("firstName"), m.get("lastName")) if p)
    return {"id": m["id"], "identifier": m["identifier"], "name": name}


def company_ref(c: Rec) -> Rec:
    """Reference to a company."""
    return {"id": c["id"], "identifier": c["identifier"], "name": c["name"]}


def contact_ref(c: Rec) -> Rec:
    """Reference to a contact."""
    name = " ".join(p for p in (c.get("firstName"), c.get("lastName")) if p)
    return {"id": c["id"], "name": name}


def named_ref(r: Rec) -> Rec:
    """`{id, name}` reference (board, status)."""
    return {"id": r["id"], "name": r["name"]}


def priority_ref(p: Rec) -> Rec:
    """Priority reference, which carries `sort`."""
    return {"id": p["id"], "name": p["name"], "sort": p.get("sortOrder", p["id"])}

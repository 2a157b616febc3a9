"""The pure side of the probe: its report model, what the app needs of a site, and the text summary.

Security levels come from `/system/mySecurity`: one row per security-role function with its
add/edit/delete/inquire level (None, My or All) — pyconnectwise's generated `MySecurity` model,
christaylorcodes/ConnectWiseManageAPI `Get-CWMMySecurity`. Function names are the security role
screen's (System › Security Roles), as integration guides list them ("Service Desk › Resource
Scheduling", "Time & Expense › Time Entry"; e.g. support.cyberfox.com's and N-able's ConnectWise
API-member role tables). What a read cannot show is listed in `NOT_CHECKABLE`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

Level = Literal["None", "My", "All"]
_RANK = {"None": 0, "My": 1, "All": 2}


class FormResult(BaseModel):
    """One query form the app sends, and how the site answered it."""

    key: str
    name: str
    request: str
    ok: bool | None  # None: not tried (see `message`)
    status: int | None = None
    code: str | None = None
    message: str | None = None


# How the site reads a backslash inside a condition string (conditions.py rule 3), from two reads:
# `summary contains "\"` accepted → "literal"; refused but `summary contains "\\"` accepted → "escape";
# both refused → "refused".
Backslash = Literal["literal", "escape", "refused", "unknown"]
BACKSLASH_TEXT: dict[str, str] = {
    "literal": "read literally: search text with \\ could be sent as typed (conditions.py rule 3)",
    "escape": "an escape character (\\\\ is one backslash): search text with \\ could be sent escaped",
    "refused": "refused in any form: search text is split at \\ (as the app does)",
    "unknown": "could not be checked",
}


def backslash_reading(lone_ok: bool | None, pair_ok: bool | None) -> Backslash:
    """The reading the two reads show (None: the read failed for another reason)."""
    if lone_ok:
        return "literal"
    if lone_ok is False and pair_ok:
        return "escape"
    if lone_ok is False and pair_ok is False:
        return "refused"
    return "unknown"


class ScheduleType(BaseModel):
    """The site's Service schedule type."""

    id: int
    identifier: str
    name: str


class PermissionCheck(BaseModel):
    """What the app needs of one security-role function, and what the API member has."""

    area: str
    function: str
    needs: dict[str, Level]
    has: dict[str, Level] | None  # None: the function is not in the member's security list

    @property
    def missing(self) -> list[str]:
        """The access levels below what the app needs ("add", "edit", …)."""
        have = self.has or {}
        return [k for k, want in self.needs.items() if _RANK[have.get(k, "None")] < _RANK[want]]


class ProbeReport(BaseModel):
    """Everything one probe found out; `ok` when the app should work as it does against the sandbox."""

    site: str
    api_version: str | None = None
    service_type: ScheduleType | None = None
    service_type_error: str | None = None
    forms: list[FormResult]
    permissions: list[PermissionCheck]
    permissions_error: str | None = None
    not_checkable: list[str]
    requests: int
    backslash: Backslash = "unknown"  # informational: the app splits search text at \ whatever it is

    @property
    def refused(self) -> list[FormResult]:
        """Forms the site answered with an error."""
        return [f for f in self.forms if f.ok is False]

    @property
    def missing_permissions(self) -> list[PermissionCheck]:
        """Functions whose level is below what the app needs."""
        return [p for p in self.permissions if p.missing]

    @property
    def ok(self) -> bool:
        """True when every form works, the Service type exists and no permission is missing."""
        return (
            not self.refused
            and self.service_type is not None
            and self.permissions_error is None
            and not self.missing_permissions
        )


@dataclass(frozen=True)
class _Need:
    area: str
    module: str
    function: str
    levels: dict[str, Level]


# What each thing the app does needs (System › Security Roles). "My" is enough to add tickets (the
# member is then on them); reading and changing anyone's tickets needs "All".
NEEDS = [
    _Need("tickets: list, open, create", "Service Desk", "Service Tickets", {"inquire": "All", "add": "My"}),
    _Need("notes and status changes", "Service Desk", "Service Tickets", {"edit": "All"}),
    _Need("closing a ticket (closed statuses)", "Service Desk", "Close Service Tickets", {"edit": "All"}),
    _Need(
        "assignees (schedule entries)",
        "Service Desk",
        "Resource Scheduling",
        {"inquire": "All", "add": "All", "delete": "All"},
    ),
    _Need("time entries", "Time & Expense", "Time Entry", {"inquire": "All", "add": "All", "delete": "My"}),
    _Need("companies (pickers)", "Companies", "Company Maintenance", {"inquire": "All"}),
    _Need("contacts on tickets", "Companies", "Contacts", {"inquire": "All"}),
    _Need("devices on tickets", "Companies", "Configurations", {"inquire": "All"}),
    _Need("members (assignees, mapping)", "System", "Member Maintenance", {"inquire": "All"}),
]
NOT_CHECKABLE = [
    "board, location and department restrictions of the security role (which boards a write may touch)",
    "the customized lists behind Resource Scheduling and Table Setup (System › Security Roles › Customize)",
    "board rules a write must satisfy (required fields, status workflow)",
    "whether ConnectWise accepts removing a ticket's owner (the app clears it before deleting entries,"
    " so a refusal changes nothing)",
    "Billing View Time and time entry for other members' time sheets",
]


def _norm(text: Any) -> str:
    return re.sub(r"[^a-z0-9]", "", str(text or "").lower())


def permission_checks(rows: Sequence[Any]) -> list[PermissionCheck]:
    """Compare `/system/mySecurity` rows with what the app needs (`NEEDS`)."""
    by_function: dict[tuple[str, str], dict[str, Level]] = {}
    by_name: dict[str, dict[str, Level]] = {}
    for row in rows:
        if not isinstance(row, dict):
            continue
        levels: dict[str, Level] = {}
        for kind in ("add", "edit", "delete", "inquire"):
            raw = str(row.get(f"{kind}Level") or "None")
            levels[kind] = raw if raw in _RANK else "None"  # type: ignore[assignment]
        name = _norm(row.get("moduleFunctionName"))
        by_function[(_norm(row.get("moduleName")), name)] = levels
        by_name.setdefault(name, levels)
    out = []
    for need in NEEDS:
        fn = _norm(need.function)
        has = by_function.get((_norm(need.module), fn)) or by_name.get(fn)
        out.append(
            PermissionCheck(
                area=need.area, function=f"{need.module} › {need.function}", needs=need.levels, has=has
            )
        )
    return out


def _levels(levels: dict[str, Level]) -> str:
    return ", ".join(f"{k} {v}" for k, v in levels.items())


def _service_line(report: ProbeReport) -> str:
    st = report.service_type
    if st is None:
        return f"Service schedule type: not found ({report.service_type_error})"
    return f'Service schedule type: "{st.name}" (identifier {st.identifier}, id {st.id})'


def summary_text(report: ProbeReport, *, max_chars: int = 2900) -> str:
    """A readable summary for an admin (plain text; fits a Slack section)."""
    tried = [f for f in report.forms if f.ok is not None]
    lines = [
        f"ConnectWise API {report.api_version or 'version unknown'} · {report.requests} read-only requests",
        _service_line(report),
        f"Query forms: {sum(1 for f in tried if f.ok)} of {len(tried)} work",
    ]
    for form in report.refused:
        lines.append(f"  ✗ {form.name}: refused — {form.message or f'HTTP {form.status}'}")
    for form in report.forms:
        if form.ok is None:
            lines.append(f"  – {form.name}: {form.message}")
    if report.permissions_error:
        lines.append(f"Permissions: could not be read ({report.permissions_error})")
    else:
        missing = report.missing_permissions
        lines.append("Permissions: all present" if not missing else f"Permissions: {len(missing)} missing")
        for check in missing:
            has = _levels(check.has) if check.has else "not in the security role"
            lines.append(f"  ✗ {check.area} ({check.function}): needs {_levels(check.needs)}; has {has}")
    lines.append(f"Backslash in condition strings: {BACKSLASH_TEXT[report.backslash]}")
    lines.append("Not checkable without writing: " + "; ".join(report.not_checkable) + ".")
    text = "\n".join(lines)
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"

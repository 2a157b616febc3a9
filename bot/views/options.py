"""Options for external selects (answered by `@app.options` listeners): companies and members."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.views import kit, limits
from psa.models import Company, Member

ANY = "any"


def company_option(company: Company) -> dict[str, Any]:
    """One company as an option (value = company id)."""
    return kit.option(company.name or company.identifier or f"Company {company.id}", str(company.id))


def company_options(companies: list[Company], *, include_any: bool = False) -> list[dict[str, Any]]:
    """Options for a company external select; `include_any` adds "Any company" (list filter)."""
    options = [kit.option("Any company", ANY)] if include_any else []
    seen: set[int] = set()
    for company in companies:
        if company.id not in seen:
            seen.add(company.id)
            options.append(company_option(company))
    return options[: limits.OPTIONS_MAX]


def member_option(member: Member, slack_name: str | None = None) -> dict[str, Any]:
    """One member as an option; mapped members read "★ Name (@slack)"."""
    if slack_name:
        return kit.option(f"★ {member.name} (@{slack_name})", str(member.id))
    return kit.option(member.name or member.identifier, str(member.id))


def member_options(
    members: list[Member], *, slack_names: Mapping[int, str] | None = None, query: str = ""
) -> list[dict[str, Any]]:
    """Active members matching `query`, Slack-mapped ones first (★), at most 100."""
    slack_names = slack_names or {}
    needle = query.strip().lower()
    matching = [
        m
        for m in members
        if not m.inactive
        and (
            not needle
            or needle in m.name.lower()
            or needle in m.identifier.lower()
            or needle in slack_names.get(m.id, "").lower()
        )
    ]
    matching.sort(key=lambda m: (m.id not in slack_names, m.name.lower()))
    return [member_option(m, slack_names.get(m.id)) for m in matching[: limits.OPTIONS_MAX]]


ASSIGNED_CHOICES = (("me", "Assigned to me"), ("unassigned", "Unassigned"), ("all", "Anyone"))


def assigned_filter_option(value: str, label: str | None = None) -> dict[str, Any]:
    """The list filter's option for me / unassigned / all, or a member id with its name."""
    fixed = dict(ASSIGNED_CHOICES)
    return kit.option(fixed.get(value) or label or f"Member {value}", value)


def assigned_filter_options(
    members: list[Member], *, slack_names: Mapping[int, str] | None = None, query: str = ""
) -> list[dict[str, Any]]:
    """The list's Assigned filter: me, unassigned, anyone, then members (Slack-mapped first, ★)."""
    needle = query.strip().lower()
    fixed = [
        kit.option(label, value) for value, label in ASSIGNED_CHOICES if not needle or needle in label.lower()
    ]
    people = member_options(members, slack_names=slack_names)
    return (fixed + people)[: limits.OPTIONS_MAX]

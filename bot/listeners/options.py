"""External select options, answered inside the ack (within Slack's 3 s)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.flows import mapping
from bot.flows.options import assigned_filter_choices, filter_companies, member_choices, pick_companies
from bot.ids import CreateAction, DetailAction, ListAction, MappingAction
from bot.listeners.handoff import Listener, on_options, register_routes

list_companies = on_options("options.list_companies", filter_companies)
create_companies = on_options("options.create_companies", pick_companies)
members = on_options("options.members", member_choices)
assigned_filter = on_options("options.assigned_filter", assigned_filter_choices)
mapping_members = on_options("options.mapping_members", mapping.member_options)


ROUTES: dict[str, Listener] = {
    ListAction.COMPANY: list_companies,
    ListAction.ASSIGNED: assigned_filter,
    DetailAction.ADD_ASSIGNEE: members,
    MappingAction.MEMBER: mapping_members,
    CreateAction.COMPANY: create_companies,
    CreateAction.ASSIGNEE: members,
}


def register(app: AsyncApp) -> None:
    """Register the options listeners."""
    register_routes(app.options, ROUTES)

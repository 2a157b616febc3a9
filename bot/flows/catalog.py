"""Every module that registers flows, so a worker process knows them all by name."""

from __future__ import annotations

import importlib

MODULES = (
    "bot.flows.access_settings",
    "bot.flows.commands",
    "bot.flows.connect",
    "bot.flows.detail",
    "bot.flows.detail_actions",
    "bot.flows.home",
    "bot.flows.link_thread",
    "bot.flows.list_actions",
    "bot.flows.mapping",
    "bot.flows.mapping_requests",
    "bot.flows.spinoff",
    "bot.flows.suggestions",
    "bot.flows.thread_context",
    "bot.flows.create.edit",
    "bot.flows.create.submit",
    "bot.flows.create.recover",
    "bot.flows.time.detail_time",
    "bot.flows.time.nudge",
    "bot.flows.time.quick",
    "bot.flows.time.work_it",
    "bot.flows.live.choices",
    "bot.flows.live.handler",
    "bot.flows.live.poller",
    "bot.flows.live.subscriptions",
    "bot.flows.live.thread_note",
    "bot.flows.live.unfurl",
)


def load_all() -> None:
    """Import every flow module (each registers its flows with `@flow`)."""
    for name in MODULES:
        importlib.import_module(name)

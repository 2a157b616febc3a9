"""Modals, their stacks, Home tabs and trigger_ids (not thread-safe: FakeSlack holds the lock)."""

from __future__ import annotations

import copy
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.local.fake_slack.limits import check_view
from bot.local.fake_slack.models import random_id
from bot.local.fake_slack.workspace import Identity, MethodError

MAX_STACK = 3
TRIGGER_TTL_SECONDS = 3.0


@dataclass
class Trigger:
    """A minted trigger_id: single use, short-lived."""

    user_id: str | None
    view_id: str | None
    created: float
    used: bool = False


@dataclass
class ViewRecord:
    """A view as Slack stores it: the app's definition plus id, hash, state and stack links."""

    id: str
    user_id: str | None
    definition: dict[str, Any]
    hash: str
    root_view_id: str
    previous_view_id: str | None = None
    state_values: dict[str, Any] = field(default_factory=dict)
    closed: bool = False

    @property
    def kind(self) -> str:
        """Return `modal` or `home`."""
        return str(self.definition.get("type"))

    def to_slack(self, ident: Identity) -> dict[str, Any]:
        """Render the view object Slack returns from views.* and sends in payloads."""
        d = copy.deepcopy(self.definition)
        view: dict[str, Any] = {
            "id": self.id,
            "team_id": ident.team_id,
            "type": d.get("type"),
            "blocks": d.get("blocks", []),
            "private_metadata": d.get("private_metadata", ""),
            "callback_id": d.get("callback_id", ""),
            "state": {"values": copy.deepcopy(self.state_values)},
            "hash": self.hash,
            "clear_on_close": bool(d.get("clear_on_close", False)),
            "notify_on_close": bool(d.get("notify_on_close", False)),
            "root_view_id": self.root_view_id,
            "previous_view_id": self.previous_view_id,
            "app_id": ident.app_id,
            "external_id": d.get("external_id", ""),
            "app_installed_team_id": ident.team_id,
            "bot_id": ident.bot_id,
        }
        if self.kind == "modal":
            view["title"] = d.get("title")
            view["close"] = d.get("close")
            view["submit"] = d.get("submit")
            if "submit_disabled" in d:
                view["submit_disabled"] = d["submit_disabled"]
        return view


def _new_hash() -> str:
    return f"{int(time.time())}.{secrets.token_hex(4)}"


def _kept_state(old: dict[str, Any], blocks: Any) -> dict[str, Any]:
    """Keep typed input whose block_id and action_id survive an update, as Slack does."""
    present: set[tuple[str, str]] = set()
    for block in blocks if isinstance(blocks, list) else []:
        if not isinstance(block, dict):
            continue
        elements = [block.get("element"), block.get("accessory"), *(block.get("elements") or [])]
        for el in elements:
            if isinstance(el, dict) and "action_id" in el:
                present.add((str(block.get("block_id")), str(el["action_id"])))
    kept: dict[str, Any] = {}
    for block_id, actions in old.items():
        for action_id, value in actions.items():
            if (block_id, action_id) in present:
                kept.setdefault(block_id, {})[action_id] = value
    return kept


class ViewStore:
    """Every view ever opened, which are still open, and the trigger_ids that may open them."""

    def __init__(self, identity: Identity, clock: Callable[[], float] = time.monotonic) -> None:
        self.identity = identity
        self.clock = clock
        self.trigger_ttl = TRIGGER_TTL_SECONDS
        self.enforce_trigger_expiry = True
        self.views: dict[str, ViewRecord] = {}
        self.stacks: dict[str, list[str]] = {}
        self.home: dict[str, str] = {}
        self.triggers: dict[str, Trigger] = {}
        self.touched: list[str] = []

    def new_trigger_id(self, user_id: str | None = None, view_id: str | None = None) -> str:
        """Mint a trigger_id as an interaction would."""
        trigger_id = f"{int(time.time())}.{secrets.randbelow(10**10)}.{secrets.token_hex(16)}"
        self.triggers[trigger_id] = Trigger(user_id=user_id, view_id=view_id, created=self.clock())
        return trigger_id

    def _trigger(self, trigger_id: Any) -> Trigger:
        if not trigger_id:
            raise MethodError("invalid_arguments", details=["missing required field: trigger_id"])
        trigger = self.triggers.get(trigger_id)
        if trigger is None:
            raise MethodError("invalid_trigger_id")
        if trigger.used:
            raise MethodError("exchanged_trigger_id")
        if self.enforce_trigger_expiry and self.clock() - trigger.created > self.trigger_ttl:
            raise MethodError("expired_trigger_id")
        return trigger

    def _checked(self, view: Any, allowed: tuple[str, ...], self_id: str | None = None) -> dict[str, Any]:
        problem = check_view(view, allowed_types=allowed)
        if problem is not None:
            raise MethodError(problem[0], details=problem[1])
        external_id = view.get("external_id")
        if external_id and any(
            r.definition.get("external_id") == external_id and not r.closed and r.id != self_id
            for r in self.views.values()
        ):
            raise MethodError("duplicate_external_id")
        return copy.deepcopy(view)

    def _touch(self, record: ViewRecord) -> ViewRecord:
        if record.id in self.touched:
            self.touched.remove(record.id)
        self.touched.append(record.id)
        return record

    def open(self, view: Any, trigger_id: Any) -> ViewRecord:
        """views.open: a new modal stack, exchanging the trigger."""
        definition = self._checked(view, ("modal",))
        trigger = self._trigger(trigger_id)
        trigger.used = True
        view_id = random_id("V")
        record = ViewRecord(view_id, trigger.user_id, definition, _new_hash(), root_view_id=view_id)
        self.views[view_id] = record
        self.stacks[view_id] = [view_id]
        return self._touch(record)

    def _stack_for(self, trigger: Trigger) -> list[str] | None:
        if trigger.view_id in self.views:
            stack = self.stacks.get(self.views[trigger.view_id].root_view_id)
            if stack:
                return stack
        for view_id in reversed(self.touched):
            record = self.views[view_id]
            if not record.closed and record.kind == "modal" and record.user_id == trigger.user_id:
                return self.stacks.get(record.root_view_id)
        return None

    def push(self, view: Any, trigger_id: Any) -> ViewRecord:
        """views.push: stack a modal on the one the trigger came from (at most 3 deep)."""
        definition = self._checked(view, ("modal",))
        trigger = self._trigger(trigger_id)
        stack = self._stack_for(trigger)
        if not stack:
            raise MethodError("not_found")
        if len(stack) >= MAX_STACK:
            raise MethodError("push_limit_reached")
        trigger.used = True
        view_id = random_id("V")
        record = ViewRecord(
            view_id,
            trigger.user_id,
            definition,
            _new_hash(),
            root_view_id=stack[0],
            previous_view_id=stack[-1],
        )
        self.views[view_id] = record
        stack.append(view_id)
        return self._touch(record)

    def find(self, view_id: Any = None, external_id: Any = None) -> ViewRecord:
        """Return an open view by id or external_id, or fail with `not_found`."""
        for record in self.views.values():
            matches = (view_id and record.id == view_id) or (
                external_id and record.definition.get("external_id") == external_id
            )
            if matches and not record.closed:
                return record
        raise MethodError("not_found")

    def update(self, view: Any, *, view_id: Any, external_id: Any, hash: Any) -> ViewRecord:
        """views.update: replace a still-open view; a stale `hash` fails with `hash_conflict`."""
        if not view_id and not external_id:
            raise MethodError("invalid_arguments", details=["view_id or external_id is required"])
        record = self.find(view_id, external_id)
        if hash and hash != record.hash:
            raise MethodError("hash_conflict")
        definition = self._checked(view, (record.kind,), self_id=record.id)
        if "external_id" not in definition and record.definition.get("external_id"):
            definition["external_id"] = record.definition["external_id"]
        return self._replace(record, definition)

    def _replace(self, record: ViewRecord, definition: dict[str, Any]) -> ViewRecord:
        record.state_values = _kept_state(record.state_values, definition.get("blocks"))
        record.definition = definition
        record.hash = _new_hash()
        return self._touch(record) if record.kind == "modal" else record

    def publish(self, user_id: str, view: Any, hash: Any) -> ViewRecord:
        """views.publish: create or replace a member's Home tab."""
        existing = self.views.get(self.home.get(user_id, ""))
        definition = self._checked(view, ("home",), self_id=existing.id if existing else None)
        if existing is None:
            view_id = random_id("V")
            record = ViewRecord(view_id, user_id, definition, _new_hash(), root_view_id=view_id)
            self.views[view_id] = record
            self.home[user_id] = view_id
            return record
        if hash and hash != existing.hash:
            raise MethodError("hash_conflict")
        return self._replace(existing, definition)

    def _open_modal(self, view_id: str) -> ViewRecord:
        record = self.find(view_id)
        if record.kind != "modal":
            raise MethodError("not_found")
        return record

    def close(self, view_id: str, *, clear: bool = False) -> None:
        """The user closed a modal: drop it and anything pushed above it (or the whole stack)."""
        record = self._open_modal(view_id)
        stack = self.stacks.get(record.root_view_id, [])
        cut = 0 if clear or record.definition.get("clear_on_close") else stack.index(record.id)
        for closed_id in stack[cut:]:
            self.views[closed_id].closed = True
        del stack[cut:]

    def set_state(self, view_id: str, values: dict[str, Any]) -> ViewRecord:
        """Record what the user typed into an open view (kept across compatible updates)."""
        record = self.find(view_id)
        record.state_values = copy.deepcopy(values)
        return record

    def apply_response(self, view_id: str, response: dict[str, Any] | None) -> ViewRecord | None:
        """Apply an app's view_submission ack (`response_action`) and return the view now on top."""
        record = self._open_modal(view_id)
        action = (response or {}).get("response_action")
        if action == "errors":
            return record
        if action == "update":
            definition = self._checked((response or {}).get("view"), ("modal",), self_id=record.id)
            return self._replace(record, definition)
        if action == "push":
            stack = self.stacks[record.root_view_id]
            if len(stack) >= MAX_STACK:
                raise MethodError("push_limit_reached")
            definition = self._checked((response or {}).get("view"), ("modal",))
            new_id = random_id("V")
            pushed = ViewRecord(
                new_id, record.user_id, definition, _new_hash(), stack[0], previous_view_id=stack[-1]
            )
            self.views[new_id] = pushed
            stack.append(new_id)
            return self._touch(pushed)
        self.close(view_id, clear=action == "clear")
        stack = self.stacks.get(record.root_view_id, [])
        return self.views[stack[-1]] if stack else None

    def current_modal(self, user_id: str) -> ViewRecord | None:
        """Return the view a member sees on top of their most recently used open modal stack."""
        for view_id in reversed(self.touched):
            record = self.views[view_id]
            if record.user_id == user_id and not record.closed:
                stack = self.stacks.get(record.root_view_id)
                if stack:
                    return self.views[stack[-1]]
        return None

    def last_modal(self, user_id: str | None = None) -> ViewRecord | None:
        """Return the modal most recently opened, pushed or updated (for `user_id`, if given)."""
        for view_id in reversed(self.touched):
            record = self.views[view_id]
            if user_id is None or record.user_id == user_id:
                return record
        return None

"""Learning of changes made in ConnectWise: callbacks (`/system/callbacks`) and the `lastUpdated` poll.

Callbacks (Developer Guide "Callbacks (Webhooks)"; the type/level table "Levels and Types"):
- an entry is `{url, type, level, objectId, description, inactiveFlag}`; `memberId` is read-only.
  `Ticket` at level `Owner` (objectId 1) sends every ticket change; `Schedule` at `Owner` every
  schedule entry (assignments are Service schedule entries). Other ticket levels (Board, Status,
  Ticket, Project, Phase, IntegratorTag) narrow it. KerkhoffTechnologies/django-connectwise
  `djconnectwise/callbacks.py` registers exactly such Owner/1 entries and keeps them to one per kind.
- ConnectWise appends the record id to the URL, so the URL should end in `recordId=`;
  it retries a delivery only on 404/409/419/429 (after 2 s, then 4 s), times out after 5 s and
  disables a callback after three days of failures, hence the re-activation below.
- a delivery body is `{MessageId, FromUrl, CompanyId, MemberId, Action, Type, ID, Entity (the record
  as a JSON *string*, null on delete), Metadata{key_url}, CallbackObjectRecId, ...}` with lowercase
  `Type` ("ticket", "schedule") and `Action` (added/updated/deleted) (captured deliveries in
  amp-labs/connectors `providers/connectwise/internal/webhook/test/*.json`; nango `webhook/types.ts`).
  The entity is not used: django-connectwise `views.py` re-fetches the record too.
Polling: `lastUpdated > [2016-08-20T18:04:26Z]` filters on the `_info` time by its bare name
(Developer Guide "Conditions"; django-connectwise `sync.py` partial syncs); orderBy takes `_info/...`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from psa.changes import (
    Assignment,
    ChangeRecord,
    ChangeSubscription,
    MalformedChangeError,
    PSAChange,
    SubscriptionSync,
)
from psa.connectwise import mapping as m
from psa.connectwise import queries as q
from psa.connectwise.client import ConnectWiseClient
from psa.connectwise.signing import CallbackVerifier
from psa.errors import PSANotFoundError
from psa.models import PSATicketSearchResult

CALLBACK_TYPES: dict[ChangeRecord, str] = {
    "ticket": "Ticket",
    "schedule_entry": "Schedule",
    "time_entry": "Time",
}
OWNER_LEVEL = "Owner"
OWNER_OBJECT_ID = 1  # "Should be set to 1 when using a level of Owner"
DEFAULT_RECORDS: tuple[ChangeRecord, ...] = ("ticket", "schedule_entry")
_DELIVERY_TYPES: dict[str, ChangeRecord] = {
    "ticket": "ticket",
    "schedule": "schedule_entry",
    "time": "time_entry",
}
_ACTIONS = {"added", "updated", "deleted"}
PAGE = 1000


def callback_url(url: str) -> str:
    """`url` ending in a `recordId=` parameter, so the id ConnectWise appends lands in its own parameter."""
    if urlsplit(url).query.endswith("recordId="):
        return url
    return url + ("&" if "?" in url else "?") + "recordId="


def _to_subscription(raw: m.Raw) -> ChangeSubscription:
    return ChangeSubscription(
        id=m._req_id(raw),
        url=str(raw.get("url") or ""),
        record_type=str(raw.get("type") or ""),
        level=str(raw.get("level") or ""),
        object_id=m._int(raw.get("objectId")),
        description=str(raw.get("description") or ""),
        inactive=m._bool(raw.get("inactiveFlag")),
    )


def _is(sub: ChangeSubscription, record: ChangeRecord) -> bool:
    return (
        sub.record_type.casefold() == CALLBACK_TYPES[record].casefold()
        and sub.level.casefold() == OWNER_LEVEL.casefold()
        and sub.object_id == OWNER_OBJECT_ID
    )


def change_from_delivery(payload: Mapping[str, Any]) -> PSAChange:
    """The change a (verified) delivery announces."""
    record_id = m._int(payload.get("ID"))
    action = str(payload.get("Action") or "").casefold()
    if record_id is None or action not in _ACTIONS:
        raise MalformedChangeError("The delivery names no record id or an unknown action.")
    return PSAChange(
        record_type=_DELIVERY_TYPES.get(str(payload.get("Type") or "").casefold(), "other"),
        record_id=record_id,
        action=action,
        source="callback",
        delivery_id=m._str(payload.get("MessageId")),
        changed_by=m._str(payload.get("MemberId")),
    )


class ChangesMixin:
    """Callback registration, delivery verification and the change poll of `ConnectWiseProvider`."""

    _api: ConnectWiseClient
    _verifier: CallbackVerifier

    async def list_change_subscriptions(self) -> list[ChangeSubscription]:
        """Every callback entry of the site (any integration's)."""
        out: list[ChangeSubscription] = []
        page = 1
        while True:
            rows = await self._api.get(
                "/system/callbacks", {"orderBy": "id asc", "page": page, "pageSize": PAGE}
            )
            out.extend(m.map_rows(_to_subscription, rows))
            if not isinstance(rows, list) or len(rows) < PAGE:
                return out
            page += 1

    async def subscribe_to_changes(
        self, url: str, *, description: str, records: Sequence[ChangeRecord] = DEFAULT_RECORDS
    ) -> SubscriptionSync:
        """Exactly one active Owner-level callback per record kind to `url`; others to `url` go."""
        target = callback_url(url)
        mine = [s for s in await self.list_change_subscriptions() if s.url == target]
        result = SubscriptionSync()
        for record in dict.fromkeys(records):
            matches = [s for s in mine if _is(s, record)]
            if not matches:
                body = {
                    "url": target,
                    "type": CALLBACK_TYPES[record],
                    "level": OWNER_LEVEL,
                    "objectId": OWNER_OBJECT_ID,
                    "description": description[:100],
                    "inactiveFlag": False,
                }
                result.created.append(_to_subscription(await self._api.post("/system/callbacks", body)))
                continue
            keep = next((s for s in matches if not s.inactive), matches[0])
            if keep.inactive:  # ConnectWise switches a callback off after three days of failures
                op = [{"op": "replace", "path": "inactiveFlag", "value": False}]
                keep = _to_subscription(await self._api.patch(f"/system/callbacks/{keep.id}", op))
                result.reactivated.append(keep)
            else:
                result.kept.append(keep)
            mine = [s for s in mine if s.id != keep.id]  # what is left of `mine` goes below
        for extra in mine:  # duplicates and kinds no longer wanted
            await self._api.delete(f"/system/callbacks/{extra.id}")
            result.removed.append(extra)
        return result

    async def unsubscribe_from_changes(self, url: str) -> list[ChangeSubscription]:
        """Delete every callback to `url` (the workspace disconnected)."""
        targets = {url, callback_url(url)}
        removed = [s for s in await self.list_change_subscriptions() if s.url in targets]
        for sub in removed:
            try:
                await self._api.delete(f"/system/callbacks/{sub.id}")
            except PSANotFoundError:
                pass  # already gone: the goal is reached
        return removed

    async def parse_change_notification(self, headers: Mapping[str, str], body: bytes) -> PSAChange:
        """Verify a delivery's signature, then say what it announces (`ForgedChangeError` if forged)."""
        return change_from_delivery(await self._verifier.verify(headers, body))

    async def get_assignment(self, entry_id: int) -> Assignment | None:
        """The ticket assignment a schedule entry makes; None when it is gone or not a Service entry."""
        try:
            raw = await self._api.get(f"/schedule/entries/{int(entry_id)}")
        except PSANotFoundError:
            return None
        kind = m._dict(m._dict(raw).get("type"))
        # By identifier: the Service type's record id differs between sites.
        service = str(kind.get("identifier") or "").upper() == m.SERVICE_SCHEDULE_TYPE_IDENTIFIER
        member = m._dict(raw.get("member"))
        ticket_id, member_id = m._int(raw.get("objectId")), m._int(member.get("id"))
        if not service or ticket_id is None or member_id is None:
            return None
        return Assignment(
            entry_id=int(entry_id),
            ticket_id=ticket_id,
            member_id=member_id,
            member_identifier=m._str(member.get("identifier")) or "",
            done=m._bool(raw.get("doneFlag")),
        )

    async def tickets_changed_since(
        self, since: datetime, *, after_id: int | None = None, limit: int = PAGE
    ) -> list[PSATicketSearchResult]:
        """Tickets last updated at or after `since`, oldest change first (one request).

        With `after_id`, tickets updated exactly at `since` count only when their id is greater:
        the next page of the same poll, which changes made meanwhile cannot shift.
        """
        rows = await self._api.get(*q.ticket_changes(since, after_id, max(1, min(limit, PAGE))))
        return m.map_rows(m._to_ticket, rows)

    async def newest_ticket_change(self) -> PSATicketSearchResult | None:
        """The most recently updated ticket (where a new poller starts)."""
        rows = await self._api.get(*q.newest_change())
        found = m.map_rows(m._to_ticket, rows)
        return found[0] if found else None

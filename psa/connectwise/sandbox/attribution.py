"""Who did it: API key pairs belong to members, and every write records the key's member.

How ConnectWise Manage attributes API writes, and what this sandbox reproduces:
- An API key pair belongs to one member: the integration's API member (licence class "A", e.g.
  "API Slack Integration") or any member who created keys under My Account → API Keys. A request acts
  as that member; `GET /system/myMembers` answers with it (ConnectWise OpenAPI 2025.1 as generated in
  ai-connor/connectwise `api_my_members.go`: `GetSystemMyMembers` returns one `MyMember`).
- Server-set attribution fields name the acting member's identifier: a ticket's `_info.enteredBy` and
  `_info.updatedBy`, `closedBy`; a note's `createdBy` and `_info.updatedBy`; a schedule entry's
  `_info.updatedBy` (`model_ticket.go`, `model_service_note.go`, `model_schedule_entry.go`: these
  fields have no setter in any public client). Values a client sends for them are ignored.
- A note's `member` is settable: a POST may name another member (KerkhoffTechnologies/django-connectwise
  `djconnectwise/api.py` `post_note` sends `member` with the integration's own keys; `post_time_entry`
  does the same for time). Without it the note's member is the acting member. An unknown or inactive
  member is refused like any other bad reference (400 InvalidObject on `member`).
- A ticket has no settable author: its description, sent as `initialDescription`, becomes a note whose
  member and `createdBy` are the acting member.
The sandbox mints keys for seeded members through its control API (`POST /__sandbox/members/{ident}/keys`),
standing in for a member creating their own keys in ConnectWise.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .errors import CWError, field_error, invalid_many
from .store import Rec, SandboxStore, member_ref

ACTOR_KEY: web.RequestKey[Rec] = web.RequestKey("sandbox_actor", dict)
API_MEMBER = "api"  # the key pair configured for the sandbox itself belongs to the store's API member


@dataclass(frozen=True)
class KeyPair:
    """One ConnectWise API key pair and the member it belongs to (`API_MEMBER` or a member id)."""

    public_key: str
    private_key: str
    owner: int | str


class KeyRing:
    """Key pairs minted for members (the API member's pair is the sandbox's configured one)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._minted: dict[str, KeyPair] = {}

    def mint(self, member_id: int) -> KeyPair:
        """A new key pair for a member (what My Account → API Keys → New gives the member)."""
        pair = KeyPair(f"pk-{member_id}-{secrets.token_hex(6)}", secrets.token_urlsafe(18), member_id)
        with self._lock:
            self._minted[pair.public_key] = pair
        return pair

    def revoke(self, public_key: str) -> bool:
        """Delete a minted key pair; True when it existed."""
        with self._lock:
            return self._minted.pop(public_key, None) is not None

    def clear(self) -> None:
        """Forget every minted key pair (the configured one stays)."""
        with self._lock:
            self._minted.clear()

    def owner_of(self, public_key: str, private_key: str, api: KeyPair) -> int | str | None:
        """Whose keys these are (`api` is the configured API member's pair), or None when unknown."""
        if public_key == api.public_key:
            pair: KeyPair | None = api
        else:
            with self._lock:
                pair = self._minted.get(public_key)
        if pair is None or not secrets.compare_digest(pair.private_key, private_key):
            return None
        return pair.owner


def member_for(store: SandboxStore, owner: int | str) -> Rec | None:
    """The member record a key owner stands for; None when that member is gone or inactive."""
    if owner == API_MEMBER:
        return store.api_member
    member = store.get("members", owner) if isinstance(owner, int) else None
    if member is None or member.get("inactiveFlag"):
        return None
    return member


def acting_member(request: web.Request) -> Rec:
    """The member whose keys authenticated this request."""
    actor = request.get(ACTOR_KEY)
    if actor is None:  # only the unauthenticated control routes lack one, and they never write
        raise CWError(401, "Unauthorized", "The request was not authenticated.")
    return actor


def identifier(actor: Rec) -> str:
    """The identifier ConnectWise writes into `enteredBy`/`updatedBy`/`createdBy`."""
    return str(actor.get("identifier") or "")


def stamp_entered(record: Rec, actor: Rec, stamp: str) -> None:
    """A new record: entered and last updated by the acting member."""
    who = identifier(actor)
    record["_info"] = {"dateEntered": stamp, "enteredBy": who, "lastUpdated": stamp, "updatedBy": who}


def stamp_updated(record: Rec, actor: Rec, stamp: str) -> None:
    """A changed record: last updated by the acting member (entry fields kept)."""
    record["_info"] = {**(record.get("_info") or {}), "lastUpdated": stamp, "updatedBy": identifier(actor)}


def note_member(store: SandboxStore, body: Any, actor: Rec) -> Rec:
    """The `member` a new note gets: the one the caller named (must be active), else the acting member."""
    ref = body.get("member") if isinstance(body, dict) else None
    if ref is None:
        return member_ref(actor)
    member = store.find_member(ref) if isinstance(ref, dict) else None
    if member is None or member.get("inactiveFlag"):
        shown = ref.get("id", ref.get("identifier")) if isinstance(ref, dict) else ref
        error = field_error(
            "member", "InvalidField", f"member {shown!r} is not an active member", "serviceNote"
        )
        raise invalid_many([error], "serviceNote")
    return member_ref(member)


def authenticate(
    request: web.Request, keys: KeyRing, store: SandboxStore, sent: tuple[str, str], api: tuple[str, str]
) -> bool:
    """Resolve the `sent` (public, private) pair to its member and remember it on the request; False when
    refused. `api` is the sandbox's configured pair, which belongs to the API member."""
    owner = keys.owner_of(sent[0], sent[1], KeyPair(api[0], api[1], API_MEMBER))
    if owner is None:
        return False
    with store.lock:
        member = member_for(store, owner)
    if member is None:
        return False
    request[ACTOR_KEY] = member
    return True

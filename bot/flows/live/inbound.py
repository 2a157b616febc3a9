"""PSA callback deliveries over HTTP: `POST /psa/callbacks/{token}`.

Within the PSA's 5-second timeout: find the workspace by the URL's token, verify the signature the
PSA way (psa/: the key comes only from the connection's own site), take the change in once (its
dedupe key), hand the work to the job queue, answer. Nothing of a forged delivery is done (403).
Answers follow what ConnectWise does with them: it retries only 404/409/419/429, so a delivery that
cannot be checked yet (the signing key unreachable) is answered 429 and comes again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.flows.work import work_item
from psa.changes import ChangeKeyUnavailableError, ForgedChangeError, MalformedChangeError
from psa.errors import PSAError

if TYPE_CHECKING:
    from bot.deps import AppDeps

log = logging.getLogger(__name__)
CALLBACK_PATH = "/psa/callbacks/{token}"
CALLBACK_PREFIX = "/psa/callbacks/"


@dataclass(frozen=True)
class Answer:
    """What the HTTP endpoint answers, and why (for logs and tests)."""

    status: int
    outcome: str


async def receive(deps: AppDeps, token: str, headers: Mapping[str, str], body: bytes) -> Answer:
    """Take in one delivery; never raises."""
    settings = await deps.storage.live().by_token(token) if token else None
    if settings is None:
        return Answer(403, "unknown workspace")
    team_id = settings.team_id
    service = await deps.workspaces.service(team_id)
    if service is None:
        return Answer(403, "not connected")
    try:
        change = await service.parse_change_notification(headers, body)
    except ForgedChangeError as exc:
        log.warning("refused a forged PSA delivery for team %s: %s", team_id, exc.code)
        return Answer(403, "forged")
    except ChangeKeyUnavailableError as exc:
        log.warning("PSA delivery for team %s not checked yet: %s", team_id, exc.message)
        return Answer(429, "key unavailable")
    except MalformedChangeError:
        return Answer(400, "malformed")
    except PSAError as exc:
        log.warning("PSA delivery for team %s failed: %s", team_id, exc.message)
        return Answer(429, "psa error")
    if not await deps.storage.live().first_sight(team_id, change.dedupe_key, now=deps.now()):
        return Answer(200, "duplicate")
    item = work_item("live.change", {}, team_id=team_id, args={"change": change.model_dump(mode="json")})
    await deps.work.submit(item)
    return Answer(200, "accepted")

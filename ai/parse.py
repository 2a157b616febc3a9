"""`python -m ai.parse [--as MEMBER_IDENTIFIER] "PROMPT"`: print the parse of a ticket request as JSON.

Resolves against the configured ConnectWise (the `CW_*` settings) or, when none is configured, against
the sandbox's seed data served in-process over real HTTP, through the same provider and service.
Uses Claude when `ANTHROPIC_API_KEY` is set (falling back offline on failure), the offline parser otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager

from ai.extract import Extractor, FallbackExtractor, HeuristicExtractor
from ai.models import AiParseResponse
from ai.parser import TicketParser
from bot.settings import Settings
from psa.connectwise import ConnectWiseCredentials, ConnectWiseProvider
from psa.service import TicketService

DEFAULT_ACTOR = "jdoe"


class NoMappings:
    """A `MemberMappingLookup` with nobody mapped: the CLI acts as a member given by identifier."""

    async def member_id_for(self, user_ref: str) -> int | None:
        """Nobody is mapped."""
        return None

    async def mapped_member_ids(self) -> dict[int, str]:
        """Nobody is mapped."""
        return {}


@asynccontextmanager
async def ticket_service(settings: Settings) -> AsyncIterator[TicketService]:
    """A `TicketService` on the configured ConnectWise, or on an in-process sandbox when none is."""
    async with AsyncExitStack() as stack:
        if settings.has_connectwise_env:
            assert settings.cw_base_url and settings.cw_company_id and settings.cw_public_key
            assert settings.cw_private_key and settings.cw_client_id
            credentials = ConnectWiseCredentials(
                base_url=settings.cw_base_url,
                company_id=settings.cw_company_id,
                public_key=settings.cw_public_key,
                private_key=settings.cw_private_key,
                client_id=settings.cw_client_id,
            )
        else:
            from psa.connectwise.sandbox import SandboxServer

            sandbox = stack.enter_context(SandboxServer())
            credentials = ConnectWiseCredentials(
                base_url=sandbox.base_url,
                company_id=sandbox.company_id,
                public_key=sandbox.public_key,
                private_key=sandbox.private_key,
                client_id="ai-parse-cli",
            )
        service = TicketService(ConnectWiseProvider(credentials), NoMappings())
        stack.push_async_callback(service.aclose)
        yield service


@asynccontextmanager
async def extractor(settings: Settings) -> AsyncIterator[Extractor]:
    """Claude with the offline fallback when an API key is configured, the offline parser otherwise."""
    if settings.anthropic_api_key is None:
        yield HeuristicExtractor()
        return
    import anthropic

    from ai.extract.claude import ClaudeExtractor

    client = anthropic.AsyncAnthropic(api_key=settings.anthropic_api_key.get_secret_value(), max_retries=1)
    try:
        yield FallbackExtractor(ClaudeExtractor(client, settings.anthropic_model))
    finally:
        await client.close()


async def run(
    prompt: str, *, actor: str = DEFAULT_ACTOR, settings: Settings | None = None
) -> AiParseResponse:
    """Parse `prompt` as the member with identifier `actor`."""
    settings = settings or Settings()
    async with ticket_service(settings) as service, extractor(settings) as reader:
        member = await service.member_for_identifier(actor) if actor else None
        parser = TicketParser(reader, service)
        return await parser.parse(prompt, actor_member_id=member.id if member else None)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m ai.parse", description=__doc__.splitlines()[0])
    parser.add_argument("--as", dest="actor", default=DEFAULT_ACTOR, help="PSA member identifier 'me' means")
    parser.add_argument("prompt", help="the ticket request, in plain words")
    args = parser.parse_args(argv)
    response = asyncio.run(run(args.prompt, actor=args.actor))
    sys.stdout.write(response.model_dump_json(indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

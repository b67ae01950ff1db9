"""The worker's Teams side: deliver outbox rows for people to their personal chat
with the bot, proactively, through the Agents SDK (`continue_conversation`: the
Connector client with the app's own token, as for a reply).

A person's chat is known once they wrote to the bot there or installed the app
for themselves (`ChatIdentity.address`, kept by `bot/teams/app.py`). Someone
linked to Teams without one (linked by e-mail from a channel @mention) is not
reachable yet: the row ends dead and `scheduling.delivery.unreachable` tells
their team leader once, instead of trying every tick.

Limits: every message first takes its slot per conversation in the fleet's gate
(`TEAMS_CONVERSATION`), or waits without a call; a 429 pauses the whole app in
the database for its Retry-After, so no process calls inside the window. Errors
no retry can fix (403: the bot was removed or blocked, 404: the conversation or
user is gone, 401: our credentials) are `PermanentFailure`s.

Referral threads and cards in a team's channel are not built yet: this sender
is never chosen for a thread line (no referral has a Teams home channel).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

import aiohttp
from microsoft_agents.activity import (
    Activity,
    ActivityEventNames,
    ActivityTypes,
    ChannelAccount,
    ConversationAccount,
)
from microsoft_agents.hosting.core import AccessTokenProviderBase, TurnContext
from sqlmodel import Session, select

from bot.app import KetenBot
from bot.teams.app import TeamsAdapter, connections, plain
from bot.teams.auth import auth_configuration
from bot.teams.runtime import PLATFORM
from messages import Renderer
from scheduling.delivery.contract import (
    Deferred,
    Outgoing,
    PermanentFailure,
    TemporaryFailure,
)
from scheduling.delivery.ratelimit import TEAMS_CONVERSATION, Key, RateGate
from storage.models import ChatIdentity

log = logging.getLogger("ketenbot.teams")

CHANNEL = "msteams"
PERMANENT = {401: "teams: the app's credentials were refused (401)",
             403: "teams: the bot was removed or blocked (403)",
             404: "teams: the conversation or the user is gone (404)"}
NO_CHAT = "teams: no personal chat with the bot yet"
DEFAULT_WAIT = 30.0  # a 429 without Retry-After


class TeamsSender:
    platform = PLATFORM

    def __init__(self, bot: KetenBot, token_provider: AccessTokenProviderBase | None = None,
                 gate: RateGate | None = None) -> None:
        settings = bot.settings
        if not settings.teams_enabled or not settings.teams_app_id:
            raise ValueError("Teams needs KETENBOT_TEAMS_APP_ID, KETENBOT_TEAMS_APP_PASSWORD "
                             "and KETENBOT_TEAMS_TENANT_IDS")
        self.bot = bot
        self.app_id = settings.teams_app_id
        self.adapter = TeamsAdapter(connections(auth_configuration(settings), token_provider),
                                    settings.teams_service_host_check, settings.language)
        self.renderer = Renderer(PLATFORM)
        self.loop = asyncio.new_event_loop()
        self.gate = gate or RateGate(bot.engine)
        self.gate_key = Key(PLATFORM, self.app_id, "*")

    def paused_until(self, now: datetime) -> datetime | None:
        return self.gate.until(self.gate_key, now)

    def close(self) -> None:
        self.loop.close()

    def deliver(self, message: Outgoing) -> None:
        if message.person is None or message.kind == "reply":
            # No Teams threads yet, and Teams answers a command in its own request.
            log.warning("teams row without a person skipped", extra={"outbox": message.id})
            return
        person = message.person
        with Session(self.bot.engine) as session:
            address = session.exec(select(ChatIdentity.address).where(
                ChatIdentity.person_id == person.id,
                ChatIdentity.platform == PLATFORM)).first()
        if address is None:
            raise PermanentFailure(NO_CHAT)
        lang = person.language or self.bot.settings.language
        text = self.renderer.render_name(message.template, message.payload, lang)
        now = self.bot.clock()
        conversation = str(address["conversation_id"])
        until = self.gate.take(now, [self.gate_key],
                               [(Key(PLATFORM, self.app_id, f"conv:{conversation}"),
                                 TEAMS_CONVERSATION)])
        if until is not None:
            raise Deferred((until - now).total_seconds(), "teams: waiting for a slot")
        try:
            self.loop.run_until_complete(self._send(dict(address), text))
        except aiohttp.ClientResponseError as exc:
            if exc.status == 429:
                wait = _retry_after(exc.headers)
                self.gate.pause(self.gate_key, self.bot.clock(), wait)
                raise TemporaryFailure(wait, "teams: 429 too many requests") from None
            if exc.status in PERMANENT:
                raise PermanentFailure(PERMANENT[exc.status]) from None
            raise TemporaryFailure(None, f"teams: HTTP {exc.status}") from None
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise TemporaryFailure(None, f"teams: {type(exc).__name__}") from None

    async def _send(self, address: dict[str, Any], text: str) -> None:
        """One proactive message. The SDK runs the callback in a turn whose errors
        go to the adapter's turn error handler; the error is kept and raised here
        so the dispatcher sees it."""
        failure: list[BaseException] = []

        async def send(context: TurnContext) -> None:
            try:
                await context.send_activity(plain(text))
            except Exception as exc:
                failure.append(exc)

        await self.adapter.continue_conversation(
            self.app_id, _continuation(address, self.app_id), send)
        if failure:
            raise failure[0]


def _continuation(address: dict[str, Any], app_id: str) -> Activity:
    """The SDK's continuation event for the stored personal chat."""
    return Activity(
        type=ActivityTypes.event, name=ActivityEventNames.continue_conversation,
        channel_id=CHANNEL, service_url=str(address["service_url"]),
        conversation=ConversationAccount(id=str(address["conversation_id"]),
                                         conversation_type="personal",
                                         tenant_id=address.get("tenant_id") or None),
        from_property=ChannelAccount(id=str(address["user_id"])),
        recipient=ChannelAccount(id=str(address.get("bot_id") or f"28:{app_id}")))


def _retry_after(headers: Any) -> float:
    try:
        return max(0.0, float(str((headers or {}).get("Retry-After"))))
    except (TypeError, ValueError):
        return DEFAULT_WAIT

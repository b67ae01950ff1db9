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

A thread line goes into the referral's thread in its team's channel
(`teams_channel` in the directory): the first line posts the root, an Adaptive
Card with the status and the buttons (`bot/teams/cards.py`), as a new
conversation in that channel, and remembers it (ReferralThread); each line is
a reply in that thread, and the root card is updated when what it shows
changed (its digest is kept). The line and the root update are recorded as
separate parts, as for Slack, so a retry after a failed update never posts the
line twice. A channel has no one reader: the deployment's language.
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
    Attachment,
    ChannelAccount,
    ConversationAccount,
    ConversationParameters,
)
from microsoft_agents.hosting.core import (
    AccessTokenProviderBase,
    ConnectorClientBase,
    TurnContext,
)
from sqlmodel import Session, select

from bot.app import KetenBot
from bot.teams.app import TeamsAdapter, connections, plain
from bot.teams.auth import auth_configuration
from bot.teams.cards import CARD, actions_for, card, root_card
from bot.teams.runtime import PLATFORM
from handlers.threads import (
    remember_root,
    root_digest,
    said_by_root,
    thread_or_home,
)
from messages import Renderer
from messages.buttons import DM_BUTTONS
from scheduling.delivery.contract import (
    Deferred,
    Outgoing,
    PermanentFailure,
    TemporaryFailure,
)
from scheduling.delivery.ratelimit import TEAMS_CONVERSATION, Key, RateGate
from storage.db import session_scope
from storage.models import ChatIdentity
from storage.tables import Referral, ReferralThread

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
        if message.kind == "reply":  # Teams answers a command in its own request
            log.warning("teams reply row skipped", extra={"outbox": message.id})
            return
        if message.person is None:
            if message.referral_id is not None:
                self._thread_line(message, message.referral_id)
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
        activity = plain(text)
        buttons = self._buttons(message, lang)
        if buttons:  # the text stays plain; the card under it only holds the buttons
            activity.attachments = [Attachment(content_type=CARD, content=card([], buttons))]
        conversation = str(address["conversation_id"])
        self._call(conversation, self._send(dict(address), activity))

    def _buttons(self, message: Outgoing, lang: str) -> list[dict[str, Any]]:
        """A reminder's, a notice's or an escalation's buttons for the step it is
        about, as Slack's DMs have them; a press answers as a thread card's does."""
        only = DM_BUTTONS.get(message.kind)
        if only is None or message.referral_id is None:
            return []
        with Session(self.bot.engine) as session:
            ref = session.get(Referral, message.referral_id)
            if ref is None or ref.status != "open":
                return []
            return actions_for(ref, self.bot.routes, lang, only)

    def _call(self, conversation: str, work: Any) -> Any:
        """One Connector call into `conversation`: its slot first, then the call,
        with the Connector's errors as the dispatcher's failures."""
        now = self.bot.clock()
        until = self.gate.take(now, [self.gate_key],
                               [(Key(PLATFORM, self.app_id, f"conv:{conversation}"),
                                 TEAMS_CONVERSATION)])
        if until is not None:
            work.close()  # never awaited: no call made
            raise Deferred((until - now).total_seconds(), "teams: waiting for a slot")
        try:
            return self.loop.run_until_complete(work)
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

    async def _send(self, address: dict[str, Any], activity: Activity) -> None:
        """One proactive message. The SDK runs the callback in a turn whose errors
        go to the adapter's turn error handler; the error is kept and raised here
        so the dispatcher sees it."""
        failure: list[BaseException] = []

        async def send(context: TurnContext) -> None:
            try:
                await context.send_activity(activity)
            except Exception as exc:
                failure.append(exc)

        await self.adapter.continue_conversation(
            self.app_id, _continuation(address, self.app_id), send)
        if failure:
            raise failure[0]

    # -- a referral's thread ---------------------------------------------------

    def _thread_line(self, message: Outgoing, referral_id: int) -> None:
        lang = self.bot.settings.language
        text = self.renderer.render_name(message.template, message.payload, lang)
        found = self._thread(referral_id, lang)
        if found is None:
            log.warning("referral has no Teams channel, line skipped",
                        extra={"referral": referral_id, "outbox": message.id})
            return
        thread, new = found
        line = f"{PLATFORM}:line"
        if not message.has(line):
            if not (new and said_by_root(self.bot.engine, message.template, message.payload,
                                          referral_id)):
                conversation = f"{thread.channel};messageid={thread.root_id}"
                self._call(thread.channel, self._channel_call(
                    lambda client: client.conversations.send_to_conversation(
                        conversation, plain(text))))
            message.mark(line)
        summary, content = self._root(referral_id, lang)
        digest = root_digest(summary, content)
        if digest == thread.root_hash:
            return  # the root shows this already (just posted, or a press refreshed it)
        update = _card_activity(summary, content)
        update.id = thread.root_id
        try:
            self._call(thread.channel, self._channel_call(
                lambda client: client.conversations.update_activity(
                    thread.channel, thread.root_id, update)))
        except PermanentFailure as exc:  # the root was deleted: the line is there
            if "404" not in exc.reason:
                raise
            log.info("teams root card not updated", extra={"referral": referral_id})
            return
        with session_scope(self.bot.engine) as session:
            remember_root(session, referral_id, PLATFORM, digest)

    def _thread(self, referral_id: int, lang: str) -> tuple[ReferralThread, bool] | None:
        """The referral's root card in its channel (and whether it was posted just
        now), posting it first when there is none."""
        existing, channel = thread_or_home(self.bot.engine, referral_id, PLATFORM)
        if existing is not None:
            return existing, False
        if channel is None:
            return None
        summary, content = self._root(referral_id, lang)
        tenant = self.bot.settings.teams_tenant_ids[0]
        params = ConversationParameters(
            is_group=True, tenant_id=tenant,
            channel_data={"channel": {"id": channel}, "tenant": {"id": tenant}},
            activity=_card_activity(summary, content))
        created = self._call(channel, self._channel_call(
            lambda client: client.conversations.create_conversation(params)))
        root_id = created.activity_id or str(created.id).rpartition(";messageid=")[2]
        thread = ReferralThread(referral_id=referral_id, platform=PLATFORM, channel=channel,
                                root_id=root_id, root_hash=root_digest(summary, content))
        with session_scope(self.bot.engine) as session:
            session.add(thread)
        log.info("teams thread started", extra={"referral": referral_id})
        return thread, True

    def _root(self, referral_id: int, lang: str) -> tuple[str, dict[str, Any]]:
        with Session(self.bot.engine) as session:
            ref = session.get(Referral, referral_id)
            assert ref is not None
            today = self.bot.clock().astimezone(self.bot.calendar().tz).date()
            return root_card(session, ref, self.bot.routes, self.renderer, lang, today)

    async def _channel_call(self, call: Any) -> Any:
        """A Connector call with the app's token, in a proactive turn on the
        configured Connector (the channel's own serviceUrl is not known before
        anything came from it)."""
        failure: list[BaseException] = []
        result: list[Any] = []

        async def run(context: TurnContext) -> None:
            client = context.services.get(ConnectorClientBase)  # type: ignore[type-abstract]
            try:
                result.append(await call(client))
            except Exception as exc:
                failure.append(exc)

        continuation = Activity(
            type=ActivityTypes.event, name=ActivityEventNames.continue_conversation,
            channel_id=CHANNEL, service_url=self.bot.settings.teams_service_url,
            conversation=ConversationAccount(id="channel", conversation_type="channel",
                                             tenant_id=self.bot.settings.teams_tenant_ids[0]),
            recipient=ChannelAccount(id=f"28:{self.app_id}"))
        await self.adapter.continue_conversation(self.app_id, continuation, run)
        if failure:
            raise failure[0]
        return result[0] if result else None


def _card_activity(summary: str, content: dict[str, Any]) -> Activity:
    """A message with the card; `summary` is what a notification shows."""
    return Activity(type=ActivityTypes.message, summary=summary.splitlines()[0],
                    attachments=[Attachment(content_type=CARD, content=content)])


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

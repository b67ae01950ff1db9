"""The Agents SDK side: an adapter over its HTTP core, and the agent's turn.

`TeamsAdapter` is the SDK's `HttpAdapterBase` (activity parsing, the turn
context, the Connector client with our app's token, reply-to) with its turn
error handler replaced: one log line, and a plain sentence to the user in
place of the SDK's exception text and traceback. `KetenbotAgent` handles
message activities, and keeps a linked person's personal chat (from their
messages there and from the app's personal installation) so the outbox can
write to them first (`bot/teams/sender.py`); other activities are acknowledged.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Any

from microsoft_agents.activity import (
    Activity,
    ActivityTypes,
    AdaptiveCardInvokeResponse,
    AdaptiveCardInvokeValue,
    TextFormatTypes,
)
from microsoft_agents.hosting.core import (
    AccessTokenProviderBase,
    ActivityHandler,
    AgentAuthConfiguration,
    ConnectionManager,
    ConnectorClientBase,
    HttpAdapterBase,
    OutboundHostValidator,
    TurnContext,
)

from bot.app import KetenBot
from bot.teams.cards import CARD, card, text_blocks
from bot.teams.runtime import FAILED, PLATFORM, Answer, TeamsRuntime
from bot.teams.text import bot_mention_texts, command_text
from scheduling.outage import database_lost
from storage import events
from storage.models import Person

log = logging.getLogger("ketenbot.teams")

PERSONAL = "personal"  # conversation.conversationType of a one-to-one chat
MAX_ID = 64  # an Entra object id is a GUID (36); chat_identity.external_id holds 64


def connections(config: AgentAuthConfiguration,
                token_provider: AccessTokenProviderBase | None = None) -> ConnectionManager:
    """The app's one connection: MSAL with the client secret, or (tests) a given provider."""
    if token_provider is not None:
        provided = token_provider
        return ConnectionManager(lambda _cfg: provided, {"SERVICE_CONNECTION": config})
    from microsoft_agents.authentication.msal import MsalAuth

    return ConnectionManager(MsalAuth, {"SERVICE_CONNECTION": config})


class TeamsAdapter(HttpAdapterBase):
    def __init__(self, connection_manager: ConnectionManager, host_check: bool,
                 lang: str) -> None:
        super().__init__(connection_manager=connection_manager,
                         host_validator=OutboundHostValidator(enabled=host_check))
        self.lang = lang

        async def on_turn_error(context: TurnContext, error: Exception) -> None:
            if database_lost(error):
                log.warning("teams turn not handled: database unreachable")
            else:
                log.error("teams turn failed: %s", type(error).__name__)
            if context.activity is None or context.activity.type != ActivityTypes.message:
                return
            try:
                await context.send_activity(plain(FAILED.get(self.lang, FAILED["nl"])))
            except Exception as exc:  # the Connector itself failed: nobody to tell
                log.warning("teams error answer not sent: %s", type(exc).__name__)

        self.on_turn_error = on_turn_error


FAILED_AGAIN = {"nl": "Deze knop is al verwerkt.", "en": "This button was handled already."}


def _card_response(content: dict[str, Any]) -> AdaptiveCardInvokeResponse:
    return AdaptiveCardInvokeResponse(status_code=200, type=CARD, value=content)


def _address(activity: Activity) -> dict[str, str] | None:
    """Where the bot can write to this personal chat first (the sender's part)."""
    if (activity.conversation is None or activity.from_property is None
            or not activity.service_url):
        return None
    return {"service_url": activity.service_url,
            "conversation_id": activity.conversation.id,
            "user_id": activity.from_property.id,
            "bot_id": activity.recipient.id if activity.recipient else "",
            "tenant_id": activity.conversation.tenant_id or ""}


def plain(text: str) -> Activity:
    """A message as plain text: nothing typed or from the directory becomes
    markup or a mention."""
    return Activity(type=ActivityTypes.message, text=text, text_format=TextFormatTypes.plain)


class KetenbotAgent(ActivityHandler):
    def __init__(self, bot: KetenBot, runtime: TeamsRuntime | None = None) -> None:
        self.bot = bot
        self.runtime = runtime or TeamsRuntime(bot)

    async def on_message_activity(self, turn_context: TurnContext) -> None:  # type: ignore[override]
        activity = turn_context.activity
        user = activity.from_property
        user_id = user.aad_object_id if user is not None else None
        conversation = activity.conversation
        # Only a one-to-one chat is private; a channel or group chat (or a
        # conversation of no stated type) is read by others.
        personal = conversation is not None and conversation.conversation_type == PERSONAL
        entities = [e.model_dump(mode="json", by_alias=True, exclude_none=True)
                    for e in activity.entities or []]
        recipient = activity.recipient.id if activity.recipient else None
        mentions = bot_mention_texts(entities, recipient)
        if not personal and not mentions:
            return  # in a channel the bot answers only when it is @mentioned
        if not user_id or len(user_id) > MAX_ID:  # no Entra account (a meeting guest)
            log.info("teams message without an Entra user ignored")
            return
        # Bot Framework sends an activity again when the bot was slow to answer:
        # one answer per activity (the key is hashed: Teams ids are long).
        seen = (hashlib.sha256(f"{conversation.id if conversation else ''}/{activity.id}"
                               .encode()).hexdigest() if activity.id else None)
        address = _address(activity) if personal else None
        # One thread hop and one transaction for what every message needs first.
        first, actor = await asyncio.to_thread(self.runtime.begin, seen, user_id, address)
        if not first:
            log.info("teams activity seen before, skipped")
            return
        text = command_text(activity.text, mentions)
        answer = await self.respond(turn_context, user_id, text, actor)
        if personal and actor is None:  # linked just now (by e-mail): keep the chat
            await self.remember(turn_context, user_id)
        if answer.linked:
            await turn_context.send_activity(plain(answer.linked))
        await turn_context.send_activity(plain(answer.text))

    async def on_adaptive_card_invoke(  # type: ignore[override]
            self, turn_context: TurnContext,
            invoke_value: AdaptiveCardInvokeValue) -> AdaptiveCardInvokeResponse:
        """A card's button (`Action.Execute`): the card the presser sees next."""
        activity = turn_context.activity
        user = activity.from_property
        user_id = user.aad_object_id if user is not None else None
        action = invoke_value.action
        data = action.data if isinstance(action.data, dict) else {}
        verb, ref = str(action.verb or ""), str(data.get("ref") or "")
        rt = self.runtime
        if not user_id or len(user_id) > MAX_ID:
            content = card(text_blocks(rt.renderer.render_name(
                "error", {"code": "not_linked", "hint": ""}, rt.lang(None, activity.locale)),
                first_bold=False), [])
            return _card_response(content)
        try:
            content = await self._press(turn_context, user_id, verb, ref)
        except Exception as exc:  # the database went away: a sentence on the card, no trace
            content = card(text_blocks(rt.failed(exc), first_bold=False), [])
        return _card_response(content)

    async def _press(self, turn_context: TurnContext, user_id: str, verb: str,
                     ref: str) -> dict[str, Any]:
        activity = turn_context.activity
        rt = self.runtime
        seen = hashlib.sha256(f"invoke/{user_id}/{activity.id}".encode()).hexdigest()
        if activity.id and not await asyncio.to_thread(
                events.first_time, self.bot.engine, PLATFORM, seen, self.bot.clock()):
            log.info("teams card action seen before, skipped")
            return card(text_blocks(FAILED_AGAIN.get(rt.lang(None, activity.locale),
                                                     FAILED_AGAIN["nl"]), first_bold=False), [])
        actor = await asyncio.to_thread(rt.person, user_id)
        if actor is None:
            email = await self.email(turn_context)
            if email:
                actor = await asyncio.to_thread(rt.link_by_email, user_id, email)
        log.info("teams card action", extra={"action": verb[:20]})
        return await asyncio.to_thread(rt.press, actor, user_id, verb, ref, activity.locale)

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:  # type: ignore[override]
        """The app was installed for someone (personal scope): their chat is known."""
        await self._personal_chat(turn_context)

    async def on_members_added_activity(self, members_added: Any,  # type: ignore[override]
                                        turn_context: TurnContext) -> None:
        await self._personal_chat(turn_context)

    async def _personal_chat(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        conversation = activity.conversation
        user = activity.from_property
        if conversation is None or conversation.conversation_type != PERSONAL or user is None:
            return  # a team or group chat: no one person's chat
        if user.aad_object_id and len(user.aad_object_id) <= MAX_ID:
            await self.remember(turn_context, user.aad_object_id)

    async def remember(self, turn_context: TurnContext, user_id: str) -> None:
        address = _address(turn_context.activity)
        if address is None:
            return
        try:
            await asyncio.to_thread(self.runtime.remember_address, user_id, address)
        except Exception as exc:  # the answer still goes out; the next message tries again
            log.warning("teams personal chat not recorded: %s", type(exc).__name__)

    async def respond(self, turn_context: TurnContext, user_id: str, text: str,
                      actor: Person | None) -> Answer:
        rt = self.runtime
        activity = turn_context.activity
        personal = (activity.conversation is not None
                    and activity.conversation.conversation_type == PERSONAL)
        refused = rt.refused_first(text)  # a BSN: before any look-up or Connector call
        if refused is not None:
            return Answer(rt.renderer.render(refused, rt.lang(actor, activity.locale)))
        linked_now = False
        if actor is None:
            email = await self.email(turn_context)
            if email:
                actor = await asyncio.to_thread(rt.link_by_email, user_id, email)
                linked_now = actor is not None
        return await asyncio.to_thread(rt.answer, actor, user_id, text, personal, linked_now,
                                       turn_context.activity.locale)

    async def email(self, turn_context: TurnContext) -> str | None:
        """The sender's e-mail address (else UPN) from the Connector's member
        look-up: Teams puts neither in the activity."""
        activity = turn_context.activity
        client = turn_context.services.get(ConnectorClientBase)  # type: ignore[type-abstract]
        if client is None or activity.conversation is None or activity.from_property is None:
            return None
        # A channel message's conversation is the channel plus `;messageid=…` (its
        # thread): the members are the channel's.
        conversation_id = activity.conversation.id.split(";messageid=", 1)[0]
        try:
            member = await client.conversations.get_conversation_member(
                conversation_id, activity.from_property.id)
        except Exception as exc:
            log.warning("teams member look-up failed: %s", type(exc).__name__)
            return None
        extra = member.model_extra or {}
        for key in ("email", "userPrincipalName", "user_principal_name"):
            value = extra.get(key)
            if isinstance(value, str) and "@" in value:
                return value
        return None

"""The worker's Telegram side: deliver outbox rows through the Bot API.

`deliver()` is synchronous (the dispatcher calls it outside any transaction);
it drives python-telegram-bot's async `Bot` on an event loop the sender owns.
A person's message goes to their private chat (chat id = Telegram user id).
A thread line goes to the referral's place in the team's group: a forum
topic of its own when the group is a forum, else replies to a root message;
the root is then edited to show the referral's current state and buttons,
unless it shows that already (a digest of it is kept: a root just posted
needs no edit, nor does a step line that only repeats what it says).
A command's answer (kind "reply", queued by the webhook when its own attempt
failed) goes to the chat it came from, as rendered then.

Flood control (RetryAfter) pauses the whole bot for `retry_after` in the
fleet's gate (`scheduling.delivery.ratelimit`, in the database), so no process
calls inside the window; and every message first takes its slots there, at
Telegram's published limits (30/s per bot, 20/min per group, 1/s per chat),
or is deferred to the slot's end without a call.
Errors no retry can fix (blocked by the user, chat not found,
deactivated) become `PermanentFailure`. The line and the root edit are
recorded as separate parts, so a retry never posts the line twice. PTB's
AIORateLimiter is not used: it waits out a RetryAfter by sleeping in the
process, where the durable outbox keeps the wait across restarts instead.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Coroutine
from datetime import datetime
from typing import Any, TypeVar

from sqlmodel import Session, select
from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.warnings import PTBDeprecationWarning

from bot.app import KetenBot
from bot.telegram.app import PLATFORM
from bot.telegram.contact_keyboard import entry_keyboard
from bot.telegram.errors import pause_key, permanent, retry_seconds, slots
from bot.telegram.keyboards import escalation_keyboard, referral_keyboard
from bot.telegram.text import clip, file_url
from handlers.contacts.selfservice import FRESHNESS_BUTTONS
from handlers.referrals.membership import gemeente_name
from handlers.referrals.view import status_view
from handlers.threads import (
    remember_root,
    root_digest,
    said_by_root,
    thread_or_home,
)
from messages import Renderer
from messages.labels import LABELS
from scheduling.delivery.contract import Deferred, Outgoing, TemporaryFailure
from scheduling.delivery.ratelimit import RateGate
from storage.db import session_scope
from storage.models import ChatIdentity
from storage.tables import Referral, ReferralThread

log = logging.getLogger("ketenbot.telegram")
T = TypeVar("T")
WITH_BUTTONS = ("notice", "reminder", "escalation")  # person messages about a referral
class TelegramSender:
    platform = PLATFORM

    def __init__(self, bot: KetenBot, api: Bot | None = None,
                 gate: RateGate | None = None) -> None:
        token = bot.settings.reveal("telegram_bot_token")
        if not token:
            raise ValueError("KETENBOT_TELEGRAM_BOT_TOKEN is not set")
        self.bot = bot
        self.renderer = Renderer(PLATFORM)
        self.loop = asyncio.new_event_loop()
        url = bot.settings.telegram_api_url
        self.api = api or Bot(token, base_url=url, base_file_url=file_url(url))
        self._ready = False
        self.gate = gate or RateGate(bot.engine)
        self.token = token
        self.gate_key = pause_key(token)

    def paused_until(self, now: datetime) -> datetime | None:
        return self.gate.until(self.gate_key, now)

    def _slot(self, chat_id: int) -> None:
        """Take this message's slots in the fleet's gate, or defer it (no call)."""
        now = self.bot.clock()
        until = self.gate.take(now, [self.gate_key], slots(self.token, chat_id))
        if until is not None:
            raise Deferred((until - now).total_seconds(), "telegram: waiting for a slot")

    # -- plumbing ----------------------------------------------------------------
    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        with warnings.catch_warnings():
            # PTB 22 warns about RetryAfter's int form while building the error.
            warnings.filterwarnings("ignore", ".*retry_after.*", PTBDeprecationWarning)
            return self.loop.run_until_complete(coro)

    def close(self) -> None:
        if self._ready:
            self._run(self.api.shutdown())
            self._ready = False
        self.loop.close()

    def deliver(self, message: Outgoing) -> None:
        try:
            if not self._ready:
                self._run(self.api.initialize())
                self._ready = True
            if message.kind == "reply":
                self._reply(message)
            elif message.person is None:
                self._thread_line(message)
            else:
                self._to_person(message)
        except RetryAfter as exc:
            wait = retry_seconds(exc)
            # From the refusal on (not from the start of the delivery).
            self.gate.pause(self.gate_key, self.bot.clock(), wait)
            raise TemporaryFailure(wait, "telegram flood control") from None
        except TelegramError as exc:
            dead = permanent(exc)  # blocked, chat gone, ...
            if dead is not None:
                raise dead from None
            if isinstance(exc, BadRequest) or not isinstance(exc, (TimedOut, NetworkError)):
                raise
            # a timeout, a lost connection or a 5xx answer
            raise TemporaryFailure(None, f"telegram: {type(exc).__name__}") from None

    # -- a command's answer --------------------------------------------------------
    def _reply(self, message: Outgoing) -> None:
        p = message.payload
        markup = (InlineKeyboardMarkup.de_json(p["markup"], self.api)
                  if p.get("markup") else None)
        self._slot(int(p["chat_id"]))
        self._run(self.api.send_message(int(p["chat_id"]), str(p["text"]),
                                        reply_markup=markup))

    # -- a person ------------------------------------------------------------------
    def _to_person(self, message: Outgoing) -> None:
        person = message.person
        assert person is not None
        lang = person.language or self.bot.settings.language
        with Session(self.bot.engine) as session:
            chat = session.exec(select(ChatIdentity.external_id).where(
                ChatIdentity.person_id == person.id,
                ChatIdentity.platform == PLATFORM)).first()
            ref = session.get(Referral, message.referral_id) if message.referral_id else None
            markup = (referral_keyboard(ref, self.bot.routes, lang)
                      if ref is not None and message.kind in WITH_BUTTONS else None)
            markup = markup or escalation_keyboard(message.template, message.payload, lang)
            if message.template == "freshness_ask":  # answer the round with one tap
                markup = entry_keyboard(list(FRESHNESS_BUTTONS), lang)
            elif message.template == "koppel_proposal":
                markup = entry_keyboard(["koppel_ja", "koppel_nee"], lang)
        if chat is None:  # unlinked since it was chosen: try again later
            raise TemporaryFailure(None, "telegram: recipient no longer linked")
        text = clip(self.renderer.render_name(message.template, message.payload, lang))
        self._slot(int(chat))
        self._run(self.api.send_message(int(chat), text, reply_markup=markup))

    # -- a referral's thread -------------------------------------------------------
    def _thread_line(self, message: Outgoing) -> None:
        if message.referral_id is None:
            log.warning("thread line without a referral, skipped", extra={"outbox": message.id})
            return
        lang = self.bot.settings.language
        found = self._thread(message.referral_id, lang)
        if found is None:
            return  # the referral has no Telegram group (any more)
        thread, new = found
        line = f"{PLATFORM}:line"
        if not message.has(line):
            if not (new and said_by_root(self.bot.engine, message.template, message.payload,
                                          message.referral_id)):
                text = clip(self.renderer.render_name(message.template, message.payload, lang))
                self._slot(int(thread.channel))
                self._run(self.api.send_message(
                    int(thread.channel), text,
                    message_thread_id=int(thread.topic_id) if thread.topic_id else None,
                    reply_to_message_id=None if thread.topic_id else int(thread.root_id)))
            message.mark(line)
        self._edit_root(thread, lang)

    def _root(self, referral_id: int, lang: str) -> tuple[str, InlineKeyboardMarkup | None, str]:
        """The root message's text and buttons now, and the topic's name."""
        with Session(self.bot.engine) as session:
            ref = session.get(Referral, referral_id)
            assert ref is not None
            ctx = self.bot.context(PLATFORM, None, lang)
            data = status_view(session, ctx, ref, headline=None)
            text = self.renderer.render_name("thread_root", data, lang)
            # "KB-0001 · 301 · Ede", "JT-0004 · Jeugdbeschermingstafel · Ede": the group's
            # language is nobody's in particular, so the default's words.
            kind = ref.route if ref.route in ("301", "315") else LABELS["nl"]["case"][ref.route]
            topic = f"{ref.ref} · {kind} · {gemeente_name(session, ref)}"[:128]
            return clip(text), referral_keyboard(ref, self.bot.routes, lang), topic

    def _thread(self, referral_id: int, lang: str) -> tuple[ReferralThread, bool] | None:
        """The referral's place in its group (and whether it was made just now)."""
        existing, channel = thread_or_home(self.bot.engine, referral_id, PLATFORM)
        if existing is not None:
            return existing, False
        if channel is None:
            return None
        text, markup, name = self._root(referral_id, lang)
        chat = self._run(self.api.get_chat(int(channel)))
        topic_id: int | None = None
        if chat.is_forum:
            self._slot(int(channel))
            topic = self._run(self.api.create_forum_topic(int(channel), name))
            topic_id = topic.message_thread_id
        self._slot(int(channel))
        root = self._run(self.api.send_message(int(channel), text, reply_markup=markup,
                                               message_thread_id=topic_id))
        thread = ReferralThread(referral_id=referral_id, platform=PLATFORM, channel=channel,
                                root_id=str(root.message_id),
                                topic_id=str(topic_id) if topic_id else None,
                                root_hash=_digest(text, markup))
        with session_scope(self.bot.engine) as session:
            session.add(thread)
            session.flush()
            session.expunge(thread)
        return thread, True

    def _edit_root(self, thread: ReferralThread, lang: str) -> None:
        text, markup, _ = self._root(thread.referral_id, lang)
        digest = _digest(text, markup)
        if digest == thread.root_hash:
            return  # it shows this already
        self._slot(int(thread.channel))
        try:
            self._run(self.api.edit_message_text(text, chat_id=int(thread.channel),
                                                 message_id=int(thread.root_id),
                                                 reply_markup=markup))
        except BadRequest as exc:
            if permanent(exc) is not None and "not found" not in str(exc).lower():
                raise
            # "message is not modified" (nothing changed), or the root is gone:
            # the line itself was delivered, which is what counts.
            log.info("telegram root message not edited",
                     extra={"referral": thread.referral_id, "error": type(exc).__name__})
        with session_scope(self.bot.engine) as session:
            remember_root(session, thread.referral_id, PLATFORM, digest)


def _digest(text: str, markup: InlineKeyboardMarkup | None) -> str:
    return root_digest(text, markup.to_dict() if markup is not None else None)

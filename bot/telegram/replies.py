"""Command answers on Telegram, through the durable outbox.

Each answer is first queued (an outbox row held for `HOLD`), then sent at once
in the background, so the webhook answers Telegram without waiting for the
Bot API. Queueing also takes the answer's slots in the fleet's rate-limit gate
(`scheduling.delivery.ratelimit`), in the same transaction: while the bot is
paused after a 429, or the chat has had its message this second, the row is
left to the worker for the slot's end instead, and no call is made.
If that send fails (flood control, a network error) the row keeps its
place with the usual retry time and the worker delivers it: an answer is
never lost, nor sent twice (the row is marked sent only after the call, and
the worker's dispatcher leaves it alone while it is held).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import RetryAfter, TelegramError

from bot.app import KetenBot
from bot.telegram.errors import pause_key, permanent, retry_seconds, slots
from scheduling.delivery.contract import TemporaryFailure
from scheduling.delivery.dispatch import mark_sent, settle
from scheduling.delivery.ratelimit import RateGate
from storage import inbox
from storage.db import session_scope
from storage.outbox import enqueue_reply

log = logging.getLogger("ketenbot.telegram")
PLATFORM = "telegram"
HOLD = timedelta(seconds=30)  # the worker leaves a fresh answer to the web process this long
FLUSH_AFTER = 0.02  # seconds: answers sent meanwhile are marked sent in one statement


class Replies:
    def __init__(self, bot: KetenBot, api: Bot) -> None:
        self.bot, self.api = bot, api
        self.key = pause_key(api.token)
        self.gate = RateGate(bot.engine)
        self.tasks: set[asyncio.Task[Any]] = set()
        self._sent: list[int] = []
        self._flushing: asyncio.Future[None] | None = None

    async def send(self, chat_id: int, text: str,
                   markup: InlineKeyboardMarkup | None = None, purge: str | None = None) -> None:
        oid, now = await asyncio.to_thread(self.queue, chat_id, text, markup, purge)
        if now:
            self.start(oid, chat_id, text, markup)

    def start(self, oid: int, chat_id: int, text: str,
              markup: InlineKeyboardMarkup | None) -> None:
        """Send a queued answer in the background (event loop)."""
        task = asyncio.ensure_future(self._attempt(oid, chat_id, text, markup,
                                                   self.bot.clock()))
        self.tasks.add(task)
        task.add_done_callback(self._done)

    def queue(self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None,
              purge: str | None = None) -> tuple[int, bool]:
        """Queue an answer (worker thread: database); whether this process sends
        it now (it holds the slot) or the worker does, at the slot's end.
        `purge`: a credential's or a stranger's answer, emptied once delivered."""
        now = self.bot.clock()
        with session_scope(self.bot.engine) as session:
            wait = self.gate.take_in(session.connection(), now, [self.key],
                                     slots(self.api.token, chat_id))
            oid = enqueue_reply(session, platform=PLATFORM, chat_id=str(chat_id), text=text,
                                now=now, hold_until=now + HOLD if wait is None else wait,
                                markup=markup.to_dict() if markup is not None else None,
                                purge=purge)
            inbox.done_in(session.connection())  # the update it answers, in the same commit
            return oid, wait is None

    async def _attempt(self, oid: int, chat_id: int, text: str,
                       markup: InlineKeyboardMarkup | None, now: Any) -> None:
        error: Exception | None = None
        try:
            await self.api.send_message(chat_id, text, reply_markup=markup)
        except RetryAfter as exc:
            wait = retry_seconds(exc)
            await asyncio.to_thread(self.gate.pause, self.key, self.bot.clock(), wait)
            error = TemporaryFailure(wait, "telegram flood control")
        except TelegramError as exc:
            error = permanent(exc) or TemporaryFailure(None, f"telegram: {type(exc).__name__}")
        if error is None:
            # Marked sent in batches: under load one UPDATE for many answers. (A
            # crash before the batch is written sends those answers once more,
            # after the hold: at least once, never lost.)
            self._sent.append(oid)
            if self._flushing is None:
                self._flushing = asyncio.ensure_future(self._flush())
            return
        await asyncio.to_thread(settle, self.bot.engine, oid, self.bot.clock(), error, PLATFORM)

    async def _flush(self) -> None:
        await asyncio.sleep(FLUSH_AFTER)
        ids, self._sent, self._flushing = self._sent, [], None
        await asyncio.to_thread(mark_sent, self.bot.engine, ids, self.bot.clock())

    def _done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # The row stays queued: the worker sends it once its hold runs out.
            log.error("telegram answer not settled",
                      extra={"error": type(task.exception()).__name__})

    async def idle(self, timeout: float | None = None) -> None:
        """Wait for the answers under way and their records (shutdown, tests)."""
        if self.tasks:
            await asyncio.wait(list(self.tasks), timeout=timeout)
        if self._flushing is not None:
            await self._flushing

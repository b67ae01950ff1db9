"""The Telegram webhook's inbox: store the update, answer 200, then handle it.

Telegram waits for the webhook's answer and sends nothing else to the bot
meanwhile, so the webhook does the least that keeps an update safe: it stores
the update (`storage.inbox`) and commits. Updates arriving while a commit is
under way are stored together in the next one (one commit for many under load).
Then a few handlers on the event loop take the stored updates in order of
arrival and run them through python-telegram-bot (`process_update`), which
records each as seen and queues its answer in the outbox, as before; the row
goes once handled. An update this process could not handle (it stopped, it
died) is taken by a worker: `handle_stale`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from concurrent.futures import ThreadPoolExecutor

from telegram import Update
from telegram.ext import Application

from bot.app import KetenBot
from bot.telegram.app import build_application
from storage import inbox

log = logging.getLogger("ketenbot.telegram")
PLATFORM = "telegram"
# Updates handled side by side. Two: a button's answer waiting on Telegram
# holds up no command; more only contend for the same CPU, and the webhook
# waits (at 200 requests/s four doubled its p99 against one or two).
HANDLERS = 2
FLUSH_AFTER = 0.02  # seconds: rows handled meanwhile are deleted in one statement

App = Application  # type: ignore[type-arg]


class Inbox:
    def __init__(self, bot: KetenBot, application: App) -> None:
        self.bot, self.application = bot, application
        self._arrivals: list[tuple[str, str, asyncio.Future[bool]]] = []
        self._writing: asyncio.Future[None] | None = None
        self._queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue()
        self._handlers: list[asyncio.Task[None]] = []
        self._handling: set[int] = set()
        self._done: list[int] = []
        self._flushing: asyncio.Future[None] | None = None
        # Stores have a thread of their own: never queued behind handlers' work.
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="telegram-inbox")
        self._quiet = asyncio.Event()  # no store waiting or under way
        self._quiet.set()

    # -- the webhook's side ---------------------------------------------------
    async def accept(self, update_id: int, body: str) -> bool:
        """Store the update; when this returns it is committed. False: it was
        waiting already (Telegram sent it again). Raises what the database does."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._arrivals.append((str(update_id), body, future))
        self._quiet.clear()
        if self._writing is None:
            self._writing = asyncio.ensure_future(self._write())
        return await future

    async def _write(self) -> None:
        try:
            while self._arrivals:
                batch, self._arrivals = self._arrivals, []
                try:
                    stored = await asyncio.get_running_loop().run_in_executor(
                        self._writer, inbox.store, self.bot.engine, PLATFORM,
                        [(e, body) for e, body, _ in batch], self.bot.clock())
                except Exception as exc:
                    for *_, future in batch:
                        future.set_exception(exc)
                    continue
                for event_id, body, future in batch:
                    oid = stored.pop(event_id, None)
                    if oid is not None:
                        self._queue.put_nowait((oid, body))
                    future.set_result(oid is not None)
        finally:
            self._writing = None
            self._quiet.set()

    # -- the handlers' side ---------------------------------------------------
    def start(self) -> None:
        self._handlers = [asyncio.ensure_future(self._handle()) for _ in range(HANDLERS)]

    async def _handle(self) -> None:
        while True:
            oid, body = await self._queue.get()
            # The webhook first: a store waits for no handler's turn at the
            # database (SQLite has one writer) nor at the event loop.
            await self._quiet.wait()
            self._handling.add(oid)
            handling = inbox.Handling(oid)
            token = inbox.HANDLING.set(handling)
            try:
                await handle(self.application, body)
            except Exception:  # never the end of this handler: the next update waits
                log.exception("telegram update failed")
            finally:
                inbox.HANDLING.reset(token)
                self._handling.discard(oid)
            if handling.done:  # deleted with its answer, in one commit
                continue
            self._done.append(oid)
            if self._flushing is None:
                self._flushing = asyncio.ensure_future(self._flush())

    async def _flush(self) -> None:
        await asyncio.sleep(FLUSH_AFTER)
        ids, self._done, self._flushing = self._done, [], None
        try:
            await asyncio.to_thread(inbox.done, self.bot.engine, ids)
        except Exception:
            # The rows stay; once their claim runs out a worker finds them
            # seen before (processed_event) and only deletes them.
            log.warning("telegram inbox rows not deleted", exc_info=True)

    async def close(self, timeout: float) -> None:
        """Handle what is stored, for up to `timeout` seconds; what is left is
        let go for the next worker (shutdown)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while (self._writing is not None or not self._queue.empty() or self._handling) \
                and loop.time() < end:
            await asyncio.sleep(0.02)
        for task in self._handlers:
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        left = list(self._handling)
        while not self._queue.empty():
            left.append(self._queue.get_nowait()[0])
        if self._flushing is not None:
            await self._flushing
        self._writer.shutdown(wait=False)
        if left:
            await asyncio.to_thread(inbox.release, self.bot.engine, left, self.bot.clock())
            log.info("telegram updates left to the worker", extra={"count": len(left)})


async def handle(application: App, body: str) -> None:
    """One stored update through python-telegram-bot (whose error handler
    hears what goes wrong in a handler); a body that is no update is dropped."""
    try:
        update = Update.de_json(json.loads(body), application.bot)
    except (ValueError, TypeError, KeyError):
        log.error("telegram inbox row is no update, dropped")
        return
    await application.process_update(update)


def handle_stale(bot: KetenBot) -> int:
    """The worker's side (its own thread): handle the updates no web process
    will, as it died or stopped before it got to them; how many."""
    rows = inbox.claim_stale(bot.engine, PLATFORM, bot.clock())
    if not rows:
        return 0
    try:
        asyncio.run(_handle_rows(bot, rows))
    except Exception as exc:
        # Telegram unreachable, say: the rows stay claimed and come back after
        # the claim, and the worker's outbox round goes on meanwhile.
        log.warning("telegram inbox not handled, retried later",
                    extra={"count": len(rows), "error": type(exc).__name__})
        return 0
    log.info("telegram updates handled from the inbox", extra={"count": len(rows)})
    return len(rows)


async def _handle_rows(bot: KetenBot, rows: list[tuple[int, str]]) -> None:
    application = build_application(bot)
    await application.initialize()
    try:
        for oid, body in rows:
            handling = inbox.Handling(oid)
            token = inbox.HANDLING.set(handling)
            try:
                await handle(application, body)
            finally:
                inbox.HANDLING.reset(token)
            if not handling.done:
                await asyncio.to_thread(inbox.done, bot.engine, [oid])
        await application.bot_data["ketenbot"].replies.idle()
    finally:
        await application.shutdown()

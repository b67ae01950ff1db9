"""`POST /telegram/webhook` for `ketenbot serve`.

Telegram sends the secret given to setWebhook in the header
`X-Telegram-Bot-Api-Secret-Token`; anything without it is refused (403) before
it is even parsed. The update is stored before the 200 and handled right after
(`inbox`): the answer Telegram waits for costs one shared commit, not the
command. An update Telegram sends again (after a timeout on its side) is
recognised by its update_id and handled once (see `app.first_time`).
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from telegram import Update

from bot.app import KetenBot
from bot.telegram.app import TelegramHandlers, build_application
from bot.telegram.inbox import Inbox
from scheduling.outage import database_lost

log = logging.getLogger("ketenbot.telegram")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
PATH = "/telegram/webhook"
DRAIN_SECONDS = 2.5  # each, at shutdown: well inside the 10 s a platform allows for SIGTERM


def telegram_routes(bot: KetenBot) -> tuple[list[BaseRoute], list[Any]]:
    application = build_application(bot)
    handlers: TelegramHandlers = application.bot_data["ketenbot"]
    inbox = Inbox(bot, application)
    secret = (bot.settings.reveal("telegram_webhook_secret") or "").encode()

    async def webhook(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not secret or not hmac.compare_digest(given, secret):
            return Response(status_code=403)
        raw = await request.body()
        try:
            data, body = json.loads(raw), raw.decode()
        except ValueError:  # UnicodeDecodeError is one too
            return Response(status_code=400)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return Response(status_code=400)
        try:
            await inbox.accept(data["update_id"], body)
        except Exception as exc:
            if not database_lost(exc):
                raise
            # Nowhere to keep it: the user hears "try again in a moment" (as
            # for any update while the database is away), Telegram its 200.
            log.warning("telegram update not handled: database unreachable")
            await handlers.busy(Update.de_json(data, application.bot))
        return Response(status_code=200)

    @asynccontextmanager
    async def lifespan() -> AsyncIterator[None]:
        await application.initialize()
        await application.start()
        inbox.start()
        try:
            yield
        finally:
            # Stored updates and answers under way get a moment each; what is
            # left stays in the inbox and the outbox for the worker.
            await inbox.close(timeout=DRAIN_SECONDS)
            await handlers.replies.idle(timeout=DRAIN_SECONDS)  # type: ignore[union-attr]
            await application.stop()
            await application.shutdown()

    return [Route(PATH, webhook, methods=["POST"])], [lifespan]

"""`POST /telegram/webhook` for `ketenbot serve`.

Telegram sends the secret given to setWebhook in the header
`X-Telegram-Bot-Api-Secret-Token`; anything without it is refused (403) before
it is even parsed. An update Telegram sends again (after a timeout on its
side) is recognised by its update_id and handled once (see `app.first_time`).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from telegram import Update

from bot.app import KetenBot
from bot.telegram.app import build_application

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
PATH = "/telegram/webhook"
DRAIN_SECONDS = 2.5  # at shutdown; well inside the 10 s a platform allows for SIGTERM


def telegram_routes(bot: KetenBot) -> tuple[list[BaseRoute], list[Any]]:
    application = build_application(bot)
    secret = (bot.settings.reveal("telegram_webhook_secret") or "").encode()

    async def webhook(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not secret or not hmac.compare_digest(given, secret):
            return Response(status_code=403)
        try:
            data = json.loads(await request.body())
        except ValueError:
            return Response(status_code=400)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return Response(status_code=400)
        await application.process_update(Update.de_json(data, application.bot))
        return Response(status_code=200)

    @asynccontextmanager
    async def lifespan() -> AsyncIterator[None]:
        await application.initialize()
        await application.start()
        try:
            yield
        finally:
            # Answers under way get a moment; any not sent stay queued for the worker.
            await application.bot_data["ketenbot"].replies.idle(timeout=DRAIN_SECONDS)
            await application.stop()
            await application.shutdown()

    return [Route(PATH, webhook, methods=["POST"])], [lifespan]

"""`ketenbot serve`: one ASGI process for the Slack endpoints, the Telegram
webhook and `/healthz`.

Each transport contributes its routes when it is configured; with none, the
process still answers /healthz so a platform can check it is up.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from bot.app import KetenBot
from bot.web import web_routes

Lifespan = Callable[[], AbstractAsyncContextManager[Any]]


async def healthz(request: Request) -> JSONResponse:
    bot: KetenBot = request.app.state.bot
    try:
        with bot.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:  # the database is the one thing we cannot work without
        return JSONResponse({"status": "database unreachable"}, status_code=503)
    return JSONResponse({"status": "ok"})


def build_web_app(bot: KetenBot) -> Starlette:
    routes: list[BaseRoute] = [Route("/healthz", healthz)]
    routes += web_routes(bot)  # the overview page under /overzicht (issue 12)
    lifespans: list[Lifespan] = []
    settings = bot.settings
    if settings.slack_enabled:
        from bot.slack.web import slack_routes

        slack_r, slack_life = slack_routes(bot)
        routes += slack_r
        lifespans += slack_life
    if settings.telegram_enabled and settings.telegram_webhook_secret:
        from bot.telegram.web import telegram_routes

        tg_r, tg_life = telegram_routes(bot)
        routes += tg_r
        lifespans += tg_life

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for life in lifespans:
                await stack.enter_async_context(life())
            yield

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.bot = bot
    return app

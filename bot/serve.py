"""`ketenbot serve`: one ASGI process for the Slack endpoints, the Telegram
webhook, Teams' `/api/messages`, `/healthz`, `/readyz`, `/healthz/outbox` and `/metrics`.

Readiness is only "this process can serve" (database reachable and
migrated): a load balancer acts on it, and an overdue outbox (Telegram down,
a worker stopped) says nothing about whether this process can answer Slack.
That is `/healthz/outbox` and the `ketenbot_outbox_oldest_due_seconds` metric,
for the alert.

Each transport contributes its routes when it is configured; with none, the
process still answers the health endpoints so a platform can check it is up.
Database work for /readyz and /metrics runs in a worker thread: the event
loop keeps answering Slack and Telegram meanwhile.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.app import KetenBot
from bot.limits import BodyLimit
from bot.metrics import build_registry, oldest_due_age
from bot.web import web_routes
from storage.db import SchemaNotCurrent, check_schema

Lifespan = Callable[[], AbstractAsyncContextManager[Any]]


async def healthz(request: Request) -> JSONResponse:
    """The process is alive and its event loop answers: no I/O at all."""
    return JSONResponse({"status": "ok"})


def readiness(bot: KetenBot) -> tuple[bool, dict[str, Any]]:
    """Database reachable and migrated (blocking: run in a thread)."""
    try:
        check_schema(bot.engine)
    except SchemaNotCurrent:
        return False, {"status": "database not migrated"}
    except Exception:  # the database is the one thing we cannot work without
        return False, {"status": "database unreachable"}
    return True, {"status": "ok"}


def outbox_health(bot: KetenBot) -> tuple[bool, dict[str, Any]]:
    """No deliverable message overdue longer than the limit (blocking: run in a thread)."""
    try:
        with Session(bot.engine) as session:
            age = oldest_due_age(session, bot.clock())
    except Exception:
        return False, {"status": "database unreachable"}
    limit = bot.settings.ready_max_outbox_age_seconds
    body: dict[str, Any] = {"status": "ok", "outbox_oldest_due_seconds": round(age)}
    if age > limit:
        body["status"] = f"outbox stuck: oldest message {age:.0f} s overdue (limit {limit:.0f})"
        return False, body
    return True, body


async def readyz(request: Request) -> JSONResponse:
    ok, body = await run_in_threadpool(readiness, request.app.state.bot)
    return JSONResponse(body, status_code=200 if ok else 503)


async def outbox(request: Request) -> JSONResponse:
    ok, body = await run_in_threadpool(outbox_health, request.app.state.bot)
    return JSONResponse(body, status_code=200 if ok else 503)


async def metrics(request: Request) -> Response:
    data = await run_in_threadpool(generate_latest, request.app.state.metrics)
    return Response(data, media_type=CONTENT_TYPE_LATEST)


def build_web_app(bot: KetenBot, *, teams_token_provider: Any = None) -> Starlette:
    """The process's routes. `teams_token_provider`: the Agents SDK token
    provider for outgoing Teams calls (tests; default MSAL with the app's secret)."""
    routes: list[BaseRoute] = [Route("/healthz", healthz), Route("/readyz", readyz),
                               Route("/healthz/outbox", outbox), Route("/metrics", metrics)]
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
    if settings.teams_enabled:
        from bot.teams.web import teams_routes

        teams_r, teams_life = teams_routes(bot, teams_token_provider)
        routes += teams_r
        lifespans += teams_life

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for life in lifespans:
                await stack.enter_async_context(life())
            # Everything loaded so far (the libraries, the SDKs' models, the
            # apps) lives as long as the process: out of the collector's sight,
            # so a full collection under load scans what requests made, not a
            # quarter of a million objects (a 135 ms pause, measured by
            # `python -m bench webhooks`, in every platform's p99).
            gc.freeze()
            try:
                yield
            finally:  # stopping (or a test's app): collectable again
                gc.unfreeze()

    # Outermost but for Starlette's error handler: bodies are capped before any route reads one.
    app = Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(BodyLimit)])
    app.state.bot = bot
    app.state.metrics = build_registry(bot.engine, bot.clock)
    return app

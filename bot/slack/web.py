"""Slack's part of `ketenbot serve`: one HTTP endpoint, or Socket Mode.

Slash commands, interactivity (buttons) and the Events API all post to
`/slack/events`; bolt tells them apart. With an app-level token
(KETENBOT_SLACK_APP_TOKEN, `xapp-…`) the app also connects over Socket Mode,
for deployments that cannot receive requests from the internet.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.app import KetenBot
from bot.slack.app import build_slack_app
from bot.slack.runtime import SlackRuntime

log = logging.getLogger("ketenbot.slack")

Lifespan = Callable[[], AbstractAsyncContextManager[Any]]
DRAIN_SECONDS = 2.5  # on shutdown: let answers under way finish (SIGTERM: done in < 10 s)


def slack_routes(bot: KetenBot) -> tuple[list[BaseRoute], list[Lifespan]]:
    endpoint = SlackEndpoint(bot)
    runtime, app = endpoint.runtime, endpoint.app

    @asynccontextmanager
    async def drain() -> AsyncIterator[None]:
        yield
        try:
            await asyncio.wait_for(runtime.idle(), DRAIN_SECONDS)
        except TimeoutError:
            log.warning("slack answers still under way at shutdown",
                        extra={"count": len(runtime.tasks)})

    lifespans: list[Lifespan] = [drain]
    app_token = bot.settings.reveal("slack_app_token")
    if app_token:
        @asynccontextmanager
        async def socket_mode() -> AsyncIterator[None]:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            socket = AsyncSocketModeHandler(app, app_token)
            await socket.connect_async()
            log.info("slack connected over Socket Mode")
            try:
                yield
            finally:
                await socket.close_async()

        lifespans.append(socket_mode)
    return [Route("/slack/events", endpoint.events, methods=["POST"])], lifespans


class SlackEndpoint:
    """POST /slack/events; keeps the bolt app and its background work at hand."""

    def __init__(self, bot: KetenBot) -> None:
        self.runtime = SlackRuntime(bot)
        self.app = build_slack_app(bot, self.runtime)
        self.handler = AsyncSlackRequestHandler(self.app)

    async def events(self, request: Request) -> Response:
        return await self.handler.handle(request)

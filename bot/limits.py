"""Request bodies capped per route, enforced while the body streams in.

An ASGI middleware in front of everything `ketenbot serve` answers: a body
whose Content-Length says it is too big gets 413 before the app sees it; one
without (chunked) is counted as it arrives and cut off at the limit, so no
request holds more than its route's limit in memory, whatever the app does
with it (bolt, python-telegram-bot and the forms all read the whole body).
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("ketenbot.web")

KB, MB = 1024, 1024 * 1024
# Path prefix -> the largest body accepted. Slack documents 3 MB for what it
# sends an app (https://api.slack.com/apis/events-api); a Telegram update is
# at most a few KB (1 MB leaves room); the overview's forms are a few fields.
LIMITS: tuple[tuple[str, int], ...] = (
    ("/slack/", 3 * MB),
    ("/telegram/", 1 * MB),
    ("/overzicht", 64 * KB),
)
DEFAULT = 64 * KB  # health, metrics: no body at all
TOO_LARGE = b"Verzoek te groot / request body too large\n"


class _Cut(Exception):
    """The body went over the limit; the 413 has been sent."""


class BodyLimit:
    def __init__(self, app: ASGIApp, limits: tuple[tuple[str, int], ...] = LIMITS,
                 default: int = DEFAULT) -> None:
        self.app = app
        self.limits, self.default = limits, default

    def _limit(self, path: str) -> int:
        return next((n for p, n in self.limits if path.startswith(p)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(send, scope["path"], limit)
            return
        seen, refused, started = 0, False, False

        async def counted() -> Message:
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    refused = True
                    if not started:
                        await _refuse(send, scope["path"], limit)
                    # The app sees a client that went away: it stops reading.
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if refused:  # the 413 was the answer; whatever the app says after is dropped
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not refused:
                raise
            # The app's reaction to the cut-off body (ClientDisconnect): expected.


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(send: Send, path: str, limit: int) -> None:
    log.warning("request body too large, refused", extra={"path": path[:100], "limit": limit})
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(TOO_LARGE)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": TOO_LARGE})

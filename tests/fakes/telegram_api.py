"""A local stand-in for the Telegram Bot API, for tests.

A threaded HTTP server on 127.0.0.1 that answers `/bot<token>/<method>` the
way api.telegram.org does (for the methods ketenbot uses), and records every
call (with its arrival time and answer). `fail_next(method, retry_after=N)`
makes the next call of a method answer 429 with `retry_after`, like Telegram's
flood control; `status=502` simulates a server error. `storm(seconds, N)`:
for a while every message answers 429 with `retry_after` N.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

BOT_USER = {"id": 4242, "is_bot": True, "first_name": "Ketenbot", "username": "ketenbot_test_bot",
            "can_join_groups": True, "can_read_all_group_messages": False,
            "supports_inline_queries": False}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = 0.0  # time.time() on arrival
    status: int = 200


@dataclass
class _Failure:
    status: int
    retry_after: int | None
    description: str | None = None


@dataclass
class FakeTelegramAPI:
    token: str = "123456:TEST-token_abc"
    calls: list[Call] = field(default_factory=list)
    forums: set[str] = field(default_factory=set)  # chat ids getChat reports as forums
    refused: dict[str, _Failure] = field(default_factory=dict)
    delay: float = 0.0  # seconds every answer takes (a slow Bot API)
    keep_alive: bool = False
    _failures: dict[str, list[_Failure]] = field(default_factory=dict)
    storm_until: float = 0.0  # time.time() until which every message answers 429
    storm_retry_after: int = 1
    _next_id: int = 100
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- control ---------------------------------------------------------------
    def start(self) -> FakeTelegramAPI:
        api = self

        class Handler(BaseHTTPRequestHandler):
            # HTTP/1.1 keeps connections open, as the real Bot API does (benchmarks).
            protocol_version = "HTTP/1.1" if api.keep_alive else "HTTP/1.0"
            # Headers and body go out as two writes: without this, Nagle holds
            # the body until the client's delayed ACK, 40 ms a message.
            disable_nagle_algorithm = True

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                api._handle(self)

            do_GET = do_POST  # noqa: N815

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def api_url(self) -> str:
        """What `Settings.telegram_api_url` should be (the token is appended)."""
        return f"http://127.0.0.1:{self.server.server_address[1]}/bot"

    def fail_next(self, method: str, retry_after: int | None = None, status: int = 429,
                  description: str | None = None) -> None:
        """The next call of `method` fails: 429 (retry_after), 502, or e.g. 403
        "Forbidden: bot was blocked by the user", 400 "Bad Request: chat not found"."""
        self._failures.setdefault(method, []).append(_Failure(status, retry_after, description))

    def storm(self, seconds: float, retry_after: int) -> None:
        """From now on, for `seconds`, every sendMessage/editMessageText answers 429."""
        self.storm_retry_after = retry_after
        self.storm_until = time.time() + seconds

    def refuse_chat(self, chat_id: int | str, status: int, description: str) -> None:
        """Every call to `chat_id` fails like this (a blocked user, a deleted group)."""
        self.refused[str(chat_id)] = _Failure(status, None, description)

    def called(self, method: str, **match: Any) -> list[Call]:
        """The calls of `method` whose params include every `match` (compared as str)."""
        return [c for c in self.calls if c.method == method
                and all(str(c.params.get(k)) == str(v) for k, v in match.items())]

    def texts(self, method: str = "sendMessage", **match: Any) -> list[str]:
        return [str(c.params.get("text")) for c in self.called(method, **match)]

    # -- serving ---------------------------------------------------------------
    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        prefix = f"/bot{self.token}/"
        if not req.path.startswith(prefix):
            return self._send(req, 404, {"ok": False, "error_code": 404,
                                         "description": "Not Found"})
        method = req.path[len(prefix):]
        length = int(req.headers.get("Content-Length") or 0)
        body = req.rfile.read(length).decode() if length else ""
        params = _parse(body, req.headers.get("Content-Type") or "")
        with self._lock:
            call = Call(method, params, at=time.time())
            self.calls.append(call)
            pending = self._failures.get(method)
            failure = pending.pop(0) if pending else None
            if (failure is None and call.at < self.storm_until
                    and method in ("sendMessage", "editMessageText")):
                failure = _Failure(429, self.storm_retry_after)
            if failure is None and method != "getMe":
                failure = self.refused.get(str(params.get("chat_id")))
            if failure is None:
                result = self._result(method, params)
        if self.delay:
            time.sleep(self.delay)
        if failure is not None:
            call.status = failure.status
            answer: dict[str, Any] = {
                "ok": False, "error_code": failure.status,
                "description": failure.description or ("Too Many Requests: retry later"
                                                        if failure.status == 429
                                                        else "Bad Gateway")}
            if failure.retry_after is not None:
                answer["parameters"] = {"retry_after": failure.retry_after}
            return self._send(req, failure.status, answer)
        if result is None:
            return self._send(req, 400, {"ok": False, "error_code": 400,
                                         "description": f"Bad Request: unknown method {method}"})
        self._send(req, 200, {"ok": True, "result": result})

    def _result(self, method: str, p: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method in ("setWebhook", "deleteWebhook", "answerCallbackQuery", "setMyCommands",
                      "editMessageReplyMarkup"):
            return True
        if method == "getUpdates":
            return []
        if method == "getChat":
            chat = str(p.get("chat_id"))
            return {"id": int(chat), "type": "supergroup", "title": f"Team {chat}",
                    "is_forum": chat in self.forums, "accent_color_id": 0,
                    "max_reaction_count": 11,
                    "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False,
                                            "unique_gifts": False, "premium_subscription": False,
                                            "gifts_from_channels": False}}
        if method == "createForumTopic":
            self._next_id += 1
            return {"message_thread_id": self._next_id, "name": p.get("name"),
                    "icon_color": 7322096}
        if method in ("sendMessage", "editMessageText"):
            if method == "sendMessage":
                self._next_id += 1
                message_id = self._next_id
            else:
                message_id = int(p.get("message_id") or 0)
            chat_id = int(p.get("chat_id") or 0)
            message: dict[str, Any] = {
                "message_id": message_id, "date": int(time.time()), "text": p.get("text"),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
                "from": BOT_USER,
            }
            if p.get("message_thread_id"):
                message["message_thread_id"] = int(p["message_thread_id"])
            return message
        return None

    @staticmethod
    def _send(req: BaseHTTPRequestHandler, status: int, data: dict[str, Any]) -> None:
        body = json.dumps(data).encode()
        req.send_response(status)
        req.send_header("Content-Type", "application/json")
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        req.wfile.write(body)


def _parse(body: str, content_type: str) -> dict[str, Any]:
    """python-telegram-bot posts form fields whose complex values are JSON."""
    if not body:
        return {}
    if "json" in content_type:
        return dict(json.loads(body))
    params: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        try:
            params[key] = json.loads(value) if value[:1] in "[{" else value
        except ValueError:
            params[key] = value
    return params

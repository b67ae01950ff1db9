"""A local stand-in for the Slack Web API, for tests and benchmarks.

A threaded HTTP server on 127.0.0.1 (a free port) that answers the methods
ketenbot calls, records every call (method and arguments), and can be told to
fail the next call of a method (429 with Retry-After, or a 5xx). Anything
posted outside /api/ is recorded as a `response_url` call, so the same server
also plays Slack's response URLs.
"""

from __future__ import annotations

import itertools
import json
import math
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.fakes.local_server import LocalServer

BOT_USER = "UKETENBOT"


@dataclass
class Call:
    method: str  # "chat.postMessage", ... or "response_url"
    args: dict[str, Any]
    path: str = ""
    token: str | None = None


@dataclass
class _Failure:
    status: int
    retry_after: float | None
    error: str | None = None


@dataclass
class FakeSlack(LocalServer):
    users: dict[str, str] = field(default_factory=dict)  # Slack user id -> e-mail
    calls: list[Call] = field(default_factory=list)
    _fail: dict[str, list[_Failure]] = field(default_factory=dict)
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    # Errors by argument: e.g. {"channel": {"C0GONE": "channel_not_found"}}
    refuse: dict[str, dict[str, str]] = field(default_factory=dict)
    # A real-time rate limit for benchmarks, per workspace like Slack's: at most
    # `capacity` calls in a window of `window` seconds that opens with its first
    # call; beyond it 429 with Retry-After (whole seconds, rounded up) until the
    # window closes. Calls made while a Retry-After runs are counted.
    capacity: int | None = None
    window: float = 1.0
    delay: float = 0.0  # seconds every answer takes (a slow Slack)
    ok_calls: int = 0  # Web API calls answered normally
    in_window: int = 0  # calls that arrived while a 429's Retry-After was running
    _window_start: float = -1e9
    _window_used: int = 0
    _retry_until: float = 0.0

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"{self.base}/respond/{name}"

    # -- control and inspection ---------------------------------------------------

    def fail_next(self, method: str, status: int = 429, retry_after: float | None = 1,
                  error: str | None = None) -> None:
        """The next call of `method` fails: 429 (Retry-After), a 5xx, or with
        `error` (HTTP 200, ok false: how Slack reports channel_not_found...)."""
        with self._lock:
            self._fail.setdefault(method, []).append(_Failure(status, retry_after, error))

    def of(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Block until at least `count` calls of `method` arrived."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            found = self.of(method)
            if len(found) >= count:
                return found
            time.sleep(0.01)
        raise AssertionError(f"no {count}x {method} within {timeout}s; got "
                             f"{[c.method for c in self.calls]}")

    def clear(self) -> None:
        with self._lock:
            self.calls.clear()

    # -- the server side ----------------------------------------------------------

    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        url = urlsplit(req.path)
        length = int(req.headers.get("Content-Length") or 0)
        raw = req.rfile.read(length).decode() if length else ""
        args: dict[str, Any] = dict(parse_qsl(url.query))
        if raw:
            if (req.headers.get("Content-Type") or "").startswith("application/json"):
                args.update(json.loads(raw))
            else:
                args.update(dict(parse_qsl(raw)))
        for key in ("blocks", "attachments"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        auth = req.headers.get("Authorization") or ""
        token = auth.removeprefix("Bearer ") or args.pop("token", None)
        method = url.path.removeprefix("/api/") if url.path.startswith("/api/") else "response_url"
        with self._lock:
            self.calls.append(Call(method, args, url.path, token))
            failures = self._fail.get(method)
            failure = failures.pop(0) if failures else None
            if failure is None and method != "response_url":
                failure = self._limited(method, args)
        if self.delay:
            time.sleep(self.delay)
        if failure is not None:
            if failure.error:
                self._reply(req, 200, {"ok": False, "error": failure.error})
                return
            headers = {"Retry-After": str(int(failure.retry_after))} if failure.retry_after else {}
            self._reply(req, failure.status, {"ok": False, "error": "ratelimited"
                                              if failure.status == 429 else "fatal_error"}, headers)
            return
        answer = self._answer(method, args)
        if answer.get("ok") and method != "response_url":
            with self._lock:
                self.ok_calls += 1
        self._reply(req, 200, answer)

    def _limited(self, method: str, args: dict[str, Any]) -> _Failure | None:
        """(under the lock) A refusal by argument, or by the real-time rate limit."""
        for name, errors in self.refuse.items():
            if str(args.get(name)) in errors:
                return _Failure(200, None, errors[str(args.get(name))])
        if self.capacity is None:
            return None
        now = time.monotonic()
        if now < self._retry_until:
            self.in_window += 1
        if now >= self._window_start + self.window:
            self._window_start, self._window_used = now, 0
        if self._window_used >= self.capacity:
            wait = max(1, math.ceil(self._window_start + self.window - now))
            self._retry_until = max(self._retry_until, now + wait)
            return _Failure(429, wait)
        self._window_used += 1
        return None
        now = time.monotonic()
        if now < self._window_until:
            self.in_window += 1
        if now < self._next_free:
            wait = max(1, int(self._next_free - now + 0.999))
            self._window_until = max(self._window_until, now + wait)
            return _Failure(429, wait)
        self._next_free = max(now, self._next_free) + 1 / self.per_second
        return None

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "user_id": BOT_USER, "bot_id": "BKETENBOT", "team_id": "T1",
                    "user": "ketenbot", "team": "Keten", "url": "https://keten.slack.com/"}
        if method == "users.info":
            user = args.get("user", "")
            if user not in self.users:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": {"id": user, "is_bot": False,
                                         "profile": {"email": self.users[user]}}}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(args.get("users", "")).lstrip("U")}}
        if method in ("chat.postMessage", "chat.postEphemeral"):
            ts = f"1700000000.{next(self._ts):06d}"
            return {"ok": True, "channel": args.get("channel"), "ts": ts,
                    "message_ts": ts, "message": {"text": args.get("text"), "ts": ts}}
        if method == "chat.update":
            return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}
        if method == "response_url":
            return {"ok": True}
        return {"ok": False, "error": "unknown_method"}

    @staticmethod
    def _reply(req: BaseHTTPRequestHandler, status: int, body: dict[str, Any],
               headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        req.send_response(status)
        req.send_header("Content-Type", "application/json; charset=utf-8")
        req.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            req.send_header(k, v)
        req.end_headers()
        req.wfile.write(data)


# -- requests as Slack sends them, signed ------------------------------------------


def signed_headers(body: str, secret: str, timestamp: int | None = None,
                   content_type: str = "application/x-www-form-urlencoded",
                   **extra: str) -> dict[str, str]:
    from slack_sdk.signature import SignatureVerifier

    ts: str = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body) or ""
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature, **extra}


def command_body(user: str, text: str, response_url: str = "http://127.0.0.1:9/none",
                 command: str = "/keten") -> str:
    from urllib.parse import urlencode

    return urlencode({"token": "legacy", "team_id": "T1", "team_domain": "keten",
                      "channel_id": "C0GENERAL", "channel_name": "general", "user_id": user,
                      "user_name": user.lower(), "command": command, "text": text,
                      "api_app_id": "A1", "response_url": response_url,
                      "trigger_id": "1.2.3"})


def action_body(user: str, action: str, ref: str, response_url: str,
                message_ts: str = "1700000000.000001", channel: str = "C0TEAM") -> str:
    from urllib.parse import urlencode

    payload = {
        "type": "block_actions", "team": {"id": "T1", "domain": "keten"},
        "user": {"id": user, "team_id": "T1"}, "api_app_id": "A1", "token": "legacy",
        "trigger_id": "1.2.3", "response_url": response_url,
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel,
                      "is_ephemeral": False},
        "channel": {"id": channel}, "message": {"ts": message_ts, "type": "message"},
        "actions": [{"type": "button", "action_id": f"keten_{action}", "value": ref,
                     "block_id": f"keten:{ref}", "action_ts": "1700000001.000000"}],
    }
    return urlencode({"payload": json.dumps(payload)})


def im_event_body(user: str, text: str, event_id: str, channel: str = "DUSER") -> str:
    return json.dumps({
        "token": "legacy", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
        "event_id": event_id, "event_time": int(time.time()),
        "event": {"type": "message", "channel_type": "im", "user": user, "text": text,
                  "channel": channel, "ts": "1700000002.000100", "event_ts": "1700000002.000100"},
    })

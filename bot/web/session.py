"""The session cookie and its server-side row: who is signed in, in which language.

The cookie carries only a signed random session id; the row behind it
(storage/web_sessions.py) decides whether it still counts, so sign-out, a
removal, a role change or `ontkoppel` end a session on every web process at
once, before the cookie's own eight hours are up.

Every form that changes something carries a CSRF token: bound to the session
for signed-in pages, and to a short-lived sign-in cookie for the sign-in form
(so another site cannot sign a browser in as someone else).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import Engine
from starlette.requests import Request
from starlette.responses import Response

from handlers.core import Clock
from storage import web_sessions

log = logging.getLogger("ketenbot.web")
COOKIE = "ketenbot_sessie"
LOGIN_COOKIE = "ketenbot_aanmelden"
LOGIN_SECONDS = 15 * 60  # as long as a sign-in link lives


@dataclass(frozen=True)
class WebSession:
    person_id: int
    lang: str | None = None
    # The session's id: CSRF tokens are bound to it (never shown: only an HMAC of it is).
    nonce: str = ""


class Sessions:
    def __init__(self, secret: str | None, max_age_seconds: int, force_secure: bool,
                 engine: Engine, clock: Clock) -> None:
        if not secret:
            # Works for one process; sessions end at a restart. Operators set
            # KETENBOT_WEB_SECRET (the same on every web process).
            log.warning("KETENBOT_WEB_SECRET not set, using a random one for this process")
            secret = secrets.token_urlsafe(32)
        self._signer = URLSafeTimedSerializer(secret, salt="ketenbot-web-session")
        self._login_signer = URLSafeTimedSerializer(secret, salt="ketenbot-web-login")
        self._csrf_key = hashlib.sha256(b"ketenbot-web-csrf|" + secret.encode()).digest()
        self.max_age = max_age_seconds
        self.force_secure = force_secure
        self.engine, self.clock = engine, clock

    # -- the session ------------------------------------------------------------
    def _sid(self, request: Request) -> str | None:
        value = request.cookies.get(COOKIE)
        if not value:
            return None
        try:
            data = self._signer.loads(value, max_age=self.max_age)
        except BadSignature:  # also SignatureExpired
            return None
        sid = data.get("s") if isinstance(data, dict) else None
        return sid if isinstance(sid, str) else None

    def read(self, request: Request) -> WebSession | None:
        if "ketenbot_session" in request.scope:  # read once per request
            cached: WebSession | None = request.scope["ketenbot_session"]
            return cached
        sid = self._sid(request)
        found = web_sessions.find(self.engine, sid, self.clock()) if sid else None
        ws = WebSession(found.person_id, found.lang, sid or "") if found else None
        request.scope["ketenbot_session"] = ws
        return ws

    def start(self, request: Request, response: Response, person_id: int) -> bool:
        """Open a session for the person (False: they are no longer active)."""
        sid = web_sessions.open_session(self.engine, person_id, self.clock(),
                                        max(1, self.max_age // 3600))
        if sid is None:
            return False
        response.set_cookie(
            COOKIE, self._signer.dumps({"s": sid}),
            max_age=self.max_age, path="/overzicht", httponly=True, samesite="lax",
            # Secure behind TLS: uvicorn's proxy headers make the scheme https
            # when a TLS-terminating proxy says so.
            secure=self.force_secure or request.url.scheme == "https",
        )
        response.delete_cookie(LOGIN_COOKIE, path="/overzicht")
        return True

    def set_lang(self, request: Request, lang: str) -> None:
        ws = self.read(request)
        if ws is not None:
            web_sessions.set_lang(self.engine, ws.nonce, lang)

    def end(self, request: Request, response: Response) -> None:
        """Sign-out: the row goes, so the cookie is worthless even if kept."""
        sid = self._sid(request)
        if sid:
            web_sessions.end(self.engine, sid)
        response.delete_cookie(COOKIE, path="/overzicht", httponly=True, samesite="lax")

    # -- CSRF -------------------------------------------------------------------
    def _mac(self, text: str) -> str:
        return hmac.new(self._csrf_key, text.encode(), hashlib.sha256).hexdigest()

    def csrf_token(self, request: Request) -> str:
        """A form token bound to this session: another session, or a page of
        another site, which cannot read it, has no valid one."""
        ws = self.read(request)
        return self._mac(f"{ws.person_id}|{ws.nonce}") if ws else ""

    def csrf_ok(self, request: Request, token: str) -> bool:
        expected = self.csrf_token(request)
        return bool(token) and bool(expected) and hmac.compare_digest(token, expected)

    def login_token(self) -> tuple[str, str]:
        """The sign-in form's token and the cookie value it is bound to (set it
        with `set_login_cookie` on the response that carries the form)."""
        nonce = secrets.token_urlsafe(16)
        return self._mac(f"login|{nonce}"), self._login_signer.dumps(nonce)

    def set_login_cookie(self, request: Request, response: Response, value: str) -> None:
        response.set_cookie(LOGIN_COOKIE, value, max_age=LOGIN_SECONDS, path="/overzicht",
                            httponly=True, samesite="strict",
                            secure=self.force_secure or request.url.scheme == "https")

    def login_ok(self, request: Request, token: str) -> bool:
        try:
            nonce = self._login_signer.loads(request.cookies.get(LOGIN_COOKIE, ""),
                                             max_age=LOGIN_SECONDS)
        except BadSignature:
            return False
        return (isinstance(nonce, str) and bool(token)
                and hmac.compare_digest(token, self._mac(f"login|{nonce}")))

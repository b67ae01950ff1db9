"""The signed session cookie: who is signed in, in which language, since when."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

log = logging.getLogger("ketenbot.web")
COOKIE = "ketenbot_sessie"


@dataclass(frozen=True)
class WebSession:
    person_id: int
    lang: str | None = None
    # Random per sign-in: two sessions of one person differ (CSRF tokens are bound to it).
    nonce: str = ""


class Sessions:
    def __init__(self, secret: str | None, max_age_seconds: int, force_secure: bool) -> None:
        if not secret:
            # Works for one process; sessions end at a restart. Operators set
            # KETENBOT_WEB_SECRET (the same on every web process).
            log.warning("KETENBOT_WEB_SECRET not set: using a random one for this process")
            secret = secrets.token_urlsafe(32)
        self._signer = URLSafeTimedSerializer(secret, salt="ketenbot-web-session")
        self._csrf_key = hashlib.sha256(b"ketenbot-web-csrf|" + secret.encode()).digest()
        self.max_age = max_age_seconds
        self.force_secure = force_secure

    def read(self, request: Request) -> WebSession | None:
        value = request.cookies.get(COOKIE)
        if not value:
            return None
        try:
            data = self._signer.loads(value, max_age=self.max_age)
        except BadSignature:  # also SignatureExpired
            return None
        if not isinstance(data, dict) or not isinstance(data.get("p"), int):
            return None
        lang, nonce = data.get("l"), data.get("n")
        return WebSession(data["p"], lang if lang in ("nl", "en") else None,
                          nonce if isinstance(nonce, str) else "")

    def write(self, request: Request, response: Response, session: WebSession) -> None:
        response.set_cookie(
            COOKIE, self._signer.dumps({"p": session.person_id, "l": session.lang,
                                        "n": session.nonce or secrets.token_urlsafe(12)}),
            max_age=self.max_age, path="/overzicht", httponly=True, samesite="lax",
            # Secure behind TLS: uvicorn's proxy headers make the scheme https
            # when a TLS-terminating proxy says so.
            secure=self.force_secure or request.url.scheme == "https",
        )

    def csrf_token(self, request: Request) -> str:
        """A form token bound to this session (person and sign-in nonce): another
        session, or a page of another site, which cannot read it, has no valid one."""
        ws = self.read(request)
        if ws is None:
            return ""
        return hmac.new(self._csrf_key, f"{ws.person_id}|{ws.nonce}".encode(),
                        hashlib.sha256).hexdigest()

    def csrf_ok(self, request: Request, token: str) -> bool:
        expected = self.csrf_token(request)
        return bool(token) and bool(expected) and hmac.compare_digest(token, expected)

    def clear(self, response: Response) -> None:
        response.delete_cookie(COOKIE, path="/overzicht", httponly=True, samesite="lax")

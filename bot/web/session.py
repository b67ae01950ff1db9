"""The signed session cookie: who is signed in, in which language, since when."""

from __future__ import annotations

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


class Sessions:
    def __init__(self, secret: str | None, max_age_seconds: int, force_secure: bool) -> None:
        if not secret:
            # Works for one process; sessions end at a restart. Operators set
            # KETENBOT_WEB_SECRET (the same on every web process).
            log.warning("KETENBOT_WEB_SECRET not set: using a random one for this process")
            secret = secrets.token_urlsafe(32)
        self._signer = URLSafeTimedSerializer(secret, salt="ketenbot-web-session")
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
        lang = data.get("l")
        return WebSession(data["p"], lang if lang in ("nl", "en") else None)

    def write(self, request: Request, response: Response, session: WebSession) -> None:
        response.set_cookie(
            COOKIE, self._signer.dumps({"p": session.person_id, "l": session.lang}),
            max_age=self.max_age, path="/overzicht", httponly=True, samesite="lax",
            # Secure behind TLS: uvicorn's proxy headers make the scheme https
            # when a TLS-terminating proxy says so.
            secure=self.force_secure or request.url.scheme == "https",
        )

    def clear(self, response: Response) -> None:
        response.delete_cookie(COOKIE, path="/overzicht", httponly=True, samesite="lax")

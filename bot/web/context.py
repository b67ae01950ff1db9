"""What every page of the overview shares: the bot, the session cookie, the
templates, who is signed in and what they may see, the security headers.

Pages import this module; `bot.web.app` imports the pages and mounts them, so
nothing here knows which pages exist.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from functools import partial
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.app import KetenBot
from bot.web.session import Sessions, WebSession
from bot.web.tally import RefusalTally
from bot.web.text import text_for
from handlers.contacts.web_forms import may_administer
from handlers.overview.sign_in import WebSettings
from handlers.overview.visibility import Access, access_for
from messages.labels import LABELS, format_due
from messages.render import TEMPLATES
from storage.db import session_scope
from storage.models import Person
from storage.web_tables import WebAccess

log = logging.getLogger("ketenbot.web")
# This request's CSRF token, once `who` found the session (a context variable:
# each request runs in its own context, so no request sees another's).
_CSRF: ContextVar[str] = ContextVar("ketenbot_csrf", default="")
BASE = "/overzicht"
STATIC = TEMPLATES / "web" / "static"

SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
     b"frame-ancestors 'none'; base-uri 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


class SecurityHeaders:
    """Adds the headers above to every response of the overview."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in SECURITY_HEADERS if k not in names]
                if scope.get("scheme") == "https":
                    message["headers"].append(
                        (b"strict-transport-security", b"max-age=31536000"))
            await send(message)

        await self.app(scope, receive, send_with_headers)


class Web:
    """Shared state of the page: the bot, the cookie signer, the templates."""

    def __init__(self, bot: KetenBot, settings: WebSettings | None = None) -> None:
        self.bot = bot
        self.settings = settings or bot.settings.web()
        self.sessions = Sessions(self.settings.secret, self.settings.session_hours * 3600,
                                 self.settings.secure_cookie, bot.engine, bot.clock)
        self.refusals = RefusalTally(bot.engine, bot.clock)
        self.env = Environment(loader=FileSystemLoader(TEMPLATES / "web"), autoescape=True,
                               undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)

    def render(self, name: str, status: int = 200, **data: Any) -> HTMLResponse:
        """A page; the menu shows only the pages this person may open (blocking: call
        it from a plain `def` endpoint, which Starlette runs in its threadpool)."""
        lang = data.get("lang", self.bot.settings.language)
        person = data.get("person")
        if person is not None and ("access" not in data or "manages" not in data):
            with Session(self.bot.engine) as s:
                if "access" not in data:
                    data["access"] = access_for(s, person)
                if "manages" not in data:
                    data["manages"] = may_administer(s, person)
        data.setdefault("csrf", _CSRF.get())  # the header's sign-out and language forms
        html = self.env.get_template(f"{name}.html.j2").render(
            base=BASE, t=text_for(lang), L=LABELS.get(lang, LABELS["nl"]),
            due_day=partial(format_due, lang=lang if lang in LABELS else "nl"),
            **({"access": None, "manages": False} | data))
        return HTMLResponse(html, status_code=status)

    def who(self, request: Request) -> tuple[WebSession, Person] | None:
        ws = self.sessions.read(request)
        if ws is None:
            return None
        with Session(self.bot.engine) as s:
            person = s.get(Person, ws.person_id)
        if person is None:
            return None
        _CSRF.set(self.sessions.csrf_token(request))
        return ws, person

    def lang(self, ws: WebSession | None, person: Person | None) -> str:
        return ((ws.lang if ws else None) or (person.language if person else None)
                or self.bot.settings.language)

    def log_access(self, person_id: int | None, path: str, status: int,
                   referral_id: int | None = None) -> None:
        if person_id is None:  # nobody signed in: counted per route and minute
            self.refusals.add(path, status)
            return
        with session_scope(self.bot.engine) as s:
            s.add(WebAccess(person_id=person_id, at=self.bot.clock(), path=path[:200],
                            referral_id=referral_id, status=status))

    def gate(self, request: Request) -> tuple[Person, Access, str] | Response:
        """The signed-in person and what they may see, or the page that says why not."""
        found = self.who(request)
        if found is None:
            lang: str = self.bot.settings.language
            self.log_access(None, request.url.path, 401)
            return self.render("message", 401, lang=lang, key="signed_out", person=None)
        ws, person = found
        lang = self.lang(ws, person)
        with Session(self.bot.engine) as s:
            access = access_for(s, person)
        if access is None:
            with Session(self.bot.engine) as s:
                manages = may_administer(s, person)
            if manages:  # a contactbeheerder without a case view: the contacts page
                self.log_access(person.id, request.url.path, 303)
                return RedirectResponse(f"{BASE}/contacten", status_code=303)
            self.log_access(person.id, request.url.path, 403)
            return self.render("message", 403, lang=lang, key="forbidden", person=person,
                               access=None, manages=False)
        return person, access, lang

    def forbidden(self, person: Person, lang: str, path: str,
                  referral_id: int | None = None) -> Response:
        self.log_access(person.id, path, 403, referral_id)
        return self.render("message", 403, lang=lang, key="forbidden", person=person)

    def not_found(self, request: Request, status: int = 404) -> Response:
        """A path the overview does not have (or a method it does not take there):
        the page in the reader's language, with the menu and a way back."""
        found = self.who(request)
        person = found[1] if found else None
        lang = self.lang(*found) if found else self.bot.settings.language
        self.log_access(person.id if person else None, request.url.path, status)
        return self.render("message", status, lang=lang, person=person,
                           key="not_found" if status == 404 else "bad_method")

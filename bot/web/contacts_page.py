"""/overzicht/contacten: contactbeheerders (their regions' teams) and team leaders
(their own team) keep the directory current on the web.

Each form posts one change. The form is turned into the chat command it
stands for (handlers/contacts/web_forms.py) and dispatched with platform "web": the
same permission rules, refusals and audit trail as in chat. Every POST carries
a CSRF token bound to the session cookie.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from bot.web.context import Web
from bot.web.text import text_for
from handlers.contacts.web_forms import (
    PERMISSION_CODES,
    command_for,
    contacts_view,
    manageable_teams,
    may_administer,
)
from messages.render import Renderer
from storage.models import Role

ACTIONS = ("toevoegen", "verplaatsen", "verwijderen", "koppelen")
MAX_FORM = 4096


def _status(template: str, data: dict[str, Any]) -> int:
    """How the page answers a chat reply: done 200, not yours 403, else 400."""
    if template == "contact_done":
        return 200
    if template == "contact_error" and data.get("code") in PERMISSION_CODES:
        return 403
    return 400


async def contacts(request: Request) -> Response:
    web: Web = request.app.state.web
    path = request.url.path
    found = web.who(request)
    if found is None:
        web.log_access(None, path, 401)
        return web.render("message", 401, lang=web.bot.settings.language, key="signed_out",
                          person=None)
    ws, person = found
    lang = web.lang(ws, person)
    with Session(web.bot.engine) as s:
        allowed = may_administer(s, person)
    if not allowed:
        return web.forbidden(person, lang, path)
    result: dict[str, Any] | None = None
    status = 200
    if request.method == "POST":
        body = (await request.body())[:MAX_FORM].decode("utf-8", "replace")
        form = {k: v[0] for k, v in parse_qs(body).items()}
        if not web.sessions.csrf_ok(request, form.get("csrf", "")):
            # Nothing is read from the form but the token: nothing changes.
            web.log_access(person.id, path, 403)
            return web.render("message", 403, lang=lang, key="csrf", person=person)
        action = request.path_params.get("action", "")
        command = command_for(action, form) if action in ACTIONS else None
        if command is None:
            status = 400
            result = {"ok": False, "lines": [text_for(lang)["form_incomplete"]]}
        else:
            reply = web.bot.registry.dispatch(web.bot.context("web", person, lang), command)
            status = _status(reply.template, reply.data)
            text = Renderer("text").render(reply, lang)
            result = {"ok": status == 200,
                      "lines": [ln.strip() for ln in text.splitlines() if ln.strip()]}
    with Session(web.bot.engine) as s:
        teams = manageable_teams(s, person)
        view = contacts_view(s, teams, web.bot.context("web", person).today())
    web.log_access(person.id, path, status)
    return web.render("contacts", status, lang=lang, person=person, teams=view,
                      result=result, csrf=web.sessions.csrf_token(request),
                      roles=[r.value for r in Role], manages=True)

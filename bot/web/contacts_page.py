"""/overzicht/contacten: contactbeheerders (their regions' teams) and team leaders
(their own team) keep the directory current on the web.

Each form posts one change. The form is turned into the chat command it
stands for (handlers/contacts/web_forms.py) and dispatched with platform "web": the
same permission rules, refusals and audit trail as in chat. Every POST carries
a CSRF token bound to the session cookie. Removing someone takes a second,
confirming POST that names the person. One team is shown at a time (a picker
above it), so the forms stay near the top for a contactbeheerder of many teams.

The endpoint reads the form on the event loop and does everything else in
Starlette's threadpool (see bot/web/app.py).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from bot.web.context import Web
from bot.web.text import text_for
from handlers.contacts.web_forms import (
    PERMISSION_CODES,
    TeamView,
    command_for,
    contacts_view,
    manageable_teams,
    may_administer,
    offered_roles,
)
from messages.render import Renderer
from storage.models import Person

ACTIONS = ("toevoegen", "verplaatsen", "verwijderen", "koppelen")
MAX_FORM = 4096
# The page's own wording for chat replies (messages/templates/web/<lang>/): what to
# do on the page, not chat syntax; the chat's text where the page has none.
RENDER = Renderer("web")


def _status(template: str, data: dict[str, Any]) -> int:
    """How the page answers a chat reply: done 200, not yours 403, else 400."""
    if template == "contact_done":
        return 200
    if template == "contact_error" and data.get("code") in PERMISSION_CODES:
        return 403
    return 400


async def contacts(request: Request) -> Response:
    body = b""
    if request.method == "POST":
        body = (await request.body())[:MAX_FORM]
    return await run_in_threadpool(_contacts, request, body)


def _shown(teams: list[TeamView], asked: str | None) -> TeamView | None:
    """The team on the page: the one asked for when it is theirs, else the first."""
    return next((t for t in teams if t.key == asked), teams[0] if teams else None)


def _contacts(request: Request, body: bytes) -> Response:
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
    confirm: dict[str, Any] | None = None
    status = 200
    form: dict[str, str] = {}
    with Session(web.bot.engine) as s:
        managed = manageable_teams(s, person)
        teams = contacts_view(s, managed, web.bot.context("web", person).today())
        # The add form offers only the roles this person may give (handlers/contacts/grants.py).
        roles = offered_roles(s, person, managed)
    if request.method == "POST":
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        if not web.sessions.csrf_ok(request, form.get("csrf", "")):
            # Nothing is read from the form but the token: nothing changes.
            web.log_access(person.id, path, 403)
            return web.render("message", 403, lang=lang, key="csrf", person=person)
        action = request.path_params.get("action", "")
        command = command_for(action, form) if action in ACTIONS else None
        if command is None:
            status = 400
            result = {"ok": False, "lines": [text_for(lang)["form_incomplete"]]}
        elif action == "verwijderen" and form.get("bevestigd") != "ja" and (
                confirm := _to_confirm(teams, form.get("email", "").strip())):
            pass  # nothing changes yet: the page asks to confirm, naming the person
        else:
            status, result = _run(web, person, lang, command)
            if status == 200:  # show what changed
                with Session(web.bot.engine) as s:
                    teams = contacts_view(s, manageable_teams(s, person),
                                          web.bot.context("web", person).today())
    # The team the form was about (the page's own forms say so in ?team=).
    asked = (request.query_params.get("team") or form.get("team")
             or _team_of(teams, form.get("email", "")))
    shown = _shown(teams, asked)
    web.log_access(person.id, path, status)
    return web.render("contacts", status, lang=lang, person=person, teams=teams, shown=shown,
                      result=result, confirm=confirm, csrf=web.sessions.csrf_token(request),
                      roles=roles, manages=True)


def _team_of(teams: list[TeamView], email: str) -> str | None:
    email = email.strip().casefold()
    return next((t.key for t in teams for p in t.people if p.email.casefold() == email), None)


def _to_confirm(teams: list[TeamView], email: str) -> dict[str, Any] | None:
    """The person a remove form names, when they are on this page."""
    for team in teams:
        for p in team.people:
            if p.email.casefold() == email.casefold():
                return {"name": p.name, "email": p.email, "role": p.role, "team": team.name,
                        "team_key": team.key}
    return None  # not on the page: the command itself refuses it


def _run(web: Web, person: Person, lang: str, command: str) -> tuple[int, dict[str, Any]]:
    reply = web.bot.registry.dispatch(web.bot.context("web", person, lang), command)
    status = _status(reply.template, reply.data)
    text = RENDER.render(reply, lang)
    return status, {"ok": status == 200,
                    "lines": [ln.strip() for ln in text.splitlines() if ln.strip()]}

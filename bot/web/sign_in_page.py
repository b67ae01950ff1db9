"""Signing in with a one-time link from chat, signing out, and the page's language.

All three change something, so all three are POSTs with a CSRF token; a form
without a valid one changes nothing and says so. The body is read on the event
loop, the database work runs in Starlette's threadpool (see bot/web/app.py).
"""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.web.context import BASE, Web
from handlers.overview.sign_in import redeem_link_token

MAX_FORM = 4096


async def _form(request: Request) -> dict[str, str]:
    body = (await request.body())[:MAX_FORM].decode("utf-8", "replace")
    return {k: v[0] for k, v in parse_qs(body).items()}


def login_page(request: Request) -> Response:
    """GET shows a button; only the POST spends the token, so link previews
    (Slack unfurling, mail scanners) cannot use it up."""
    web: Web = request.app.state.web
    token = request.path_params["token"]
    csrf, cookie = web.sessions.login_token()
    response = web.render("login", lang=web.bot.settings.language, token=token, person=None,
                          csrf=csrf)
    web.sessions.set_login_cookie(request, response, cookie)
    return response


async def login(request: Request) -> Response:
    return await run_in_threadpool(_login, request, await _form(request))


def _login(request: Request, form: dict[str, str]) -> Response:
    web: Web = request.app.state.web
    lang = web.bot.settings.language
    if not web.sessions.login_ok(request, form.get("csrf", "")):
        # Not from our own sign-in page (or it lay open too long): the link is not spent.
        web.log_access(None, f"{BASE}/login", 403)
        return web.render("message", 403, lang=lang, key="csrf_login", person=None)
    person_id = redeem_link_token(web.bot.engine, form.get("token", ""), web.bot.clock())
    response = RedirectResponse(f"{BASE}/", status_code=303)
    if person_id is None or not web.sessions.start(request, response, person_id):
        web.log_access(None, f"{BASE}/login", 400)
        return web.render("message", 400, lang=lang, key="link_bad", person=None)
    web.log_access(person_id, f"{BASE}/login", 303)
    return response


async def logout(request: Request) -> Response:
    return await run_in_threadpool(_logout, request, await _form(request))


def _logout(request: Request, form: dict[str, str]) -> Response:
    web: Web = request.app.state.web
    refused = _csrf_refused(web, request, form, f"{BASE}/uitloggen")
    if refused is not None:
        return refused
    response = RedirectResponse(f"{BASE}/", status_code=303)
    web.sessions.end(request, response)
    return response


async def language(request: Request) -> Response:
    return await run_in_threadpool(_language, request, await _form(request))


def _language(request: Request, form: dict[str, str]) -> Response:
    web: Web = request.app.state.web
    found = web.who(request)
    lang = request.path_params["lang"]
    refused = _csrf_refused(web, request, form, f"{BASE}/taal")
    if refused is not None:
        return refused
    if found is not None and lang in ("nl", "en"):
        web.sessions.set_lang(request, lang)
    return RedirectResponse(f"{BASE}/", status_code=303)


def _csrf_refused(web: Web, request: Request, form: dict[str, str], path: str) -> Response | None:
    """The 403 page for a signed-in request without the session's token, else None."""
    found = web.who(request)
    if found is None or web.sessions.csrf_ok(request, form.get("csrf", "")):
        return None
    ws, person = found
    web.log_access(person.id, path, 403)
    return web.render("message", 403, lang=web.lang(ws, person), key="csrf", person=person)

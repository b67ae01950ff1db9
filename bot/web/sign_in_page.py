"""Signing in with a one-time link from chat, signing out, and the page's language."""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.web.context import BASE, Web
from bot.web.session import WebSession
from handlers.overview.sign_in import redeem_link_token


async def login_page(request: Request) -> Response:
    """GET shows a button; only the POST spends the token, so link previews
    (Slack unfurling, mail scanners) cannot use it up."""
    web: Web = request.app.state.web
    token = request.path_params["token"]
    return web.render("login", lang=web.bot.settings.language, token=token, person=None)


async def login(request: Request) -> Response:
    web: Web = request.app.state.web
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    token = (form.get("token") or [""])[0]
    person_id = redeem_link_token(web.bot.engine, token, web.bot.clock())
    if person_id is None:
        web.log_access(None, f"{BASE}/login", 400)
        return web.render("message", 400, lang=web.bot.settings.language, key="link_bad",
                          person=None)
    web.log_access(person_id, f"{BASE}/login", 303)
    response = RedirectResponse(f"{BASE}/", status_code=303)
    web.sessions.write(request, response, WebSession(person_id))
    return response


async def logout(request: Request) -> Response:
    web: Web = request.app.state.web
    response = RedirectResponse(f"{BASE}/", status_code=303)
    web.sessions.clear(response)
    return response


async def language(request: Request) -> Response:
    web: Web = request.app.state.web
    found = web.who(request)
    response = RedirectResponse(f"{BASE}/", status_code=303)
    lang = request.path_params["lang"]
    if found and lang in ("nl", "en"):
        web.sessions.write(request, response, WebSession(found[1].id or 0, lang, found[0].nonce))
    return response

"""Routes of the overview page, mounted under /overzicht by `ketenbot serve`.

Server-rendered (Jinja2 templates in messages/templates/web/), no scripts, every
asset served from the package. URLs carry nothing about a case beyond the
referral's id (KB-0001); filters use gemeente ids and route/step keys.

Every page endpoint is a plain `def`: Starlette runs it in its threadpool, so
the database work of a page never holds up the event loop that also answers
Slack, Telegram and /healthz (issue 18, point 14).
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from bot.app import KetenBot
from bot.web import contacts_page, figures_page, pages, sign_in_page
from bot.web.context import BASE, STATIC, SecurityHeaders, Web
from handlers.overview.sign_in import WebSettings


def stylesheet(_request: Request) -> Response:
    return Response((STATIC / "style.css").read_text("utf-8"), media_type="text/css")


def not_found(request: Request, exc: Exception) -> Response:
    """No such page (404) or not that method (405): the styled page, not bare text."""
    web: Web = request.app.state.web
    return web.not_found(request, 405 if getattr(exc, "status_code", 404) == 405 else 404)


def web_app(bot: KetenBot, settings: WebSettings | None = None) -> Starlette:
    routes: list[BaseRoute] = [
        Route("/", pages.overview),
        Route("/verwijzing/{ref}", pages.timeline_page),
        Route("/cijfers", figures_page.figures_page),
        Route("/cijfers/{name}.csv", figures_page.figures_csv),
        Route("/contacten", contacts_page.contacts),
        Route("/contacten/{action}", contacts_page.contacts, methods=["POST"]),
        Route("/login/{token}", sign_in_page.login_page),
        Route("/login", sign_in_page.login, methods=["POST"]),
        Route("/uitloggen", sign_in_page.logout, methods=["POST"]),
        Route("/taal/{lang}", sign_in_page.language, methods=["POST"]),
        Route("/static/style.css", stylesheet),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(SecurityHeaders)],
                    exception_handlers={404: not_found, 405: not_found})
    app.state.web = Web(bot, settings)
    return app


def web_routes(bot: KetenBot) -> list[BaseRoute]:
    return [Mount(BASE, app=web_app(bot))]

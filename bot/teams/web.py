"""`POST /api/messages` for `ketenbot serve`: the Azure Bot resource's messaging endpoint.

The bearer token and the tenant are checked (`auth.Gate`) before the SDK
sees the activity; a refusal is 401 with nothing read further and one log
line. The SDK's adapter then runs the turn and answers 202 (an `invoke`: its
own status and body).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from microsoft_agents.hosting.core import AccessTokenProviderBase, ClaimsIdentity
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.app import KetenBot
from bot.teams.app import KetenbotAgent, TeamsAdapter, connections
from bot.teams.auth import Gate, Refused, auth_configuration

log = logging.getLogger("ketenbot.teams")

PATH = "/api/messages"


class SdkRequest:
    """Starlette's request as the SDK's `HttpRequestProtocol`, with the claims
    our gate verified and the body it already read."""

    def __init__(self, request: Request, body: dict[str, Any], claims: ClaimsIdentity) -> None:
        self._request, self._body, self._claims = request, body, claims

    @property
    def method(self) -> str:
        return self._request.method

    @property
    def headers(self) -> Mapping[str, str]:
        return self._request.headers

    async def json(self) -> dict[str, Any]:
        return self._body

    def get_claims_identity(self) -> ClaimsIdentity:
        return self._claims

    def get_path_param(self, name: str) -> str:
        return str(self._request.path_params.get(name, ""))


class TeamsEndpoint:
    def __init__(self, bot: KetenBot,
                 token_provider: AccessTokenProviderBase | None = None) -> None:
        settings = bot.settings
        if not settings.teams_enabled:
            raise ValueError("Teams needs KETENBOT_TEAMS_APP_ID, KETENBOT_TEAMS_APP_PASSWORD "
                             "and KETENBOT_TEAMS_TENANT_IDS")
        config = auth_configuration(settings)
        self.gate = Gate.build(settings, config)
        self.adapter = TeamsAdapter(connections(config, token_provider),
                                    settings.teams_service_host_check, settings.language)
        self.agent = KetenbotAgent(bot)

    async def messages(self, request: Request) -> Response:
        try:
            claims = await self.gate.identity(request.headers.get("authorization"))
            try:
                body = json.loads(await request.body())
            except ValueError:
                raise Refused("body is not JSON") from None
            if not isinstance(body, dict):
                raise Refused("body is not an activity")
            self.gate.check_endorsement(claims, body)
            self.gate.check_tenant(body)
            self.gate.check_service_url(claims, body)
        except Refused as refused:
            log.warning("teams request refused: %s", refused.reason)
            return Response(status_code=401)
        answer = await self.adapter.process_request(SdkRequest(request, body, claims), self.agent)
        if answer.status_code == 401:
            log.warning("teams request refused: serviceUrl not allowed")
        if answer.body is None:
            return Response(status_code=answer.status_code, headers=answer.headers)
        return JSONResponse(answer.body, status_code=answer.status_code, headers=answer.headers)


def teams_routes(bot: KetenBot, token_provider: AccessTokenProviderBase | None = None
                 ) -> tuple[list[BaseRoute], list[Any]]:
    endpoint = TeamsEndpoint(bot, token_provider)
    return [Route(PATH, endpoint.messages, methods=["POST"])], []

"""Teams in the webhook bench: `/api/messages` of `ketenbot serve` beside a bare
Agents SDK echo app, both answering through a fake Connector.

The fake (token issuer and Connector, tests/fakes/teams_api.py) runs in a
process of its own, as Microsoft's side would: its HTTP parsing must not take
the measured process's CPU. It prints its URL and one signed Bot Framework
token, which every request carries (the Bot Framework reuses a token for its
lifetime too).

The bare app is what the SDK's own samples are: its token validator (with
the keys from the fake's OpenID metadata, the one change ketenbot makes too),
its HTTP adapter (fed through ketenbot's Starlette request wrapper, as the SDK
ships no Starlette host) and an `ActivityHandler` that echoes the text back. Ketenbot's
request is `wie Ede` from a linked user in their personal chat: token and
tenant checks, the activity recorded as seen, the look-up, the answer.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import httpx
from microsoft_agents.activity import Activity, ActivityTypes
from microsoft_agents.hosting.core import (
    ActivityHandler,
    HttpAdapterBase,
    OutboundHostValidator,
    TurnContext,
)
from sqlalchemy import Engine
from sqlmodel import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.config import Settings
from bot.teams.app import connections
from bot.teams.auth import OpenIdKeys, TeamsTokenValidator, auth_configuration
from bot.teams.web import SdkRequest
from storage.db import session_scope
from storage.models import ChatIdentity, Person
from tests.fakes.teams_api import APP_ID, TENANT, FakeTokenProvider, message

USER = "29:1bench"
AAD = "aad-0000-bench"
CHAT = "a:1personal-bench"
PASSWORD = "bench-client-secret-value~1"

FAKE = """
import sys
from tests.fakes.teams_api import FakeTeams
fake = FakeTeams().start()
print(fake.base, flush=True)
print(fake.sign(lifetime=3600), flush=True)
sys.stdin.read()
"""


class FakeProcess:
    """The fake Connector and issuer in a subprocess: its URLs and a token."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", FAKE], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.base = self.proc.stdout.readline().strip()
        self.token = self.proc.stdout.readline().strip()
        if not self.base.startswith("http"):
            self.close()
            raise RuntimeError("the fake Teams service did not start")

    @property
    def service_url(self) -> str:
        return f"{self.base}/teams/"

    def settings(self) -> dict[str, Any]:
        return {"teams_app_id": APP_ID, "teams_app_password": PASSWORD,
                "teams_tenant_ids": TENANT, "teams_openid_url": f"{self.base}/openid",
                "teams_service_host_check": False, "teams_service_url": self.service_url}

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(10)


def link(engine: Engine, service_url: str) -> None:
    """The bench user: Jeroen, linked in Teams with his personal chat known."""
    with session_scope(engine) as session:
        person = session.exec(select(Person).where(
            Person.email == "jeroen.bakker@jbgld.example.org")).one()
        session.add(ChatIdentity(platform="teams", external_id=AAD, person_id=person.id or 0,
                                 address={"service_url": service_url, "conversation_id": CHAT,
                                          "user_id": USER, "bot_id": f"28:{APP_ID}",
                                          "tenant_id": TENANT}))


def sender(fake: FakeProcess, offset: int) -> Any:
    headers = {"Authorization": f"Bearer {fake.token}", "Content-Type": "application/json"}

    async def send(client: httpx.AsyncClient, i: int) -> httpx.Response:
        body = message("wie Ede", user_id=USER, aad=AAD, conversation=CHAT,
                       service_url=fake.service_url, activity_id=f"bench-{offset + i}")
        return await client.post("/api/messages", content=json.dumps(body), headers=headers)

    return send


class Echo(ActivityHandler):
    async def on_message_activity(self, turn_context: TurnContext) -> None:  # type: ignore[override]
        await turn_context.send_activity(Activity(type=ActivityTypes.message,
                                                  text=turn_context.activity.text))


def bare_app(fake: FakeProcess) -> Starlette:
    settings = Settings(_env_file=None, **fake.settings())  # type: ignore[arg-type]
    config = auth_configuration(settings)
    validator = TeamsTokenValidator(config, OpenIdKeys(settings.teams_openid_url))
    adapter = HttpAdapterBase(connection_manager=connections(config, FakeTokenProvider()),  # type: ignore[arg-type]
                              host_validator=OutboundHostValidator(enabled=False))
    agent = Echo()

    async def messages(request: Request) -> Response:
        scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
        if scheme.lower() != "bearer":
            return Response(status_code=401)
        claims = await validator.validate_token(token)
        body = json.loads(await request.body())
        answer = await adapter.process_request(SdkRequest(request, body, claims), agent)
        if answer.body is None:
            return Response(status_code=answer.status_code)
        return JSONResponse(answer.body, status_code=answer.status_code)

    return Starlette(routes=[Route("/api/messages", messages, methods=["POST"])])

"""A local stand-in for Microsoft's side of Teams, for tests.

One threaded HTTP server on 127.0.0.1 (a free port) plays two parts:

- the token issuer: OpenID metadata (`/openid`) naming a JWKS (`/keys`) with a
  test RSA key made here (`cryptography`); `sign` makes the bearer token the
  Bot Framework puts on every request to the bot, `other_key` signs one the
  bot must refuse;
- the Bot Connector (the activity's serviceUrl): `POST /v3/conversations/{id}/activities`
  (send), `POST /v3/conversations/{id}/activities/{activityId}` (reply-to),
  `PUT` of the same (update), `POST /v3/conversations` (a new thread in a
  channel: `channelData.channel.id`) and `GET /v3/conversations/{id}/members/{userId}`
  (the member with e-mail and UPN). Every call is recorded with the bearer
  token it came with; a call without the bot's token (`BOT_TOKEN`) is answered 401.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from microsoft_agents.hosting.core import AgentAuthConfiguration

from tests.fakes.local_server import LocalServer

APP_ID = "00000000-0000-4000-8000-00000000b07a"  # the bot's Entra app (the token audience)
TENANT = "72f988bf-0000-4000-8000-0000000000aa"  # the gemeenten's tenant
OTHER_TENANT = "72f988bf-0000-4000-8000-0000000000bb"
ISSUER = "https://api.botframework.com"
BOT_TOKEN = "teams-test-connector-token"  # what the bot's token provider hands out
BOT_ID = "28:" + APP_ID  # the bot as a Teams account
KID = "test-key-1"


class FakeTokenProvider:
    """The SDK's AccessTokenProviderBase for tests: MSAL wants an https
    authority; the fake Connector wants this token."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self._configuration = AgentAuthConfiguration(client_id=APP_ID, tenant_id=TENANT)

    @property
    def configuration(self) -> AgentAuthConfiguration:
        return self._configuration

    async def get_access_token(self, resource_url: str, scopes: list[str],
                               force_refresh: bool = False) -> str:
        self.asked.append(resource_url)
        return BOT_TOKEN

    def get_token_credential(self) -> Any:
        raise NotImplementedError


@dataclass
class Call:
    method: str  # "send", "reply", "update", "create", "member"
    path: str
    body: dict[str, Any]
    token: str | None


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class FakeTeams(LocalServer):
    # Teams user id (29:…) -> the member record the Connector answers.
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    key: rsa.RSAPrivateKey = field(default_factory=_key)
    other_key: rsa.RSAPrivateKey = field(default_factory=_key)
    metadata_fetches: int = 0
    keys_fetches: int = 0
    # conversation id -> the statuses its next sends get (429 with Retry-After,
    # 403 for a bot removed, 404 for a conversation gone), one per send.
    refusals: dict[str, list[tuple[int, dict[str, str], str | None]]] = field(
        default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    methods = ("GET", "POST", "PUT")  # PUT: updating an activity

    @property
    def openid_url(self) -> str:
        return f"{self.base}/openid"

    @property
    def service_url(self) -> str:
        return f"{self.base}/teams/"

    # -- tokens -----------------------------------------------------------------

    def sign(self, *, audience: str = APP_ID, issuer: str = ISSUER, lifetime: float = 3600,
             service_url: str | None = None, key: rsa.RSAPrivateKey | None = None,
             kid: str = KID, **claims: Any) -> str:
        """A Bot Framework token as the Connector service sends it to the bot."""
        now = int(time.time())
        payload = {"iss": issuer, "aud": audience, "nbf": now - 60, "iat": now - 60,
                   "exp": int(now + lifetime), "serviceurl": service_url or self.service_url,
                   **claims}
        return jwt.encode(payload, key or self.key, algorithm="RS256", headers={"kid": kid})

    # -- inspection ---------------------------------------------------------------

    def of(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def refuse(self, conversation: str, status: int, times: int = 1,
               retry_after: int | None = None, method: str | None = None) -> None:
        """The next `times` calls into `conversation` (only `method`'s, when
        given: "send", "update", "create") are answered `status`."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        with self._lock:
            self.refusals.setdefault(conversation, []).extend(
                [(status, headers, method)] * times)

    def clear(self) -> None:
        with self._lock:
            self.calls.clear()

    # -- the server side ----------------------------------------------------------

    def _send(self, req: BaseHTTPRequestHandler, status: int, body: Any = None,
              headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        req.send_response(status)
        for name, value in (headers or {}).items():
            req.send_header(name, value)
        req.send_header("Content-Type", "application/json")
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)

    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        path = urlsplit(req.path).path
        if path == "/openid":
            with self._lock:
                self.metadata_fetches += 1
            return self._send(req, 200, {"issuer": ISSUER, "jwks_uri": f"{self.base}/keys",
                                         "id_token_signing_alg_values_supported": ["RS256"]})
        if path == "/keys":
            with self._lock:
                self.keys_fetches += 1
            jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
            jwk.update(kid=KID, use="sig", alg="RS256", endorsements=["msteams"])
            return self._send(req, 200, {"keys": [jwk]})
        length = int(req.headers.get("Content-Length") or 0)
        raw = req.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else {}
        auth = req.headers.get("Authorization") or ""
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
        parts = [unquote(p) for p in path.removeprefix("/teams/").split("/")]
        method = "unknown"
        if parts[:2] == ["v3", "conversations"] and len(parts) >= 4:
            method = {("POST", "activities", 4): "send", ("POST", "activities", 5): "reply",
                      ("PUT", "activities", 5): "update",
                      ("GET", "members", 5): "member"}.get((req.command, parts[3], len(parts)),
                                                           "unknown")
        elif parts == ["v3", "conversations"] and req.command == "POST":
            method = "create"
        # Refusals are keyed by the conversation; a thread's (`…;messageid=…`)
        # and a new thread's are the channel's.
        target = ""
        if method == "create":
            target = str(((body.get("channelData") or {}).get("channel") or {}).get("id", ""))
        elif len(parts) > 2:
            target = parts[2].split(";messageid=", 1)[0]
        refusal = None
        with self._lock:
            if method in ("send", "reply", "update", "create") and token == BOT_TOKEN:
                queued = self.refusals.get(target) or []
                match = next((r for r in queued if r[2] in (None, method)), None)
                if match is not None:
                    queued.remove(match)
                    refusal = match[:2]
            self.calls.append(Call(f"{method}-refused" if refusal else method, path, body, token))
        if token != BOT_TOKEN:
            return self._send(req, 401, {"error": {"code": "Unauthorized"}})
        if method == "member":
            member = self.members.get(parts[4])
            if member is None:
                return self._send(req, 404, {"error": {"code": "MemberNotFoundInConversation"}})
            return self._send(req, 200, member)
        if refusal is not None:
            status, headers = refusal
            return self._send(req, status, {"error": {"code": str(status)}}, headers)
        if method in ("send", "reply"):
            return self._send(req, 201, {"id": f"1:{next(self._ids)}"})
        if method == "update":
            return self._send(req, 200, {"id": parts[4]})
        if method == "create":
            root = str(next(self._ids))
            return self._send(req, 201, {"id": f"{target};messageid={root}",
                                         "activityId": root})
        return self._send(req, 404, {"error": {"code": "NotFound"}})


def member(user_id: str, aad: str, email: str | None, name: str = "Teams User") -> dict[str, Any]:
    """A Connector member record (TeamsChannelAccount) as Teams returns it."""
    record: dict[str, Any] = {"id": user_id, "name": name, "aadObjectId": aad,
                              "tenantId": TENANT, "userRole": "user"}
    if email:
        record.update(email=email, userPrincipalName=email, givenName="T", surname="U")
    return record


def message(text: str, *, user_id: str, aad: str | None, conversation: str,
            service_url: str, personal: bool = True, tenant: str | None = TENANT,
            mention: bool = False, activity_id: str | None = None) -> dict[str, Any]:
    """A `message` activity as Teams posts it to /api/messages."""
    activity: dict[str, Any] = {
        "type": "message",
        "id": activity_id or f"{int(time.time() * 1000)}{uuid.uuid4().hex[:6]}",
        "timestamp": "2026-12-07T12:00:00.000Z",
        "localTimestamp": "2026-12-07T13:00:00.000+01:00",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": {"id": user_id, "name": "Teams User", **({"aadObjectId": aad} if aad else {})},
        "conversation": {"id": conversation,
                         "conversationType": "personal" if personal else "channel",
                         **({"tenantId": tenant} if tenant else {})},
        "recipient": {"id": BOT_ID, "name": "ketenbot"},
        "textFormat": "plain",
        "locale": "nl-NL",
        "text": text,
        "entities": [{"type": "clientInfo", "locale": "nl-NL", "country": "NL",
                      "platform": "Web"}],
        "channelData": {"tenant": {"id": tenant}} if tenant else {},
    }
    if mention:
        activity["text"] = f"<at>ketenbot</at> {text}"
        activity["entities"].append({"type": "mention", "text": "<at>ketenbot</at>",
                                     "mentioned": {"id": BOT_ID, "name": "ketenbot"}})
        activity["channelData"].update(teamsChannelId="19:food-valley@thread.tacv2",
                                       teamsTeamId="19:team@thread.tacv2",
                                       channel={"id": "19:food-valley@thread.tacv2"},
                                       team={"id": "19:team@thread.tacv2"})
    return activity


def card_action(verb: str, data: dict[str, Any], *, user_id: str, aad: str | None,
                conversation: str, service_url: str, tenant: str = TENANT,
                activity_id: str | None = None,
                conversation_type: str = "channel") -> dict[str, Any]:
    """The `invoke` Teams posts when someone presses an `Action.Execute` button
    on a card in a channel's thread or a personal chat (`adaptiveCard/action`)."""
    return {
        "type": "invoke", "name": "adaptiveCard/action",
        "id": activity_id or f"f:{uuid.uuid4().hex}",
        "timestamp": "2026-12-07T12:00:00.000Z",
        "serviceUrl": service_url, "channelId": "msteams",
        "from": {"id": user_id, "name": "Teams User", **({"aadObjectId": aad} if aad else {})},
        "conversation": {"id": conversation, "conversationType": conversation_type,
                         "tenantId": tenant},
        "recipient": {"id": BOT_ID, "name": "ketenbot"},
        "locale": "nl-NL",
        "value": {"action": {"type": "Action.Execute", "verb": verb, "data": data},
                  "trigger": "manual"},
        "channelData": {"tenant": {"id": tenant}},
    }

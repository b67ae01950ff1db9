"""Who may post to /api/messages: the Bot Framework's signed token, and our tenants.

Every request carries `Authorization: Bearer <JWT>` signed by the Bot
Framework (Azure Bot Service). It is checked by the Agents SDK's own
`JwtTokenValidator` (signature RS256, expiry with its five minutes' leeway,
audience = our app id, issuer against the allow-list with `VALIDATE_ISSUER`
on). The one change: the SDK picks the signing keys' URL from the token's
issuer, hard-wired; here they come from the OpenID metadata document
(`KETENBOT_TEAMS_OPENID_URL`, its `jwks_uri`) — Bot Framework's by default,
where the SDK would look too, and a local issuer in tests.

The Bot Framework also says which channels a key may sign for (its
`endorsements`): a key that lists them must list the activity's `channelId`.
Then the activity's tenant (`channelData.tenant.id`, `conversation.tenantId`)
must be one of ours (`KETENBOT_TEAMS_TENANT_IDS`): a token is Bot Framework's
for any tenant that installed the app. A refusal is one log line naming the
reason, never the token.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import urllib.request
from dataclasses import dataclass
from typing import Any

from jwt import PyJWK, PyJWKClient, PyJWTError, get_unverified_header
from microsoft_agents.hosting.core import AgentAuthConfiguration, ClaimsIdentity
from microsoft_agents.hosting.core.authorization.jwt.jwt_token_validator import (
    JwtTokenValidator,
)
from microsoft_agents.hosting.core.security import _try_create_url

from bot.config import Settings

log = logging.getLogger("ketenbot.teams")

METADATA_TTL = 24 * 3600.0  # seconds the OpenID metadata (its jwks_uri) is reused
FETCH_TIMEOUT = 10.0


class Refused(Exception):
    """The request is not one we answer; `reason` is for the log line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class OpenIdKeys:
    """The signing keys named by an OpenID metadata document, for the SDK's
    validator in place of its issuer-derived JWKS URL. PyJWKClient caches the
    key set and fetches it again for a key id it does not know (key rollover)."""

    def __init__(self, openid_url: str) -> None:
        self.openid_url = openid_url
        self._lock = threading.Lock()
        self._client: PyJWKClient | None = None
        self._fetched = 0.0
        # key id -> the channels the key is endorsed for (None: it names none)
        self.endorsements: dict[str, list[str] | None] = {}

    def _jwks(self) -> PyJWKClient:
        with self._lock:
            if self._client is None or time.monotonic() - self._fetched > METADATA_TTL:
                with urllib.request.urlopen(self.openid_url, timeout=FETCH_TIMEOUT) as answer:
                    metadata = json.load(answer)
                uri = metadata.get("jwks_uri") if isinstance(metadata, dict) else None
                if not isinstance(uri, str) or not uri.startswith(("https://", "http://")):
                    raise ValueError("OpenID metadata without a jwks_uri")
                self._client = PyJWKClient(uri, timeout=int(FETCH_TIMEOUT))
                self._fetched = time.monotonic()
            return self._client

    async def get_signing_key(self, _jwks_uri: str, header: dict[str, Any]) -> PyJWK:
        """The SDK's `_JwkClientManager.get_signing_key`, ignoring the URL it
        derived from the (unverified) issuer."""
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise ValueError("token without a key id")

        def fetch() -> PyJWK:
            key = self._jwks().get_signing_key(kid)
            named = (getattr(key, "_jwk_data", None) or {}).get("endorsements")
            self.endorsements[kid] = ([str(e) for e in named] if isinstance(named, list)
                                      else None)
            return key

        return await asyncio.to_thread(fetch)


class TeamsTokenValidator(JwtTokenValidator):
    """The SDK's validator with the keys from our OpenID metadata."""

    def __init__(self, configuration: AgentAuthConfiguration, keys: OpenIdKeys) -> None:
        super().__init__(configuration)
        self._jwk_client_manager = keys  # type: ignore[assignment]


def auth_configuration(settings: Settings) -> AgentAuthConfiguration:
    """The SDK's configuration for our one connection (the app registration)."""
    return AgentAuthConfiguration(
        client_id=settings.teams_app_id,
        tenant_id=settings.teams_app_tenant_id or next(iter(settings.teams_tenant_ids), None),
        client_secret=settings.reveal("teams_app_password"),
        issuers=list(settings.teams_issuers),
        validate_issuer=True,
        anonymous_allowed=False,
    )


@dataclass
class Gate:
    """Token, tenant and serviceUrl checks for one deployment."""

    validator: JwtTokenValidator
    keys: OpenIdKeys
    tenants: frozenset[str]

    @classmethod
    def build(cls, settings: Settings, config: AgentAuthConfiguration) -> Gate:
        keys = OpenIdKeys(settings.teams_openid_url)
        return cls(TeamsTokenValidator(config, keys), keys,
                   frozenset(t.lower() for t in settings.teams_tenant_ids))

    def check_endorsement(self, claims: ClaimsIdentity, body: dict[str, Any]) -> None:
        """The key that signed the token may sign for the activity's channel."""
        kid = get_unverified_header(claims.security_token or "").get("kid")
        endorsed = self.keys.endorsements.get(kid) if isinstance(kid, str) else None
        if endorsed is not None and body.get("channelId") not in endorsed:
            raise Refused("signing key not endorsed for the channel")

    async def identity(self, authorization: str | None) -> ClaimsIdentity:
        """The verified claims of the request's bearer token; raises Refused."""
        if not authorization:
            raise Refused("no token")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Refused("not a bearer token")
        try:
            return await self.validator.validate_token(token.strip())
        except (PyJWTError, ValueError) as exc:  # the SDK's own two
            raise Refused(f"token not valid ({type(exc).__name__})") from None
        except OSError:  # the metadata or keys could not be fetched
            raise Refused("signing keys unavailable") from None

    def check_tenant(self, body: dict[str, Any]) -> None:
        """Every tenant the activity names is ours, and it names one."""
        found = set()
        channel_data = body.get("channelData")
        if isinstance(channel_data, dict) and isinstance(channel_data.get("tenant"), dict):
            found.add(channel_data["tenant"].get("id"))
        conversation = body.get("conversation")
        if isinstance(conversation, dict) and "tenantId" in conversation:
            found.add(conversation.get("tenantId"))
        if not found:
            raise Refused("no tenant")
        if not all(isinstance(t, str) and t.lower() in self.tenants for t in found):
            raise Refused("tenant not allowed")

    @staticmethod
    def check_service_url(claims: ClaimsIdentity, body: dict[str, Any]) -> None:
        """The token was issued for the serviceUrl the activity names (the SDK
        checks this only with its host validator on; here always)."""
        claim = claims.get_claim_value("serviceurl")
        given = body.get("serviceUrl")
        if not isinstance(given, str) or not given:
            raise Refused("no serviceUrl")
        if not isinstance(claim, str):
            raise Refused("token without a serviceurl claim")
        claim_url, given_url = _try_create_url(claim), _try_create_url(given)
        if (claim_url is None or given_url is None or not claim_url.host
                or (claim_url.host or "").casefold() != (given_url.host or "").casefold()
                or claim_url.port != given_url.port):
            raise Refused("serviceUrl differs from the token's")

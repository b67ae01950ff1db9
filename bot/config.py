"""Configuration from environment variables and an optional `.env` file.

Every setting is checked when it is read: a wrong value is reported by the
name of its environment variable (see `problems`), never as a traceback.
"""

from __future__ import annotations

import json
import re
from datetime import date, time
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url

from handlers.overview.sign_in import WebSettings
from scheduling.calendar import WorkCalendar
from storage.retention import DEFAULT_OUTBOX_KEEP_DAYS, DEFAULT_RETENTION_DAYS, Terms

ENV_PREFIX = "KETENBOT_"
# Values never printed, logged or echoed back in an error (pydantic's SecretStr:
# they show as ********** even in a repr).
SECRET_FIELDS = ("slack_bot_token", "slack_signing_secret", "slack_app_token",
                 "telegram_bot_token", "telegram_webhook_secret", "teams_app_password",
                 "web_secret")
# What each platform's tokens look like: (pattern, what to say when it does not match).
_TOKEN_SHAPES = {
    "slack_bot_token": (r"xoxb-[A-Za-z0-9-]+\S*", "a Slack bot token (xoxb-…)"),
    "slack_signing_secret": (r"[^\s'\"]+", "the app's Signing Secret (no spaces or quotes)"),
    "slack_app_token": (r"xapp-[A-Za-z0-9-]+", "a Slack app-level token (xapp-…)"),
    "telegram_bot_token": (r"\d+:[A-Za-z0-9_-]+", "a BotFather token (123456:ABC-…)"),
    # Telegram's own rule for secret_token: 1-256 of A-Z a-z 0-9 _ -.
    "telegram_webhook_secret": (r"[A-Za-z0-9_-]{1,256}", "1-256 characters A-Z a-z 0-9 _ -"),
    # An Entra client secret's value (not its Secret ID): letters, digits, _ ~ . -
    "teams_app_password": (r"[A-Za-z0-9_~.-]{16,}",
                           "an Entra client secret's Value (Certificates & secrets)"),
}
# An Entra id (tenant, application): a GUID.
_GUID = r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}"
# Long enough that the cookie signature cannot be guessed (itsdangerous, HMAC-SHA1).
WEB_SECRET_MIN = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", extra="ignore", populate_by_name=True
    )

    data_dir: Path = Path("data")
    # DATABASE_URL is the conventional name (Heroku-style platforms set it), so it
    # is read without the prefix.
    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    language: Literal["nl", "en"] = "nl"
    timezone: str = "Europe/Amsterdam"
    stale_after_days: int = Field(default=90, gt=0)
    working_hours_start: time = time(8, 30)
    working_hours_end: time = time(17, 0)
    # An organisation's own closed days on top of the Atw, as JSON: ["2026-12-24"].
    closed_days: list[date] = []
    # A region's own routes file; default: the Bouwsteen 5 routes shipped with the package.
    routes_file: Path | None = None
    sweep_interval_seconds: float = Field(default=30.0, gt=0)
    # How often the worker's dispatcher looks for messages that may leave now.
    dispatch_interval_seconds: float = Field(default=2.0, gt=0)

    # Retention (storage/retention.py): a delivered message's payload, and a
    # closed referral's or escalation's kenmerk and free text.
    outbox_keep_days: int = Field(default=DEFAULT_OUTBOX_KEEP_DAYS, ge=0)
    retention_days: int = Field(default=DEFAULT_RETENTION_DAYS, gt=0)

    # Operations: logging, waiting for the database at start, health and metrics.
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    db_wait_seconds: float = Field(default=60.0, ge=0)
    ready_max_outbox_age_seconds: float = Field(default=900.0, gt=0)
    # Off unless set: two workers on one host must not fight over a port (and
    # 9100 is node_exporter's). 0: any free port, logged at start.
    worker_metrics_port: int | None = Field(default=None, ge=0, le=65535)

    # Web process (`ketenbot serve`): Slack HTTP endpoints, Telegram webhook, /healthz.
    host: str = "0.0.0.0"
    port: int = Field(default=8000, ge=1, le=65535, validation_alias="PORT")  # platforms set PORT
    # Slack: bot token + signing secret enable it; an app-level token selects Socket Mode.
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    # Telegram: the bot token enables it; with a webhook secret it runs as a
    # webhook under `serve`, without one `ketenbot telegram poll` polls.
    telegram_bot_token: SecretStr | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org/bot"
    # Microsoft Teams (bot/teams/): the Entra app registration behind the Azure Bot
    # resource (its id is the audience of every request's token) and its client
    # secret, and the tenants whose Teams may talk to the bot (comma list).
    teams_app_id: str | None = None
    teams_app_password: SecretStr | None = None
    teams_tenant_ids: Annotated[list[str], NoDecode] = []
    # The app registration's own tenant, where its tokens come from (default:
    # the first of KETENBOT_TEAMS_TENANT_IDS, as for a single-tenant bot).
    teams_app_tenant_id: str | None = None
    # Where the signing keys of incoming requests are published (its jwks_uri),
    # and which token issuers are accepted: Bot Framework's, unless a test
    # points them at a local issuer.
    teams_openid_url: str = "https://login.botframework.com/v1/.well-known/openidconfiguration"
    teams_issuers: Annotated[list[str], NoDecode] = ["https://api.botframework.com"]
    # Only https serviceUrls on Microsoft's hosts are answered. Off only for a
    # local fake Connector in tests (http://127.0.0.1:…); the token's serviceurl
    # claim must still name the activity's host.
    teams_service_host_check: bool = True
    # The Bot Connector the bot posts a referral's first message into a team's
    # channel through (nothing has come from that channel yet to name it): the
    # one of the tenant's region, as Microsoft documents for proactive messages.
    teams_service_url: str = "https://smba.trafficmanager.net/emea/"

    # The overview page (`ketenbot serve`, /overzicht): where people reach it
    # (links in chat), the cookie's signing key (the same on every web process;
    # unset: random per process), `Secure` cookies behind a TLS proxy, session length.
    web_base_url: str = "http://localhost:8000"
    web_secret: SecretStr | None = None
    web_secure_cookie: bool = False
    web_session_hours: int = Field(default=8, gt=0, le=24 * 30)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, v: object) -> object:
        return v.upper() if isinstance(v, str) else v

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("unknown time zone, e.g. Europe/Amsterdam") from None
        return v

    @field_validator("data_dir")
    @classmethod
    def _data_dir(cls, v: Path) -> Path:
        if v.exists() and not v.is_dir():
            raise ValueError(f"not a directory: {v}")
        return v

    @field_validator("routes_file")
    @classmethod
    def _routes_exists(cls, v: Path | None) -> Path | None:
        if v is not None and not v.is_file():
            raise ValueError(f"no such file: {v}")
        return v

    @field_validator("slack_bot_token", "slack_signing_secret", "slack_app_token",
                     "telegram_bot_token", "telegram_webhook_secret", "teams_app_password")
    @classmethod
    def _token_shape(cls, v: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        # A token pasted into the wrong variable (or with a quote or space) is
        # caught here rather than as a 401 from the platform later.
        if v:  # empty counts as not set
            pattern, example = _TOKEN_SHAPES[str(info.field_name)]
            if not re.fullmatch(pattern, v.get_secret_value()):
                raise ValueError(f"does not look like {example}")
        return v

    @field_validator("teams_tenant_ids", "teams_issuers", mode="before")
    @classmethod
    def _comma_list(cls, v: object) -> object:
        # `a,b` in the environment; a JSON list is accepted too.
        if isinstance(v, str):
            text = v.strip()
            if text.startswith("["):
                try:
                    return json.loads(text)
                except ValueError:
                    raise ValueError("a comma-separated list, e.g. id-1,id-2") from None
            return [part.strip() for part in text.split(",") if part.strip()]
        return v

    @field_validator("teams_tenant_ids", "teams_app_tenant_id")
    @classmethod
    def _tenant_ids(cls, v: object) -> object:
        ids = v if isinstance(v, list) else [v] if v else []
        for tenant in ids:
            if not isinstance(tenant, str) or not re.fullmatch(_GUID, tenant):
                raise ValueError("an Entra tenant id (a GUID, "
                                 "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)")
        if isinstance(v, list):
            return [str(t).lower() for t in v]
        return str(v).lower() if v else v

    @field_validator("teams_app_id")
    @classmethod
    def _app_id(cls, v: str | None) -> str | None:
        if v and not re.fullmatch(_GUID, v):
            raise ValueError("the app registration's Application (client) ID, a GUID")
        return v or None

    @field_validator("teams_issuers")
    @classmethod
    def _issuers(cls, v: list[str]) -> list[str]:
        if not v or not all(i.startswith(("http://", "https://")) for i in v):
            raise ValueError("token issuers as URLs, e.g. https://api.botframework.com")
        return v

    @field_validator("slack_api_url", "telegram_api_url", "teams_openid_url",
                     "teams_service_url")
    @classmethod
    def _api_url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("an http(s) URL")
        return v

    @field_validator("host")
    @classmethod
    def _host(cls, v: str) -> str:
        if not v.strip() or any(c.isspace() for c in v):
            raise ValueError("a host name or address to listen on, e.g. 0.0.0.0")
        return v

    @field_validator("web_secret")
    @classmethod
    def _web_secret(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and len(v.get_secret_value()) < WEB_SECRET_MIN:
            raise ValueError(f"at least {WEB_SECRET_MIN} characters, e.g. "
                             "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`")
        return v

    @field_validator("web_base_url")
    @classmethod
    def _base_url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("an http(s) URL, e.g. https://ketenbot.example.org")
        return v.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v:
            try:
                make_url(normalise_db_url(v))
            except Exception:
                raise ValueError("not a database URL, e.g. postgresql://user:pw@host/db") from None
        return v

    @model_validator(mode="after")
    def _hours(self) -> Settings:
        if self.working_hours_end <= self.working_hours_start:
            raise ValueError("KETENBOT_WORKING_HOURS_END must be after _START")
        return self

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_bot_token and self.slack_signing_secret)

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_bot_token)

    @property
    def teams_enabled(self) -> bool:
        return bool(self.teams_app_id and self.teams_app_password and self.teams_tenant_ids)

    def reveal(self, field: str) -> str | None:
        """A secret's value, for the one place that hands it to a library."""
        value = getattr(self, field)
        return value.get_secret_value() if isinstance(value, SecretStr) else value

    def web(self) -> WebSettings:
        return WebSettings(self.web_base_url, self.reveal("web_secret"),
                           self.web_secure_cookie, self.web_session_hours)

    def secrets(self) -> list[str]:
        """Every secret value this deployment has: the log filter hides them."""
        values = [self.reveal(f) for f in SECRET_FIELDS]
        if self.database_url:
            values += url_passwords(self.database_url)
        return [v for v in values if v]

    def work_calendar(self) -> WorkCalendar:
        """The werkdagen calendar with this organisation's own closed days:
        the worker, the chat commands and `ketenbot calendar` all use this one."""
        return WorkCalendar({d: "eigen sluitingsdag" for d in self.closed_days}, tz=self.timezone)

    def retention_terms(self) -> Terms:
        return Terms(outbox_keep_days=self.outbox_keep_days, retention_days=self.retention_days)

    def db_url(self) -> str:
        if self.database_url:
            return normalise_db_url(self.database_url)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.data_dir / 'ketenbot.sqlite').resolve()}"


def env_name(field: str) -> str:
    info = Settings.model_fields.get(field)
    if info is None:  # pydantic reports aliased fields by their alias: DATABASE_URL, PORT
        return field
    alias = info.validation_alias
    return alias if isinstance(alias, str) else ENV_PREFIX + field.upper()


def problems(exc: ValidationError) -> list[str]:
    """One line per wrong setting, named by its environment variable."""
    lines = []
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else ""
        msg = err["msg"].removeprefix("Value error, ")
        if not field:  # a rule across settings (working hours)
            lines.append(f"Ongeldige instelling / invalid setting: {msg}")
            continue
        shown = "" if field in (*SECRET_FIELDS, "database_url", "DATABASE_URL") else (
            f" (nu / now: {err['input']!r})")
        lines.append(f"Ongeldige instelling / invalid setting {env_name(field)}{shown}: {msg}")
    return lines


# Query parameters that carry a password (libpq's `password`, and the like).
_SECRET_QUERY = ("password", "passwd", "pwd", "sslpassword", "secret", "token")


def url_passwords(url: str) -> list[str]:
    """Every password in a database URL: after user:, and in the query string."""
    try:
        parsed = make_url(normalise_db_url(url))
    except Exception:
        return []
    found = [str(parsed.password)] if parsed.password else []
    for key, value in parsed.query.items():
        if key.lower() in _SECRET_QUERY:
            found += [value] if isinstance(value, str) else list(value)
    return found


def mask_url(url: str) -> str:
    """A database URL as it may be shown: every password replaced by ***
    (the one after user: and any `?password=` in the query)."""
    try:
        parsed = make_url(url)
        secret = {k: "***" for k in parsed.query if k.lower() in _SECRET_QUERY}
        shown = parsed.update_query_dict(secret).render_as_string(hide_password=True)
        return shown.replace("%2A%2A%2A", "***")
    except Exception:
        return "<invalid URL>"


def normalise_db_url(url: str) -> str:
    """Accept the plain `postgres://` URLs hosting platforms hand out."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url

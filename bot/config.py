"""Configuration from environment variables and an optional `.env` file."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="KETENBOT_", env_file=".env", extra="ignore", populate_by_name=True
    )

    data_dir: Path = Path("data")
    # DATABASE_URL is the conventional name (Heroku-style platforms set it), so it
    # is read without the prefix.
    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    language: str = "nl"
    timezone: str = "Europe/Amsterdam"
    stale_after_days: int = 90
    working_hours_start: time = time(8, 30)
    working_hours_end: time = time(17, 0)
    # An organisation's own closed days on top of the Atw, as JSON: ["2026-12-24"].
    closed_days: list[date] = []
    # A region's own routes file; default: the Bouwsteen 5 routes shipped in handlers/.
    routes_file: Path | None = None
    sweep_interval_seconds: float = 30.0
    # How often the worker's dispatcher looks for messages that may leave now.
    dispatch_interval_seconds: float = 2.0

    # Web process (`ketenbot serve`): Slack HTTP endpoints, Telegram webhook, /healthz.
    host: str = "0.0.0.0"
    port: int = Field(default=8000, validation_alias="PORT")  # platforms set PORT
    # Slack: bot token + signing secret enable it; an app-level token selects Socket Mode.
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = "https://slack.com/api/"
    # Telegram: the bot token enables it; with a webhook secret it runs as a
    # webhook under `serve`, without one `ketenbot telegram poll` polls.
    telegram_bot_token: str | None = None
    telegram_webhook_secret: str | None = None
    telegram_api_url: str = "https://api.telegram.org/bot"

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_bot_token and self.slack_signing_secret)

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_bot_token)

    def db_url(self) -> str:
        if self.database_url:
            return normalise_db_url(self.database_url)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.data_dir / 'ketenbot.sqlite').resolve()}"


def normalise_db_url(url: str) -> str:
    """Accept the plain `postgres://` URLs hosting platforms hand out."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url

"""Start-up shared by every command: settings, logging, the database.

Lives apart from `bot.cli.main` so the command modules can use it without
importing the command line that registers them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version

import typer
from pydantic import ValidationError
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from bot.app import KetenBot
from bot.config import Settings, mask_url, problems
from bot.logs import Redact, setup_logging
from handlers.core import Clock
from scheduling.routes import RoutesError
from storage.db import SchemaNotCurrent

log = logging.getLogger("ketenbot.startup")


class ConfigError(Exception):
    """Settings that cannot work; `lines` names each environment variable."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(problems(exc)) from None


def configure_logging(settings: Settings) -> None:
    setup_logging(settings.log_level, settings.log_format, settings.secrets())


def package_version() -> str:
    """The installed ketenbot's version (`--version`, the Teams app package)."""
    try:
        return version("ketenbot")
    except PackageNotFoundError:  # a checkout that was never installed
        return "unknown"


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def start_bot(settings: Settings | None = None, clock: Clock | None = None, wait: bool = False,
              sleep: Callable[[float], None] = time.sleep,
              monotonic: Callable[[], float] = time.monotonic) -> KetenBot:
    """Open the database and check the schema.

    With `wait` (serve, worker) an unreachable database is tried again with
    backoff for `KETENBOT_DB_WAIT_SECONDS`, one log line per attempt: on a
    platform the database often comes up after the processes do.
    """
    settings = settings or load_settings()
    url = settings.db_url()
    give_up = monotonic() + (settings.db_wait_seconds if wait else 0)
    delay, attempt = 1.0, 0
    while True:
        attempt += 1
        try:
            return KetenBot.start(settings, clock=clock)
        except (SchemaNotCurrent, RoutesError) as exc:
            raise fail(str(exc), 2 if isinstance(exc, RoutesError) else 1) from None
        except (ArgumentError, NoSuchModuleError):
            raise ConfigError([f"Ongeldige instelling / invalid setting DATABASE_URL: "
                               f"{mask_url(url)} is geen bruikbare database-URL"]) from None
        except DBAPIError as exc:
            text = str(exc.orig or exc).strip()
            reason = Redact(settings.secrets()).clean(text.splitlines()[0]) if text else ""
            left = give_up - monotonic()
            if left <= 0:
                raise fail(f"database unreachable: {mask_url(url)} ({reason}); "
                           f"gave up after {attempt} attempt(s)", 1) from None
            pause = min(delay, left)
            log.warning("database unreachable, retrying", extra={
                "url": mask_url(url), "attempt": attempt, "reason": reason,
                "retry_in_s": round(pause, 1)})
            sleep(pause)
            delay = min(delay * 2, 30.0)

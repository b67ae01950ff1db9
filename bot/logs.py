"""One logging set-up for every command: level and format from the settings,
chatty libraries quieted, and one filter on the one handler that every logger
(ours, bolt's, slack_sdk's, telegram's, httpx's, uvicorn's) goes through.

Operator lines are English, a short fixed message with the facts as fields:
`log.info("referral step", extra={"ref": "KB-0001", "action": "ack"})` prints
`... ketenbot.referral: referral step ref=KB-0001 action=ack`, and with
`KETENBOT_LOG_FORMAT=json` the fields are keys of the record.

The filter (`Redact`):
- hides every known secret value, user:password@ in URLs, token-shaped text,
  and the token in a sign-in link (`/overzicht/login/<token>`);
- drops libraries' DEBUG records (slack_sdk, bolt and python-telegram-bot log
  whole request and response bodies there: message text, sign-in links), and
  cuts bodies (`{...}`) out of their other records.
Our own records never carry message text: ids, references and platforms only.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TextIO

from scheduling.delivery.redact import redact as redact_patterns

QUIET = ("httpx", "httpcore", "apscheduler", "slack_bolt", "slack_sdk", "telegram",
         "aiohttp", "hpack", "urllib3", "asyncio", "uvicorn.access", "alembic",
         "microsoft_agents", "msal")
# Libraries whose warnings repeat a line of ours: a refused Teams request is one
# line (`ketenbot.teams`), not that plus the SDK's own about the same token.
ERRORS_ONLY = ("microsoft_agents.hosting.core.authorization.jwt",
               "microsoft_agents.hosting.core._http_adapter_base")
OWN = "ketenbot"  # our loggers: ketenbot and ketenbot.*
_MARK = "_ketenbot_handler"
# user:password@ in any URL-like text (DATABASE_URL in a driver's error).
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]+@")
# The one-time token in a sign-in link, and a link code after /start.
_LINK_TOKENS = [
    (re.compile(r"(/login/)[A-Za-z0-9_-]{8,}"), r"\1***"),
    (re.compile(r"(?i)([?&](?:start|code|password|pwd)=)[^&\s\"']+"), r"\1***"),
]
# A request or response body in a library's line: a dict, JSON or form data.
_BODY = re.compile(r"\{.*\}", re.S)
# Attributes every LogRecord has; anything else on a record came in `extra=`.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def _library(record: logging.LogRecord) -> bool:
    return record.name != OWN and not record.name.startswith(OWN + ".")


def fields(record: logging.LogRecord) -> dict[str, Any]:
    """The record's `extra=` fields, in the order they were given."""
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


class Redact(logging.Filter):
    """Replace known secret values and secret-shaped text in a record."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        # Longest first, so a secret containing another is hidden whole.
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def clean(self, text: str) -> str:
        for s in self.secrets:
            text = text.replace(s, "***")
        text = _URL_PASSWORD.sub(r"\1***@", text)
        for pattern, replacement in _LINK_TOKENS:
            text = pattern.sub(replacement, text)
        return redact_patterns(text)

    def filter(self, record: logging.LogRecord) -> bool:
        library = _library(record)
        if library and record.levelno < logging.INFO:
            return False
        try:
            message = record.getMessage()
        except Exception:  # a library's broken format string: keep its bare text
            message = str(record.msg)
        if library:
            message = _BODY.sub("{…}", message)
        record.msg, record.args = self.clean(message), None
        for key, value in fields(record).items():
            if isinstance(value, str):
                setattr(record, key, self.clean(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.clean(record.exc_text)
        if record.stack_info:
            record.stack_info = self.clean(record.stack_info)
        return True


def _value(v: Any) -> str:
    text = str(v)
    return json.dumps(text, ensure_ascii=False) if not text or re.search(r"[\s\"=]", text) \
        else text


class TextFormatter(logging.Formatter):
    """`time LEVEL logger: message key=value ...`, then a traceback if any."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        line = super().formatMessage(record)
        extra = " ".join(f"{k}={_value(v)}" for k, v in fields(record).items())
        return f"{line} {extra}" if extra else line


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors; fields are keys of their own."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage(),
        }
        for key, value in fields(record).items():
            out.setdefault(key, value if isinstance(value, int | float | bool | None)
                           else str(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            out["exception"] = record.exc_text
        return json.dumps(out, ensure_ascii=False)


def setup_logging(level: str = "INFO", fmt: str = "text", secrets: Iterable[str] = (),
                  stream: TextIO | None = None) -> logging.Handler:
    """Install the one root handler (replacing an earlier one of ours)."""
    root = logging.getLogger()
    for h in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(h)
    handler = logging.StreamHandler(stream or sys.stderr)
    setattr(handler, _MARK, True)
    handler.addFilter(Redact(secrets))
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    floor = max(logging.WARNING, logging.getLevelName(level))
    for name in QUIET:
        logging.getLogger(name).setLevel(floor)
    for name in ERRORS_ONLY:
        logging.getLogger(name).setLevel(max(logging.ERROR, floor))
    return handler


def ensure_logging() -> None:
    """Our handler, if nothing installed it yet (a crash before the settings
    were read): no record may reach Python's bare last-resort printer."""
    if not any(getattr(h, _MARK, False) for h in logging.getLogger().handlers):
        setup_logging()

"""One logging set-up for every command: level and format from the settings,
chatty libraries quieted, and secrets filtered out of every line.

Libraries that log request URLs (httpx, httpcore: Telegram puts the bot token
in the path) or a line per scheduler run (APScheduler) are held at WARNING;
the redaction filter on the handler is the second line of defence for
anything that slips through, including tracebacks.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TextIO

from scheduling.delivery.dispatch import redact as redact_patterns

QUIET = ("httpx", "httpcore", "apscheduler", "slack_bolt", "slack_sdk", "telegram",
         "aiohttp", "hpack", "urllib3", "asyncio", "uvicorn.access", "alembic")
_MARK = "_ketenbot_handler"
# user:password@ in any URL-like text (DATABASE_URL in a driver's error).
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]+@")


class Redact(logging.Filter):
    """Replace known secret values and secret-shaped text in a record."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        # Longest first, so a secret containing another is hidden whole.
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def clean(self, text: str) -> str:
        for s in self.secrets:
            text = text.replace(s, "***")
        return redact_patterns(_URL_PASSWORD.sub(r"\1***@", text))

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a library's broken format string: keep its bare text
            message = str(record.msg)
        record.msg, record.args = self.clean(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.clean(record.exc_text)
        if record.stack_info:
            record.stack_info = self.clean(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage(),
        }
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
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    floor = max(logging.WARNING, logging.getLevelName(level))
    for name in QUIET:
        logging.getLogger(name).setLevel(floor)
    return handler

"""Secrets out of error text, before it reaches the database or the log."""

from __future__ import annotations

import re

# HTTP client errors like to quote the request URL, and Telegram puts the bot
# token in the URL: strip anything token-shaped before it reaches the database
# or the log.
_SECRETS = [
    (re.compile(r"bot\d+:[A-Za-z0-9_-]+"), "bot<token>"),
    (re.compile(r"\bxox[a-z]-[A-Za-z0-9-]+"), "xox-<token>"),
    (re.compile(r"\bxapp-[A-Za-z0-9-]+"), "xapp-<token>"),
    (re.compile(r"(?i)\b(bearer|basic)(\s+)[^\s,;&\"']+"), r"\1\2<redacted>"),
    (re.compile(r"(?i)\b(token|secret|password|authorization)(\"?\s*[:=]\s*\"?)[^\s,;&\"']+"),
     r"\1\2<redacted>"),
]


def redact(text: str) -> str:
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text

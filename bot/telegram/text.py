"""Telegram's limits on text, and its file URL next to the Bot API's."""

from __future__ import annotations

MAX_TEXT = 4096  # Telegram's limit for one message
MAX_ALERT = 200  # and for a callback answer


def file_url(api_url: str) -> str:
    """https://api.telegram.org/bot -> https://api.telegram.org/file/bot"""
    head, sep, tail = api_url.rstrip("/").rpartition("/")
    return f"{head}/file/{tail}" if sep else api_url


def clip(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"

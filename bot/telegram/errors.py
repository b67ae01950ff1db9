"""What Telegram's errors mean for delivery: wait, retry, or give up."""

from __future__ import annotations

import warnings
from datetime import timedelta

from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.warnings import PTBDeprecationWarning

from scheduling.delivery.contract import PermanentFailure
from scheduling.delivery.ratelimit import TELEGRAM_BOT, TELEGRAM_CHAT, TELEGRAM_GROUP, Key, Limit

# BadRequest texts no retry can fix: the chat, topic or user is out of reach.
GONE = ("chat not found", "user not found", "thread not found", "topic_closed",
        "topic_deleted", "not enough rights", "have no rights", "chat_write_forbidden",
        "peer_id_invalid", "group chat was upgraded")


def permanent(exc: Exception) -> PermanentFailure | None:
    """The clean reason when `exc` means the recipient cannot be reached at all."""
    text = str(exc)
    if isinstance(exc, Forbidden) or (isinstance(exc, BadRequest)
                                      and any(g in text.lower() for g in GONE)):
        return PermanentFailure(f"telegram: {text}"[:200])
    return None


def retry_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 deprecates the int form; either is fine here
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def bot_account(token: str) -> str:
    """One bot in the rate-limit gate: its id, the token's public part."""
    return token.partition(":")[0]


def pause_key(token: str) -> Key:
    """Telegram's flood control holds the whole bot."""
    return Key("telegram", bot_account(token), "*")


def slots(token: str, chat_id: int) -> list[tuple[Key, Limit]]:
    """The limits one message to `chat_id` counts against: the bot's, and the
    chat's (a group's, for a negative id, or a private chat's)."""
    account = bot_account(token)
    return [(Key("telegram", account, "bot"), TELEGRAM_BOT),
            (Key("telegram", account, f"chat:{chat_id}"),
             TELEGRAM_GROUP if chat_id < 0 else TELEGRAM_CHAT)]

"""Rate-limit pauses shared by every sender in the process.

When Slack or Telegram answers 429 with Retry-After, the whole workspace (or
bot) is told to wait, not just the one call: any further call inside the
window would be refused too, and counts against us. So the sender records the
pause here and every delivery to that platform account, on any thread of the
process, is deferred until it ends, without a call.

The pause is kept in the bot's clock (the dispatcher's `now`), so tests travel
through it instead of sleeping.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta


class RateGate:
    def __init__(self) -> None:
        self._until: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def pause(self, key: str, now: datetime, seconds: float) -> datetime:
        """Nothing goes to `key` for `seconds` from `now` (an existing longer pause stays)."""
        until = now + timedelta(seconds=max(0.0, seconds))
        with self._lock:
            if until > self._until.get(key, until - timedelta(seconds=1)):
                self._until[key] = until
            return self._until[key]

    def until(self, key: str, now: datetime) -> datetime | None:
        """The end of `key`'s pause, or None when calls may go out now."""
        with self._lock:
            until = self._until.get(key)
            if until is not None and until <= now:
                del self._until[key]
                return None
            return until

    def clear(self) -> None:
        with self._lock:
            self._until.clear()


# One per process: every sender instance (and the serve process's immediate
# replies) shares it.
GATE = RateGate()

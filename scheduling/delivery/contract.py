"""What the dispatcher and a platform's sender agree on: the message handed
over (`Outgoing`), the sender (`Sender`), and how a delivery can fail."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from storage.models import Person


class TemporaryFailure(Exception):
    """The platform asks us to try again, optionally after `retry_after` seconds."""

    def __init__(self, retry_after: float | None = None, message: str = "temporary failure"):
        super().__init__(message)
        self.retry_after = retry_after


class Deferred(TemporaryFailure):
    """No call was made: the rate-limit gate has no slot before `retry_after`
    seconds (a pause after a 429, or a throttle ahead of one). The row moves to
    then without counting an attempt."""

    def __init__(self, retry_after: float, message: str = "waiting for a rate-limit slot"):
        super().__init__(max(0.0, retry_after), message)


class PermanentFailure(Exception):
    """Retrying cannot help: the recipient blocked the bot, the channel is gone...

    `reason` is the one clean line stored on the dead row (e.g.
    "slack: channel_not_found").
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Outgoing:
    id: int
    kind: str
    template: str
    payload: dict[str, Any]
    person: Person | None  # None: a line in the referral's thread (or a reply)
    referral_id: int | None
    done: frozenset[str] = frozenset()  # parts delivered by an earlier attempt
    mark: Callable[[str], None] = lambda part: None  # record a part as delivered

    def has(self, part: str) -> bool:
        return part in self.done


class Sender(Protocol):
    platform: str

    def deliver(self, message: Outgoing) -> None: ...

"""What every handler receives and returns.

Handlers never format text: they return a `Reply` naming a template and the
data for it. The transports render it through `messages/` for their platform
and the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Engine

from scheduling.calendar import WorkCalendar
from scheduling.deadlines import Hours
from scheduling.routes import Routes, default_routes
from storage.models import Person

Clock = Callable[[], datetime]


@dataclass
class Context:
    engine: Engine
    clock: Clock
    platform: str  # "console", "slack", "telegram", "teams"
    lang: str = "nl"
    actor: Person | None = None
    stale_after_days: int = 90
    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    hours: Hours | None = None  # None: the default 08:30-17:00
    routes: Routes = field(default_factory=default_routes)
    web_base_url: str = "http://localhost:8000"  # KETENBOT_WEB_BASE_URL: links in chat

    def __post_init__(self) -> None:
        if self.hours is None:
            self.hours = Hours(self.calendar, time(8, 30), time(17, 0))

    def today(self) -> date:
        """Today in Amsterdam, whatever zone the clock reports in (absences are dates)."""
        return self.clock().astimezone(self.calendar.tz).date()

    @property
    def work_hours(self) -> Hours:
        assert self.hours is not None
        return self.hours


@dataclass
class Reply:
    template: str
    data: dict[str, Any] = field(default_factory=dict)
    # Private replies go only to the asker (Slack ephemeral); public ones to the
    # referral's thread.
    private: bool = True
    ok: bool = True


# Replies that carry a credential (a link code, a sign-in link): a transport that
# keeps a copy (Telegram's outbox) empties it the moment it is delivered.
CREDENTIAL_TEMPLATES = frozenset({"link_code", "overview_link"})


class Refused(Exception):
    """Raised deep in a handler to answer with `reply` and change nothing:
    the registry turns it into the reply, the open transaction rolls back."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.data.get("code", reply.template))
        self.reply = reply


def error(code: str, **data: Any) -> Reply:
    """A refusal or a problem with the input: nothing was changed."""
    return Reply("error", {"code": code, **data}, private=True, ok=False)

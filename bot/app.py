"""The composition root: one place that wires settings, database and handlers."""

from __future__ import annotations

import threading
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.config import Settings
from handlers.commands import Registry
from handlers.core import Clock, Context
from handlers.registry import build_registry
from handlers.threads import home_channel
from scheduling import freshness
from scheduling.calendar import WorkCalendar
from scheduling.deadlines import Hours
from scheduling.delivery.contract import Sender
from scheduling.delivery.dispatch import Chooser, DispatchResult, dispatch
from scheduling.delivery.unreachable import notify
from scheduling.routes import Routes, default_routes, load_routes
from scheduling.sweep import SweepResult, sweep
from storage import events, throttle, web_sessions
from storage.db import check_schema, make_engine
from storage.models import ARCHIVE_TEAM, ChatIdentity, Person, Team
from storage.tables import Outbox, Referral


def choose_sender(senders: list[Sender]) -> Chooser:
    """Where a message goes.

    A person: their preferred linked platform, else any linked one (None: it
    waits in the outbox until they link; nothing is lost); a Teams account
    with no personal chat known comes last. A thread line: every
    platform the referral lives on. The console takes everything.
    """
    by_platform = {s.platform: s for s in senders}

    def choose(session: Session, row: Outbox) -> Sender | list[Sender] | None:
        if "console" in by_platform:
            return by_platform["console"]
        if row.kind == "reply":  # a command's answer: back where it was asked
            return by_platform.get(str(row.payload.get("platform")))
        if row.person_id is None:
            ref = session.get(Referral, row.referral_id) if row.referral_id else None
            if ref is None:
                return None
            return [s for p, s in by_platform.items() if home_channel(session, ref, p)]
        person = session.get(Person, row.person_id)
        accounts = session.exec(select(ChatIdentity.platform, ChatIdentity.address)
                                .where(ChatIdentity.person_id == row.person_id)).all()
        linked = [p for p, _ in accounts]
        only = row.payload.get("only")  # about one account (a new link): to that one
        if only is not None:
            return by_platform.get(str(only)) if only in linked else None
        # Teams lets the bot write first only into a personal chat it knows: an
        # account without one goes after every other (alone, its row ends and the
        # team leader hears of it).
        mute = {p for p, address in accounts if p == "teams" and not address}
        reachable = [p for p in linked if p not in mute]
        preferred = [p for p in reachable if person and p == person.preferred_platform]
        for platform in preferred + reachable + sorted(mute):
            if platform in by_platform:
                return by_platform[platform]
        return None

    return choose


def system_clock(tz: str) -> Clock:
    zone = ZoneInfo(tz)
    return lambda: datetime.now(zone)


@dataclass
class TickResult:
    reminders: int = 0
    escalations: int = 0
    sent: int = 0
    waiting: int = 0


@dataclass
class KetenBot:
    settings: Settings
    engine: Engine
    clock: Clock
    registry: Registry = field(default_factory=build_registry)
    routes: Routes = field(default_factory=default_routes)
    _calendar: WorkCalendar | None = field(default=None, init=False, repr=False)
    _hours: Hours | None = field(default=None, init=False, repr=False)

    @classmethod
    def start(cls, settings: Settings, clock: Clock | None = None) -> KetenBot:
        """Open the database and refuse to run on an un-migrated schema."""
        routes = load_routes(settings.routes_file) if settings.routes_file else default_routes()
        engine = make_engine(settings.db_url())
        check_schema(engine)
        return cls(settings, engine, clock or system_clock(settings.timezone), routes=routes)

    def context(self, platform: str, actor: Person | None, lang: str | None = None) -> Context:
        return Context(
            engine=self.engine,
            clock=self.clock,
            platform=platform,
            lang=lang or (actor.language if actor and actor.language else self.settings.language),
            actor=actor,
            stale_after_days=self.settings.stale_after_days,
            calendar=self.calendar(),
            hours=self.hours(),
            routes=self.routes,
            web_base_url=self.settings.web_base_url,
        )

    def calendar(self) -> WorkCalendar:
        # Built once: every command and every tick needs it, and it caches
        # its per-year closed days.
        if self._calendar is None:
            self._calendar = self.settings.work_calendar()
        return self._calendar

    def hours(self) -> Hours:
        if self._hours is None:
            self._hours = Hours(self.calendar(), self.settings.working_hours_start,
                                self.settings.working_hours_end)
        return self._hours

    def tick(self, senders: list[Sender]) -> TickResult:
        """One beat of both jobs, one after the other (console, tests, `worker --once`).

        The worker runs them as separate jobs (`sweep_once`, `dispatch_once`)
        so that a delivery backlog never delays writing escalations.
        """
        swept = self.sweep_once()
        sent = self.dispatch_once(senders)
        return TickResult(swept.reminders, swept.escalations, sent.sent, sent.waiting)

    def sweep_once(self, stop: threading.Event | None = None) -> SweepResult:
        """Turn what fell due into history and outbox rows (no sending)."""
        now = self.clock()
        swept = sweep(self.engine, now, routes=self.routes, calendar=self.calendar(),
                      hours=self.hours(), stop=stop)
        # Contactbeheer: start a region's freshness round, or report one, when due.
        freshness.run(self.engine, now, calendar=self.calendar(), hours=self.hours())
        events.prune(self.engine, now)
        throttle.prune(self.engine, now)
        web_sessions.prune(self.engine, now)
        return swept

    def dispatch_once(self, senders: list[Sender],
                      stop: threading.Event | None = None) -> DispatchResult:
        """Deliver what may leave now; a dead row tells someone who can act."""
        return dispatch(self.engine, self.clock(), senders, choose_sender(senders), stop=stop,
                        on_dead=notify)

    def person_by_email(self, email: str) -> Person | None:
        with Session(self.engine) as s:
            return s.exec(select(Person).where(Person.email == email.strip().lower())).first()

    def person_by_identity(self, platform: str, external_id: str,
                           session: Session | None = None) -> Person | None:
        """The linked person (in `session`'s transaction when given)."""
        with nullcontext(session) if session is not None else Session(self.engine) as s:
            return s.exec(
                select(Person)
                .join(ChatIdentity)
                .join(Team, col(Team.id) == col(Person.team_id))
                # Removed people lose their links; this holds even for a stray one.
                .where(ChatIdentity.platform == platform, ChatIdentity.external_id == external_id,
                       Team.key != ARCHIVE_TEAM)
            ).first()

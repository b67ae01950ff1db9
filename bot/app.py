"""The composition root: one place that wires settings, database and handlers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.config import Settings
from handlers.commands import Registry
from handlers.core import Clock, Context
from handlers.registry import build_registry
from storage.db import check_schema, make_engine
from storage.models import ChatIdentity, Person


def system_clock(tz: str) -> Clock:
    zone = ZoneInfo(tz)
    return lambda: datetime.now(zone)


@dataclass
class KetenBot:
    settings: Settings
    engine: Engine
    clock: Clock
    registry: Registry = field(default_factory=build_registry)

    @classmethod
    def start(cls, settings: Settings, clock: Clock | None = None) -> KetenBot:
        """Open the database and refuse to run on an un-migrated schema."""
        engine = make_engine(settings.db_url())
        check_schema(engine)
        return cls(settings, engine, clock or system_clock(settings.timezone))

    def context(self, platform: str, actor: Person | None, lang: str | None = None) -> Context:
        return Context(
            engine=self.engine,
            clock=self.clock,
            platform=platform,
            lang=lang or (actor.language if actor and actor.language else self.settings.language),
            actor=actor,
            stale_after_days=self.settings.stale_after_days,
        )

    def person_by_email(self, email: str) -> Person | None:
        with Session(self.engine) as s:
            return s.exec(select(Person).where(Person.email == email.strip().lower())).first()

    def person_by_identity(self, platform: str, external_id: str) -> Person | None:
        with Session(self.engine) as s:
            return s.exec(
                select(Person)
                .join(ChatIdentity)
                .where(ChatIdentity.platform == platform, ChatIdentity.external_id == external_id)
            ).first()

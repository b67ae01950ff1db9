"""Hand-made referral histories in the shared vocabulary (CONTRACTS.md), for the
overview, figures and digest tests: rows written directly, as 9a's routes write them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, select

from storage.db import session_scope
from storage.models import Gemeente, Person
from storage.tables import Deadline, ModelEscalation, Referral, ReferralEvent

AMS = ZoneInfo("Europe/Amsterdam")
DIRECTORY = Path(__file__).parent / "data" / "overview.yaml"


def at(text: str) -> datetime:
    """'2026-11-02 10:00' in Amsterdam."""
    return datetime.fromisoformat(text).replace(tzinfo=AMS)


def load_directory(engine: Engine) -> None:
    from tests.conftest import import_file

    import_file(engine, DIRECTORY)


def person_id(engine: Engine, email: str) -> int:
    with Session(engine) as s:
        p = s.exec(select(Person).where(Person.email == email)).one()
        assert p.id is not None
        return p.id


def gemeente_id(engine: Engine, name: str) -> int:
    with Session(engine) as s:
        g = s.exec(select(Gemeente).where(Gemeente.name == name)).one()
        assert g.id is not None
        return g.id


@dataclass
class Made:
    id: int
    ref: str


def make_referral(engine: Engine, *, gemeente: str = "Ede", start: str, route: str = "301",
                  step: str = "contact", status: str = "open",
                  events: list[tuple[str, str, str | None, dict[str, Any]]] = (),  # type: ignore[assignment]
                  deadlines: list[tuple[str, str, str]] = (),  # type: ignore[assignment]
                  jb: str = "jb@gi.example.org", lt: str = "lt@ede.example.org",
                  closed: str | None = None, prefix: str = "KB") -> Made:
    """A referral created at `start` with `events` (action, at, step, detail) after
    the "aangemaakt" one, and `deadlines` (key, due, status)."""
    gid = gemeente_id(engine, gemeente)
    jb_id, lt_id = person_id(engine, jb), person_id(engine, lt)
    with session_scope(engine) as s:
        ref = Referral(route=route, kenmerk="K-1", gemeente_id=gid, status=status, step=step,
                       step_started_at=at(start), jb_id=jb_id, lt_id=lt_id,
                       created_at=at(start), closed_at=at(closed) if closed else None)
        s.add(ref)
        s.flush()
        assert ref.id is not None
        ref.ref = f"{prefix}-{ref.id:04d}"
        s.add(ReferralEvent(referral_id=ref.id, at=at(start), actor_id=jb_id, platform="test",
                            action="aangemaakt", step="contact",
                            detail={"route": route, "gemeente": gemeente}))
        for action, when, ev_step, detail in events:
            s.add(ReferralEvent(referral_id=ref.id, at=at(when), actor_id=jb_id,
                                platform="test", action=action, step=ev_step, detail=detail))
        for key, due, dl_status in deadlines:
            s.add(Deadline(referral_id=ref.id, key=key, step=key.split(":", 1)[1],
                           due_at=at(due), status=dl_status,
                           next_check_at=at(due) if dl_status == "pending" else None))
        return Made(ref.id, ref.ref)


def make_model_case(engine: Engine, *, gemeente: str, situation: str, tier: int, start: str,
                    closed: str | None = None) -> None:
    with session_scope(engine) as s:
        s.add(ModelEscalation(gemeente_id=gemeente_id(engine, gemeente), situation=situation,
                              tier=tier, status="closed" if closed else "open",
                              started_by_id=person_id(engine, "jb@gi.example.org"),
                              created_at=at(start), closed_at=at(closed) if closed else None))

"""Freshness rounds: the directory stays current because its people keep it so.

Per region, from its steunstructuur's `first_round` and then every
`frequency_days`, a round asks each person whose entry was not confirmed
within that frequency to confirm or correct it: one direct message, delivered
in working hours. After `answer_werkdagen` werkdagen the region's
contactbeheerders get one list (`scheduling.freshness_report`): per gemeente
who did not answer, gemeenten without a current LT or GI contact, and broken
koppelgenoten.

Once per round, however many workers tick: a round is a row with a unique
(region, period) key, inserted by whoever comes first in the same transaction
that queues its messages; the report is claimed by setting `reported_at` where
it is still empty; and every message has a dedupe key.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from scheduling.calendar import WorkCalendar
from scheduling.deadlines import Hours
from scheduling.freshness_report import Directory, report_payload
from storage.contact_tables import Contactbeheerder, FreshnessAsk, FreshnessRound, Steunstructuur
from storage.db import immediate_session
from storage.models import Region
from storage.outbox import enqueue

log = logging.getLogger("ketenbot.freshness")


@dataclass
class FreshnessResult:
    rounds: int = 0  # rounds started by this call
    asked: int = 0  # people asked
    reports: int = 0  # rounds reported to the contactbeheerders


def period_start(s: Steunstructuur, today: date) -> date | None:
    """The first day of the period `today` falls in; None before the first round."""
    first = s.first_round or today
    if today < first:
        return None
    return first + timedelta(days=(today - first).days // s.frequency_days * s.frequency_days)


def run(engine: Engine, now: datetime, *, calendar: WorkCalendar, hours: Hours) -> FreshnessResult:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    result = FreshnessResult()
    today = now.astimezone(calendar.tz).date()
    with Session(engine) as session:
        steun = session.exec(select(Steunstructuur)).all()
        wanted = {s.region_id: p for s in steun if (p := period_start(s, today)) is not None}
        have: set[tuple[int, date]] = set()
        if wanted:
            rounds = session.exec(select(FreshnessRound).where(
                col(FreshnessRound.period_start).in_(set(wanted.values())))).all()
            have = {(r.region_id, r.period_start) for r in rounds}
        due = session.exec(select(FreshnessRound.id).where(
            col(FreshnessRound.reported_at).is_(None), col(FreshnessRound.report_at) <= now)).all()
        by_region = {s.region_id: s for s in steun}
    for region_id, start in wanted.items():
        if (region_id, start) in have:
            continue
        with immediate_session(engine, expire_on_commit=False) as session:
            asked = _start(session, by_region[region_id], start, now, calendar, hours)
        if asked is not None:
            result.rounds += 1
            result.asked += asked
    for round_id in due:
        assert round_id is not None
        with immediate_session(engine, expire_on_commit=False) as session:
            if _report(session, round_id, now, hours):
                result.reports += 1
    return result


def _insert_round(session: Session, values: dict[str, object]) -> int | None:
    """The new round's id, or None when another worker started it already."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (insert(FreshnessRound.__table__)  # type: ignore[attr-defined]
            .values(**values)
            .on_conflict_do_nothing(index_elements=["region_id", "period_start"])
            .returning(FreshnessRound.__table__.c.id))  # type: ignore[attr-defined]
    row = session.execute(stmt).first()
    return int(row[0]) if row else None


def _start(session: Session, steun: Steunstructuur, start: date, now: datetime,
           calendar: WorkCalendar, hours: Hours) -> int | None:
    """Start the round and ask everyone stale; how many were asked (None: not ours)."""
    deliver = hours.next_open(now)
    first_day = deliver.astimezone(calendar.tz).date()
    report_day = calendar.add_working_days(first_day, steun.answer_werkdagen)
    report_at = datetime.combine(report_day, hours.start, tzinfo=calendar.tz)
    round_id = _insert_round(session, dict(region_id=steun.region_id, period_start=start,
                                           started_at=now, report_at=report_at,
                                           reported_at=None))
    if round_id is None:
        return None
    today = now.astimezone(calendar.tz).date()
    limit = today - timedelta(days=steun.frequency_days)
    directory = Directory.load(session)
    stale = [p for p in directory.people_of(steun.region_id)
             if p.verified_on is None or p.verified_on < limit]
    beheerders = directory.beheerder_names(steun.region_id)
    for p in stale:
        assert p.id is not None
        session.add(FreshnessAsk(round_id=round_id, person_id=p.id, asked_at=now))
        buddy = directory.people.get(p.koppelgenoot_id) if p.koppelgenoot_id else None
        team = directory.teams[p.team_id]
        enqueue(session, dedupe_key=f"fresh:{round_id}:{p.id}", kind="freshness",
                template="freshness_ask", payload={
                    "name": p.name, "email": p.email, "phone": p.phone, "role": p.role,
                    "team": team.name, "koppelgenoot": buddy.name if buddy else None,
                    "verified_on": p.verified_on.isoformat() if p.verified_on else None,
                    "absent_until": p.absent_until.isoformat() if p.absent_until else None,
                    "answer_by": report_at.isoformat(), "beheerders": beheerders,
                    "frequency_days": steun.frequency_days},
                now=now, deliver_after=deliver, person_id=p.id)
    region = session.get(Region, steun.region_id)
    log.info("freshness round started", extra={
        "round": round_id, "region": region.code if region else steun.region_id,
        "asked": len(stale)})
    return len(stale)


def _report(session: Session, round_id: int, now: datetime, hours: Hours) -> bool:
    claimed = session.execute(
        update(FreshnessRound)
        .where(col(FreshnessRound.id) == round_id, col(FreshnessRound.reported_at).is_(None))
        .values(reported_at=now)
        .returning(col(FreshnessRound.id))
    ).first()
    if claimed is None:  # another worker reported it
        return False
    rnd = session.get(FreshnessRound, round_id)
    steun = session.get(Steunstructuur, rnd.region_id) if rnd else None
    if rnd is None or steun is None:
        return False
    payload = report_payload(session, rnd, steun, now)
    for pid in session.exec(select(Contactbeheerder.person_id)
                            .where(Contactbeheerder.region_id == rnd.region_id)).all():
        enqueue(session, dedupe_key=f"fresh-report:{round_id}:{pid}", kind="freshness",
                template="freshness_report", payload=payload, now=now,
                deliver_after=hours.next_open(now), person_id=pid)
    log.info("freshness round reported",
             extra={"round": round_id, "silent": payload["silent_count"]})
    return True

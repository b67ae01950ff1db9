"""The steunstructuur of a region in the directory file, and in the database.

In YAML it sits in the region:

    regions:
      - code: food-valley
        name: Food Valley
        steunstructuur:
          responsible: Gemeente Ede          # who keeps the list current
          organisation: regio-food-valley    # optional: its organisation in the file
          contactbeheerders: [a@example.org] # people in the directory
          frequency_days: 90                 # how often entries are confirmed
          answer_werkdagen: 5                # before the silent are reported
          first_round: 2026-12-07            # optional: the first freshness round
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from storage.contact_tables import (
    DEFAULT_ANSWER_WERKDAGEN,
    DEFAULT_FREQUENCY_DAYS,
    Contactbeheerder,
    Steunstructuur,
)
from storage.directory.audit import record
from storage.directory.records import DirectoryDoc, Problem, Rec, Row
from storage.models import Organisation, Person, Region

FIELDS = {"responsible", "organisation", "contactbeheerders", "frequency_days",
          "answer_werkdagen", "first_round"}


@dataclass
class SteunRec(Rec):
    line: int
    region: str
    responsible: str
    organisation: str | None = None
    contactbeheerders: list[str] = field(default_factory=list)
    frequency_days: int = DEFAULT_FREQUENCY_DAYS
    answer_werkdagen: int = DEFAULT_ANSWER_WERKDAGEN
    first_round: date | None = None


def read_steun(doc: DirectoryDoc, data: Any, region: str | None, line: int) -> None:
    """Parse a region's `steunstructuur:` mapping into `doc.steun`."""
    row = Row(doc, data, "steunstructuur", line)
    for key in sorted(set(row.data) - {"__line__", "__lines__"} - FIELDS):
        doc.problem(row.at(key), key,
                    f"onbekend veld; verwacht een van: {', '.join(sorted(FIELDS))}")
    responsible = row.text("responsible")
    if not (row.ok and region and responsible):
        return
    rec = SteunRec(row.line, region, responsible, row.text("organisation", False),
                   [str(e).strip().lower() for e in row.items("contactbeheerders")])
    rec.lines = row.lines  # type: ignore[attr-defined]
    rec.first_round = row.date("first_round")
    for name, low, high in (("frequency_days", 7, 730), ("answer_werkdagen", 1, 30)):
        number = row.number(name, low, high)
        if number is not None:
            setattr(rec, name, number)
    doc.steun.append(rec)


def validate_steun(doc: DirectoryDoc, session: Session) -> list[Problem]:
    regions = {r.code for r in doc.regions} | set(session.exec(select(Region.code)).all())
    orgs = {o.key for o in doc.organisations} | set(session.exec(select(Organisation.key)).all())
    emails = {p.email for p in doc.people} | set(session.exec(select(Person.email)).all())
    out: list[Problem] = []
    for s in doc.steun:
        if s.region not in regions:
            out.append(Problem(doc.file, s.line, "region", f"onbekende regio {s.region!r}"))
        if s.organisation and s.organisation not in orgs:
            out.append(Problem(doc.file, s.at("organisation"), "organisation",
                               f"onbekende organisatie {s.organisation!r}"))
        for e in s.contactbeheerders:
            if e not in emails:
                out.append(Problem(doc.file, s.at("contactbeheerders"), "contactbeheerders",
                                   f"onbekende persoon {e!r}"))
    return out


def steun_state(session: Session, region_id: int) -> dict[str, Any]:
    """A region's steunstructuur as the audit trail compares it (absent: all None)."""
    row = session.get(Steunstructuur, region_id)
    org = session.get(Organisation, row.organisation_id) if row and row.organisation_id else None
    beheer = sorted(session.exec(
        select(Person.email).join(Contactbeheerder, col(Contactbeheerder.person_id) == Person.id)
        .where(Contactbeheerder.region_id == region_id)).all())
    return {"responsible": row.responsible if row else None,
            "organisation": org.key if org else None,
            "contactbeheerders": ", ".join(beheer) or None,
            "frequency_days": row.frequency_days if row else None,
            "answer_werkdagen": row.answer_werkdagen if row else None,
            "first_round": row.first_round if row else None}


def audit_steun(session: Session, region_id: int, before: dict[str, Any], *, at: datetime,
                actor: Person | None, platform: str, actor_label: str | None = None,
                **extra: Any) -> bool:
    """One audit row for what changed in a region's steunstructuur since `before`.

    The subject is the region's code, so `directory history <regio>` shows it.
    """
    after = steun_state(session, region_id)
    changes = {k: (before[k], after[k]) for k in after if before[k] != after[k]}
    if not changes:
        return False
    region = session.get(Region, region_id)
    record(session, at=at, actor=actor, actor_label=actor_label, platform=platform,
           action="steunstructuur", subject=region.code if region else f"regio-{region_id}",
           team=None, changes=changes, **extra)
    return True


def apply_steun(doc: DirectoryDoc, session: Session, created: Counter[str],
                updated: Counter[str], now: datetime | None = None) -> None:
    """Upsert each region's steunstructuur and replace its contactbeheerders;
    every region whose steunstructuur changed gets one audit row."""
    if not doc.steun:
        return
    region_ids = dict(session.exec(select(Region.code, Region.id)).all())
    org_ids = dict(session.exec(select(Organisation.key, Organisation.id)).all())
    person_ids = dict(session.exec(select(Person.email, Person.id)).all())
    for s in doc.steun:
        rid = region_ids[s.region]
        before = steun_state(session, rid or 0)
        values = dict(responsible=s.responsible,
                      organisation_id=org_ids[s.organisation] if s.organisation else None,
                      frequency_days=s.frequency_days, answer_werkdagen=s.answer_werkdagen,
                      first_round=s.first_round)
        row = session.get(Steunstructuur, rid)
        changed = False
        if row is None:
            session.add(Steunstructuur(region_id=rid or 0, **values))
            created["steunstructuur"] += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            session.add(row)
            changed = True
        wanted = {person_ids[e] for e in s.contactbeheerders}
        have = set(session.exec(select(Contactbeheerder.person_id)
                                .where(Contactbeheerder.region_id == rid)).all())
        if wanted != have:
            session.execute(delete(Contactbeheerder).where(col(Contactbeheerder.region_id) == rid))
            session.flush()
            for pid in sorted(i for i in wanted if i is not None):
                session.add(Contactbeheerder(region_id=rid or 0, person_id=pid))
            changed = changed or bool(have)
        if changed:
            updated["steunstructuur"] += 1
        session.flush()
        audit_steun(session, rid or 0, before, at=now or datetime.now(UTC), actor=None,
                    platform="import", actor_label=f"import {doc.file}")
    session.flush()


def export_steun(session: Session) -> dict[int, dict[str, Any]]:
    """Region id -> its `steunstructuur:` mapping for the export."""
    org_key = dict(session.exec(select(Organisation.id, Organisation.key)).all())
    beheer: dict[int, list[str]] = {}
    for rid, email in session.exec(
        select(Contactbeheerder.region_id, Person.email)
        .join(Person, col(Person.id) == Contactbeheerder.person_id)
        .order_by(col(Person.email))
    ).all():
        beheer.setdefault(rid, []).append(email)
    out: dict[int, dict[str, Any]] = {}
    for s in session.exec(select(Steunstructuur)).all():
        item: dict[str, Any] = {"responsible": s.responsible}
        if s.organisation_id:
            item["organisation"] = org_key.get(s.organisation_id)
        item |= {"contactbeheerders": beheer.get(s.region_id, []),
                 "frequency_days": s.frequency_days, "answer_werkdagen": s.answer_werkdagen}
        if s.first_round:
            item["first_round"] = s.first_round
        out[s.region_id] = item
    return out

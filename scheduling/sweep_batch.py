"""Reading and writing one claimed batch of the sweep, a few statements a batch.

`load` reads what the batch's deadlines refer to: their referrals, the
gemeente names, the people named on them (three queries); `Directory`
(scheduling.party_directory) answers who stands for a party, one query per kind of
party. `Plan` is a deadline as the sweep leaves it, with what it queues and
records; `write` stores a batch of plans in a handful of statements, none of
them per deadline: undelivered reminders of lapsed deadlines dropped (one
UPDATE per 200 such deadlines), the outbox and history rows inserted and the
deadlines moved on (an executemany each).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, insert, or_, update
from sqlmodel import Session, col, select

from scheduling.party_directory import Directory
from storage.models import Gemeente
from storage.outbox import enqueue_many
from storage.tables import Deadline, Outbox, Referral, ReferralEvent

_DEADLINE = Deadline.__table__  # type: ignore[attr-defined]
_EVENT = ReferralEvent.__table__  # type: ignore[attr-defined]
DROP_CHUNK = 200  # lapsed deadlines per "drop their undelivered reminders" UPDATE


@dataclass
class Batch:
    referrals: dict[int, Referral]
    gemeenten: dict[int, str]  # id -> name
    directory: Directory
    # Step 1's consultations recorded in the current step: referral id -> sides.
    consulted: dict[int, set[str]] = field(default_factory=dict)


def load(session: Session, rows: Sequence[Deadline]) -> Batch:
    ids = {d.referral_id for d in rows}
    refs = {r.id: r for r in session.exec(select(Referral).where(col(Referral.id).in_(ids)))
            if r.id is not None}
    live = [r for r in refs.values() if r.status == "open"]
    gids = {r.gemeente_id for r in live}
    names: dict[int, str] = {}
    if gids:
        names = {gid: name for gid, name in session.exec(
            select(Gemeente.id, Gemeente.name).where(col(Gemeente.id).in_(gids))) if gid}
    # Only referrals whose own step's term is due can need it (step 1's tiers).
    due_keys = {(d.referral_id, d.key) for d in rows}
    at_step = {r.id for r in live if (r.id, f"step:{r.step}") in due_keys}
    return Batch(refs, names, Directory(session, live), _consulted(session, refs, at_step))


def _consulted(session: Session, refs: dict[int, Referral],
               ids: set[int | None]) -> dict[int, set[str]]:
    """The step-1 consultations recorded since each referral entered its step."""
    found: dict[int, set[str]] = {}
    if not ids:
        return found
    for rid, step, at, detail in session.exec(
            select(ReferralEvent.referral_id, ReferralEvent.step, ReferralEvent.at,
                   ReferralEvent.detail)
            .where(col(ReferralEvent.referral_id).in_(ids),
                   col(ReferralEvent.action).in_(["contact", "ontvangen"]))):
        ref = refs[rid]
        if step == ref.step and at >= ref.step_started_at and detail.get("met"):
            found.setdefault(rid, set()).add(str(detail["met"]))
    return found


# -- the outcome -------------------------------------------------------------------


@dataclass
class Plan:
    """A claimed deadline as this sweep leaves it, and what it queues and records.

    Starts as a copy of the row; the ORM object itself is never changed, so a
    plan that cannot be written leaves nothing behind in the session.
    """

    id: int
    referral_id: int
    key: str
    step: str
    remind_at: datetime | None
    due_at: datetime
    next_check_at: datetime | None
    status: str
    tier: int
    reminded: bool
    messages: list[dict[str, Any]] = field(default_factory=list)  # outbox rows, in order
    events: list[dict[str, Any]] = field(default_factory=list)  # referral_event rows
    drop_reminders: bool = False  # drop this deadline's queued, undelivered reminders
    reminders: int = 0
    escalations: int = 0
    dropped_reminders: int = 0

    @classmethod
    def of(cls, d: Deadline) -> Plan:
        assert d.id is not None
        return cls(id=d.id, referral_id=d.referral_id, key=d.key, step=d.step,
                   remind_at=d.remind_at, due_at=d.due_at, next_check_at=d.next_check_at,
                   status=d.status, tier=d.tier, reminded=d.reminded)

    def row(self) -> dict[str, Any]:
        return {"b_id": self.id, "b_status": self.status, "b_next_check_at": self.next_check_at,
                "b_due_at": self.due_at, "b_tier": self.tier, "b_reminded": self.reminded}


_MOVE_ON = (
    update(_DEADLINE)
    .where(_DEADLINE.c.id == bindparam("b_id"))
    .values(status=bindparam("b_status", type_=_DEADLINE.c.status.type),
            next_check_at=bindparam("b_next_check_at", type_=_DEADLINE.c.next_check_at.type),
            due_at=bindparam("b_due_at", type_=_DEADLINE.c.due_at.type),
            tier=bindparam("b_tier", type_=_DEADLINE.c.tier.type),
            reminded=bindparam("b_reminded", type_=_DEADLINE.c.reminded.type))
)


def write(session: Session, plans: Sequence[Plan]) -> None:
    """Store the plans: a handful of statements, whatever their number.

    In the order of the per-deadline path: stale reminders dropped before new
    messages go in; outbox and history rows in plan order, so their ids keep
    each recipient's messages in the order they were decided.
    """
    if not plans:
        return
    lapsed = [p for p in plans if p.drop_reminders]
    for i in range(0, len(lapsed), DROP_CHUNK):
        drop_stale_many(session, lapsed[i:i + DROP_CHUNK])
    enqueue_many(session, [m for p in plans for m in p.messages])
    conn = session.connection()
    events = [e for p in plans for e in p.events]
    if events:
        conn.execute(insert(_EVENT), events)
    conn.execute(_MOVE_ON, [p.row() for p in plans])


def drop_stale_many(session: Session, plans: Sequence[Plan]) -> int:
    """`scheduling.delivery.dispatch.drop_stale` for several deadlines in one UPDATE."""
    if not plans:
        return 0
    result = session.exec(
        update(Outbox)
        .where(col(Outbox.referral_id).in_({p.referral_id for p in plans}),
               col(Outbox.status) == "pending",
               or_(*(and_(col(Outbox.referral_id) == p.referral_id,
                          col(Outbox.dedupe_key).startswith(f"rem:{p.id}:", autoescape=True))
                     for p in plans)))
        .values(status="dropped")
    )
    return int(result.rowcount)

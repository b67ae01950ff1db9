"""The deadline sweep: send due reminders and escalations, exactly once.

Each batch is one transaction that claims due deadlines, moves them on, writes
their history and queues the messages (outbox). Because the claim and the
state change commit together, a crash or a second sweeper can never send a
tier twice: PostgreSQL hands each row to one sweeper (FOR UPDATE SKIP LOCKED),
SQLite lets one writer in at a time (BEGIN IMMEDIATE). The outbox's unique
dedupe keys are a second line of defence, not the mechanism.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from handlers.parties import gemeente_name, resolve
from handlers.routes import Routes, Tier
from scheduling.calendar import WorkCalendar
from scheduling.deadlines import Hours, tier_at
from scheduling.dispatch import drop_stale
from storage.models import Person
from storage.outbox import enqueue
from storage.tables import Deadline, Referral, ReferralEvent

log = logging.getLogger("ketenbot.sweep")

SQLITE_GAP = 0.15  # seconds between batches on SQLite


@dataclass
class SweepResult:
    reminders: int = 0  # reminder events (one per deadline), not messages
    escalations: int = 0  # escalation tiers fired
    dropped_reminders: int = 0  # planned reminders not sent because the term lapsed first
    claimed: int = 0  # deadline rows looked at


@dataclass(frozen=True)
class _Definition:
    """What a step or span deadline means, taken from routes.yaml."""

    number: str
    title_nl: str
    title_en: str
    remind: tuple[str, ...]
    tiers: tuple[Tier, ...]
    span: bool = False


def sweep(engine: Engine, now: datetime, *, routes: Routes, calendar: WorkCalendar,
          hours: Hours, batch: int = 500) -> SweepResult:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    result = SweepResult()
    claim_engine = engine.execution_options(sqlite_begin="IMMEDIATE")
    postgres = engine.dialect.name == "postgresql"
    # Deadlines that raised: left untouched for the next sweep (and logged),
    # but excluded here so one broken row cannot make this loop spin.
    failed: set[int] = set()
    while True:
        with Session(claim_engine, expire_on_commit=False) as session, session.begin():
            stmt = (select(Deadline)
                    .where(Deadline.status == "pending", col(Deadline.next_check_at) <= now)
                    .order_by(col(Deadline.next_check_at), col(Deadline.id))
                    .limit(batch))
            if failed:
                stmt = stmt.where(col(Deadline.id).not_in(failed))
            if postgres:
                stmt = stmt.with_for_update(skip_locked=True)
            rows = list(session.exec(stmt).all())
            result.claimed += len(rows)
            people = _People(session, now.astimezone(calendar.tz).date())
            for d in rows:
                try:
                    # A savepoint per deadline: a failure rolls back only its
                    # own half-written messages, not the rest of the batch.
                    with session.begin_nested():
                        _Sweeper(session, now, routes, calendar, hours, result, people).run(d)
                except Exception:
                    log.exception("deadline %s (%s) could not be swept", d.id, d.key)
                    assert d.id is not None
                    failed.add(d.id)
        # Short batch: nothing left, or the rest is locked by another sweeper.
        if len(rows) < batch:
            return result
        if not postgres:
            # SQLite's busy handler polls (sleeping up to 100 ms): without a
            # gap, back-to-back batches would keep the chat handlers' writes
            # out until they hit busy_timeout.
            time.sleep(SQLITE_GAP)


class _People:
    """`resolve` memoised for one batch: thousands of referrals in one gemeente
    share their teamleiders, and each lookup is a round trip."""

    def __init__(self, session: Session, today: date) -> None:
        self.s, self.today = session, today
        self._cache: dict[tuple[object, ...], list[Person]] = {}

    def __call__(self, ref: Referral, party: str) -> list[Person]:
        # Everything `resolve` reads from the referral.
        key = (party, ref.gemeente_id, ref.jb_id, ref.lt_id, ref.lt_backup_id,
               ref.zorgaanbieder_id)
        if key not in self._cache:
            self._cache[key] = resolve(self.s, ref, party, self.today)
        return self._cache[key]


class _Sweeper:
    def __init__(self, session: Session, now: datetime, routes: Routes, calendar: WorkCalendar,
                 hours: Hours, result: SweepResult, people: _People) -> None:
        self.s, self.now, self.routes, self.cal = session, now, routes, calendar
        self.result, self.people = result, people
        # Working hours only for people; nobody is woken by a midnight lapse.
        self.person_after = hours.next_open(now)

    def run(self, d: Deadline) -> None:
        ref = self.s.get(Referral, d.referral_id)
        if ref is None or ref.status != "open":
            d.status, d.next_check_at = "cancelled", None
            return
        if d.key == "model" or d.key.startswith("model:"):
            self._model(d, ref)
        else:
            self._step(d, ref, self._definition(d, ref))

    # -- step and span deadlines -------------------------------------------

    def _step(self, d: Deadline, ref: Referral, df: _Definition) -> None:
        if self.now < d.due_at:
            if d.remind_at is not None and not d.reminded and self.now >= d.remind_at:
                self._remind(d, ref, df)
                d.reminded = True
            elif d.remind_at is not None and not d.reminded:
                d.next_check_at = d.remind_at
                return
            d.next_check_at = d.due_at
            return
        if d.remind_at is not None and not d.reminded:
            # The worker was down across both moments: a reminder "one day to
            # go" after the lapse only confuses; the escalation says it all.
            d.reminded = True
            self.result.dropped_reminders += 1
            self._event(ref, d, "herinnering_vervallen", {"deadline": d.key})
        if d.remind_at is not None and d.tier == 0:  # first look after the lapse
            assert d.id is not None and ref.id is not None
            drop_stale(self.s, ref.id, d.id)  # queued but still undelivered reminders too
        while d.tier < len(df.tiers):
            tier = df.tiers[d.tier]
            fire_at = tier_at(self.cal, d.due_at, tier.after)
            if fire_at > self.now:
                d.next_check_at = fire_at
                return
            n = d.tier + 1
            base = self._base(d, ref, df) | {"tier": n, "bestuurlijk": tier.bestuurlijk}
            names = self._notify(ref, tier.to, base, kind="escalation",
                                 person_key=f"esc:{d.id}:{d.tier}:",
                                 thread_key=f"esc-thread:{d.id}:{d.tier}")
            self._event(ref, d, "escalatie", {"deadline": d.key, "tier": n,
                                              "bestuurlijk": tier.bestuurlijk,
                                              "recipients": names})
            self.result.escalations += 1
            d.tier = n
        d.status, d.next_check_at = "lapsed", None

    def _remind(self, d: Deadline, ref: Referral, df: _Definition) -> None:
        if not df.remind:
            return
        names = self._notify(ref, df.remind, self._base(d, ref, df), kind="reminder",
                             person_key=f"rem:{d.id}:", thread_key=f"rem-thread:{d.id}")
        self._event(ref, d, "herinnering", {"deadline": d.key, "recipients": names})
        self.result.reminders += 1

    # -- Bouwsteen 6 escalation model --------------------------------------

    def _model(self, d: Deadline, ref: Referral) -> None:
        tiers = self.routes.escalation_model.tiers
        if self.now < d.due_at:
            d.next_check_at = d.due_at
            return
        nxt = d.tier + 1
        if nxt >= len(tiers):
            d.status, d.next_check_at = "lapsed", None
            return
        tier = tiers[nxt]
        d.tier = nxt
        # The next tier gets its full term from now, even after downtime.
        d.due_at = d.next_check_at = self.cal.due(self.now, tier.term)
        base = self._base(d, ref, self._step_definition(ref, ref.step)) | {
            "tier": nxt + 1, "tier_name_nl": tier.name.nl, "tier_name_en": tier.name.en,
            "bestuurlijk": nxt == len(tiers) - 1,  # the top tier is the bestuurders
            # The same keys the lead's first-tier messages carry (model_escalation).
            "situation": d.step.partition(":")[2], "model_due_at": d.due_at.isoformat(),
        }
        names = self._notify(ref, tier.to, base, kind="escalation",
                             person_key=f"model:{d.id}:{nxt}:",
                             thread_key=f"model-thread:{d.id}:{nxt}")
        self._event(ref, d, "escalatie", {"deadline": d.key, "tier": nxt + 1,
                                          "tier_name": tier.name.nl, "recipients": names},
                    step=ref.step)
        self.result.escalations += 1

    # -- helpers -------------------------------------------------------------

    def _definition(self, d: Deadline, ref: Referral) -> _Definition:
        kind, _, key = d.key.partition(":")
        route = self.routes.route(ref.route)
        if kind == "span":
            span = next((sp for sp in route.spans if sp.key == key), None)
            if span is not None:
                return _Definition(span.key, f"stappen {span.key} samen",
                                   f"steps {span.key} together", (), tuple(span.escalate),
                                   span=True)
        elif kind == "step":
            return self._step_definition(ref, key)
        # routes.yaml changed under a running referral: still close the
        # deadline at its lapse rather than crash every sweep.
        log.warning("deadline %s: %r not in route %s", d.id, d.key, ref.route)
        return _Definition(key, key, key, (), ())

    def _step_definition(self, ref: Referral, key: str) -> _Definition:
        step = next((s for s in self.routes.route(ref.route).steps if s.key == key), None)
        if step is None:
            return _Definition(key, key, key, (), ())
        return _Definition(step.number, step.title.nl, step.title.en,
                           tuple(step.remind), tuple(step.escalate))

    def _base(self, d: Deadline, ref: Referral, df: _Definition) -> dict[str, Any]:
        return {
            "ref": ref.ref or f"#{ref.id}", "route": ref.route, "kenmerk": ref.kenmerk,
            "gemeente": gemeente_name(self.s, ref), "step_key": d.step,
            "step_number": df.number, "step_title_nl": df.title_nl,
            "step_title_en": df.title_en, "span": df.span,
            "due_at": d.due_at.isoformat(), "tier": d.tier, "bestuurlijk": False,
        }

    def _notify(self, ref: Referral, parties: Sequence[str],
                base: dict[str, Any], *, kind: str, person_key: str,
                thread_key: str) -> list[str]:
        """Queue one message per person (once, whatever parties they stand for)
        and one line in the referral's thread; the names of those told."""
        told: dict[int, str] = {}
        for party in parties:
            for person in self.people(ref, party):
                assert person.id is not None
                if person.id in told:
                    continue
                told[person.id] = person.name
                enqueue(self.s, dedupe_key=f"{person_key}{person.id}", kind=kind,
                        template=kind,
                        payload=base | {"party": party, "recipient_name": person.name},
                        now=self.now, deliver_after=self.person_after,
                        person_id=person.id, referral_id=ref.id)
        names = list(told.values())
        enqueue(self.s, dedupe_key=thread_key, kind="thread", template=f"thread_{kind}",
                payload=base | {"parties": list(parties), "recipients": names},
                now=self.now, deliver_after=self.now, referral_id=ref.id)
        return names

    def _event(self, ref: Referral, d: Deadline, action: str, detail: dict[str, Any],
               step: str | None = None) -> None:
        assert ref.id is not None
        self.s.add(ReferralEvent(referral_id=ref.id, at=self.now, actor_id=None, platform="bot",
                                 action=action, step=step or d.step, detail=detail))

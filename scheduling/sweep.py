"""The deadline sweep: send due reminders and escalations, exactly once.

Each batch is one transaction that claims due deadlines, moves them on, writes
their history and queues the messages (outbox). Because the claim and the
state change commit together, a crash or a second sweeper can never send a
tier twice: PostgreSQL hands each row to one sweeper (FOR UPDATE SKIP LOCKED),
SQLite lets one writer in at a time (BEGIN IMMEDIATE). The outbox's unique
dedupe keys are a second line of defence, not the mechanism.

A batch is set-based: what its deadlines refer to is read in a few queries
(`scheduling.sweep_batch`), every deadline is decided in Python (`Planner`),
and the outcome is written in a handful of statements. A deadline that cannot
be decided is left untouched (and logged) while the rest go ahead; if the
batch's reads or its write fail as a whole, it is redone deadline by deadline,
each in its own savepoint, so one bad row still cannot hold up the others.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from scheduling.calendar import Term, WorkCalendar
from scheduling.deadlines import Hours, tier_at
from scheduling.outage import database_lost
from scheduling.routes import Routes, Tier
from scheduling.sweep_batch import Directory, Plan, load, write
from storage.db import immediate_session
from storage.models import Person
from storage.outbox import outbox_row
from storage.tables import Deadline, Referral
from storage.tafels import neighbour_tafels

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


@dataclass(frozen=True)
class _Context:
    """What every batch of one sweep shares."""

    now: datetime
    routes: Routes
    calendar: WorkCalendar
    today: date  # for absences: the date in the calendar's zone
    # Working hours only for people; nobody is woken by a midnight lapse.
    person_after: datetime


def sweep(engine: Engine, now: datetime, *, routes: Routes, calendar: WorkCalendar,
          hours: Hours, batch: int = 500, stop: threading.Event | None = None) -> SweepResult:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    result = SweepResult()
    ctx = _Context(now, routes, calendar, now.astimezone(calendar.tz).date(),
                   hours.next_open(now))
    postgres = engine.dialect.name == "postgresql"
    # Deadlines that raised: left untouched for the next sweep (and logged),
    # but excluded here so one broken row cannot make this loop spin.
    failed: set[int] = set()
    while True:
        with immediate_session(engine, expire_on_commit=False) as session:
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
            for p in _batch(session, rows, ctx, failed) if rows else []:
                result.reminders += p.reminders
                result.escalations += p.escalations
                result.dropped_reminders += p.dropped_reminders
        # Short batch: nothing left, or the rest is locked by another sweeper.
        if len(rows) < batch:
            return result
        if stop is not None and stop.is_set():  # shutting down: the next start goes on
            return result
        if not postgres:
            # SQLite's busy handler polls (sleeping up to 100 ms): without a
            # gap, back-to-back batches would keep the chat handlers' writes
            # out until they hit busy_timeout.
            time.sleep(SQLITE_GAP)


def _batch(session: Session, rows: Sequence[Deadline], ctx: _Context,
           failed: set[int]) -> list[Plan]:
    """Sweep one claimed batch inside the claim's transaction; the plans written.

    All at once if possible. If that fails as a whole (a read or the write),
    each deadline is redone on its own in a savepoint, like the sweep before
    the batch work: a failure rolls back only that deadline's half-written rows.
    """
    try:
        with session.begin_nested():
            return _decide_and_write(session, rows, ctx, failed)
    except Exception as exc:
        if database_lost(exc):  # no database: nothing to redo one by one (nor to log per row)
            raise
        log.exception("deadline batch failed, sweeping one by one",
                      extra={"deadlines": len(rows)})
    done: list[Plan] = []
    for d in rows:
        assert d.id is not None
        if d.id in failed:  # its decision failed (and was logged) already
            continue
        try:
            with session.begin_nested():
                done += _decide_and_write(session, [d], ctx, failed)
        except Exception as exc:
            if database_lost(exc):
                raise
            log.exception("deadline not swept", extra={"deadline": d.id, "key": d.key})
            failed.add(d.id)
    return done


def _decide_and_write(session: Session, rows: Sequence[Deadline], ctx: _Context,
                      failed: set[int]) -> list[Plan]:
    """Read what the deadlines need, decide each (one that raises is left
    untouched and logged), then write the decisions; the plans written."""
    loaded = load(session, rows)

    def people(ref: Referral, party: str) -> list[Person]:
        return resolve(loaded.directory, ref, party, ctx.today)

    def stand_in(ref: Referral, party: str) -> list[str]:
        return loaded.directory.stand_ins.get((ref.id or 0, party), [])

    found: dict[int, list[str]] = {}

    def neighbours(gemeente_id: int) -> list[str]:
        if gemeente_id not in found:  # only for a tafel's lapse: a query per gemeente
            found[gemeente_id] = [o.name for o in neighbour_tafels(session, gemeente_id)]
        return found[gemeente_id]

    planner = Planner(ctx, people, loaded.gemeenten, stand_in, loaded.consulted, neighbours)
    plans: list[Plan] = []
    # Deciding only reads, but a lookup that fails in the database leaves a
    # PostgreSQL transaction aborted: hence a savepoint, renewed after a failure.
    savepoint = session.begin_nested()
    for d in rows:
        try:
            plans.append(planner.plan(d, loaded.referrals.get(d.referral_id)))
        except Exception as exc:
            if database_lost(exc):
                raise
            log.exception("deadline not swept", extra={"deadline": d.id, "key": d.key})
            assert d.id is not None
            failed.add(d.id)
            savepoint.rollback()
            savepoint = session.begin_nested()
    savepoint.commit()
    write(session, plans)
    return plans


def resolve(directory: Directory, ref: Referral, party: str, today: date) -> list[Person]:
    """Who stands for `party` on `ref`: `handlers.referrals.membership.resolve`'s answer, from
    the batch's directory (one query per kind of party, not per referral).
    Every lookup the sweep makes goes through here."""
    return directory.resolve(ref, party, today)


class Planner:
    """Decides claimed deadlines one by one, writing nothing: each becomes a `Plan`."""

    def __init__(self, ctx: _Context, people: Callable[[Referral, str], list[Person]],
                 gemeenten: dict[int, str],
                 stand_in: Callable[[Referral, str], list[str]] | None = None,
                 consulted: dict[int, set[str]] | None = None,
                 neighbours: Callable[[int], list[str]] | None = None) -> None:
        self.now, self.routes, self.cal = ctx.now, ctx.routes, ctx.calendar
        self.person_after = ctx.person_after
        self.people, self.gemeenten = people, gemeenten
        # Whom a team leader stands in for (everyone of the party absent).
        self.stand_in = stand_in or (lambda _ref, _party: [])
        self.consulted = consulted or {}
        # The tafels next to a gemeente's, named when its tafel's term lapses.
        self.neighbours = neighbours or (lambda _gemeente_id: [])
        # Deadlines fall due at midnight: a batch shares a handful of due instants.
        self._fire_at: dict[tuple[datetime, Term | None], datetime] = {}
        self._steps: dict[tuple[str, str], _Definition] = {}  # (route, step key)

    def plan(self, d: Deadline, ref: Referral | None) -> Plan:
        p = Plan.of(d)
        if ref is None or (ref.status != "open" and not (
                ref.status == "closed" and p.key.startswith("moment:"))):
            # A date set within a process (the tafel's evaluation) outlives
            # its closing: the reminder still comes that day.
            p.status, p.next_check_at = "cancelled", None
        elif p.key == "model" or p.key.startswith("model:"):
            # The Bouwsteen 6 model has no terms and no automatic tiers: a row
            # left from before migration 0007 is closed, never escalated.
            p.status, p.next_check_at = "cancelled", None
        else:
            self._step(p, ref, self._definition(p, ref))
        return p

    # -- step and span deadlines -------------------------------------------

    def _step(self, d: Plan, ref: Referral, df: _Definition) -> None:
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
            d.dropped_reminders += 1
            self._event(ref, d, "herinnering_vervallen", {"deadline": d.key})
        if d.remind_at is not None and d.tier == 0:  # first look after the lapse
            d.drop_reminders = True  # queued but still undelivered reminders too
        while d.tier < len(df.tiers):
            tier = df.tiers[d.tier]
            fire_at = self._tier_at(d.due_at, tier.after)
            if fire_at > self.now:
                d.next_check_at = fire_at
                return
            n = d.tier + 1
            if tier.when_missing and tier.when_missing in self.consulted.get(ref.id or 0, ()):
                d.tier = n  # that consultation took place: this tier is not for it
                continue
            # A lapse never makes anything bestuurlijk: people decide that (step 6).
            base = self._base(d, ref, df) | {
                "tier": n, "note_nl": tier.note.nl if tier.note else None,
                "note_en": tier.note.en if tier.note else None}
            if self.routes.route(ref.route).kind == "tafel":
                base["neighbours"] = self.neighbours(ref.gemeente_id)
            names = self._notify(d, ref, tier.to, base, kind="escalation",
                                 person_key=f"esc:{d.id}:{d.tier}:",
                                 thread_key=f"esc-thread:{d.id}:{d.tier}")
            told = self._tell(d, ref, tier, base, names) if tier.tell and names else []
            detail: dict[str, Any] = {"deadline": d.key, "tier": n, "recipients": names}
            if told:
                detail["told"] = told
            self._event(ref, d, "escalatie", detail)
            log.info("escalation", extra={"ref": ref.ref, "deadline": d.key, "tier": n,
                                          "recipients": len(names)})
            d.escalations += 1
            d.tier = n
        d.status, d.next_check_at = "lapsed", None

    def _tell(self, d: Plan, ref: Referral, tier: Tier, base: dict[str, Any],
              names: list[str]) -> list[str]:
        """Tell `tier.tell` (the JB) that the tier's people were told: whom, and why."""
        told: list[str] = []
        for party in tier.tell:
            for person in self.people(ref, party):
                if person.name in names or person.name in told:
                    continue
                told.append(person.name)
                d.messages.append(outbox_row(
                    dedupe_key=f"told:{d.id}:{d.tier}:{person.id}", kind="notice",
                    template="escalation_told",
                    payload=base | {"party": party, "recipient_name": person.name,
                                    "reported_to": names, "missing": tier.when_missing,
                                    "tell_nl": tier.tell_note.nl if tier.tell_note else None,
                                    "tell_en": tier.tell_note.en if tier.tell_note else None},
                    now=self.now, deliver_after=self.person_after,
                    person_id=person.id, referral_id=ref.id))
        return told

    def _remind(self, d: Plan, ref: Referral, df: _Definition) -> None:
        if not df.remind:
            return
        names = self._notify(d, ref, df.remind, self._base(d, ref, df), kind="reminder",
                             person_key=f"rem:{d.id}:", thread_key=f"rem-thread:{d.id}")
        self._event(ref, d, "herinnering", {"deadline": d.key, "recipients": names})
        d.reminders += 1

    # -- helpers -------------------------------------------------------------

    def _definition(self, d: Plan, ref: Referral) -> _Definition:
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
        elif kind == "moment" and key in route.moments:
            m = route.moments[key]
            return _Definition(key, m.title.nl, m.title.en, tuple(m.remind), ())
        elif d.key == "ret" and route.ret is not None:
            ret = route.ret
            return _Definition("5B", "het RET bespreekt de zaak", "the RET discusses the case",
                               tuple(ret.remind), tuple(ret.escalate))
        # routes.yaml changed under a running referral: still close the
        # deadline at its lapse rather than crash every sweep.
        log.warning("deadline key not in route",
                    extra={"deadline": d.id, "key": d.key, "route": ref.route})
        return _Definition(key, key, key, (), ())

    def _step_definition(self, ref: Referral, key: str) -> _Definition:
        if (ref.route, key) in self._steps:
            return self._steps[ref.route, key]
        step = next((s for s in self.routes.route(ref.route).steps if s.key == key), None)
        df = (_Definition(key, key, key, (), ()) if step is None else
              _Definition(step.number, step.title.nl, step.title.en,
                          tuple(step.remind), tuple(step.escalate)))
        self._steps[ref.route, key] = df
        return df

    def _tier_at(self, due: datetime, after: Term | None) -> datetime:
        key = (due, after)
        if key not in self._fire_at:
            self._fire_at[key] = tier_at(self.cal, due, after)
        return self._fire_at[key]

    def _base(self, d: Plan, ref: Referral, df: _Definition) -> dict[str, Any]:
        return {
            "ref": ref.ref or f"#{ref.id}", "route": ref.route, "kenmerk": ref.kenmerk,
            "gemeente": self.gemeenten.get(ref.gemeente_id, "?"), "step_key": d.step,
            "step_number": df.number, "step_title_nl": df.title_nl,
            "step_title_en": df.title_en, "span": df.span,
            "due_at": d.due_at.isoformat(), "tier": d.tier, "bestuurlijk": False,
        }

    def _notify(self, d: Plan, ref: Referral, parties: Sequence[str],
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
                d.messages.append(outbox_row(
                    dedupe_key=f"{person_key}{person.id}", kind=kind, template=kind,
                    payload=base | {"party": party, "recipient_name": person.name,
                                    "stand_in_for": self.stand_in(ref, party)},
                    now=self.now, deliver_after=self.person_after,
                    person_id=person.id, referral_id=ref.id))
        names = list(told.values())
        d.messages.append(outbox_row(
            dedupe_key=thread_key, kind="thread", template=f"thread_{kind}",
            payload=base | {"parties": list(parties), "recipients": names},
            now=self.now, deliver_after=self.now, referral_id=ref.id))
        return names

    def _event(self, ref: Referral, d: Plan, action: str, detail: dict[str, Any],
               step: str | None = None) -> None:
        assert ref.id is not None
        d.events.append(dict(referral_id=ref.id, at=self.now, actor_id=None, platform="bot",
                             action=action, step=step or d.step, detail=detail))

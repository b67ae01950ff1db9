"""Deliver outbox rows through whichever chat platform reaches the recipient.

Platform-neutral: a `Sender` per platform does the talking, `choose` decides
which one reaches a row's person (or thread). Delivery is at least once: a row
is marked sent only after `deliver()` returned, so a crash in between sends it
again once its lease runs out; a row that was marked sent is never sent again.

Each row is claimed in its own short transaction (PostgreSQL: FOR UPDATE SKIP
LOCKED; SQLite: BEGIN IMMEDIATE) that leases it, and the outcome is written in
a second one. The network call happens in between, outside any transaction: a
batch-wide transaction would hold SQLite's single write lock across a hundred
network calls (or one hung one) and make every other write in the bot fail.

Per recipient (a person, or a referral's thread) messages go out in the order
they were queued: a row waits while an older one to the same recipient is
still pending, whether it is retrying, leased, or unreachable.

Failures come in three kinds. A rate limit (`TemporaryFailure` with
`retry_after`) waits exactly as long as the platform says; the sender also
pauses the whole workspace/bot (`scheduling.delivery.ratelimit`), and rows for a paused
sender are deferred to the pause's end without a call and without counting an
attempt. Other temporary failures back off exponentially with jitter up to
`MAX_BACKOFF`. A `PermanentFailure` (blocked, not in channel, chat gone) ends
the row at once as "dead" with one clean reason, and `on_dead` tells a person
who can act; for a thread line on several platforms only that platform is given
up (and someone told), and the others still get the line. A delivery that
takes several calls records each finished part (`Outgoing.mark`), so a retry
never repeats a call that succeeded.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Literal, TypeVar

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from scheduling import observe
from scheduling.delivery.contract import (
    Deferred,
    Outgoing,
    PermanentFailure,
    Sender,
    TemporaryFailure,
)
from scheduling.delivery.redact import redact
from scheduling.outage import database_lost
from storage.db import immediate_session
from storage.models import Person
from storage.outbox import PURGE_ON_DELIVERY
from storage.tables import Outbox, OutboxDelivery

log = logging.getLogger("ketenbot.dispatch")
T = TypeVar("T")

BASE_BACKOFF = 2.0  # seconds, doubled per attempt
MAX_BACKOFF = 15 * 60  # seconds
LEASE = timedelta(minutes=5)  # a claimed row's hold while its delivery is under way
ERROR_LIMIT = 500
_jitter = random.Random()


def paused_until(sender: Sender, now: datetime) -> datetime | None:
    """When the sender's rate-limit pause ends (None: not paused)."""
    check = getattr(sender, "paused_until", None)
    return check(now) if check is not None else None


# Told about a row that died: (session, the row, the clean reason, platform, now).
OnDead = Callable[[Session, Outbox, str, str, datetime], object]


# For a person: one sender or None. For a thread line: every sender whose
# platform the referral lives on (the line goes to each of them once).
Chooser = Callable[[Session, Outbox], "Sender | list[Sender] | None"]


@dataclass
class DispatchResult:
    sent: int = 0
    retried: int = 0
    waiting: int = 0  # no platform reaches the recipient yet: kept for later
    deferred: int = 0  # its platform is rate-limited: moved to the pause's end
    dead: int = 0  # a permanent failure: given up, a person told


_Outcome = Literal["sent", "retried", "waiting", "gone", "deferred", "dead"]


def dispatch(engine: Engine, now: datetime, senders: list[Sender], choose: Chooser,
             batch: int = 100, *, stop: threading.Event | None = None,
             on_dead: OnDead | None = None) -> DispatchResult:
    """One pass over every due row, oldest first.

    `choose` must return one of `senders` (anything else counts as unreachable
    in this process) or None. A recipient whose row was not sent (failure,
    unreachable, or held by another dispatcher) gets nothing more in this pass,
    so their messages never overtake each other. When `stop` is set the pass
    ends after the delivery under way (which is finished and recorded).
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    _catch_up()
    result = DispatchResult()
    blocked: set[tuple[str, int | None]] = set()
    last_id = 0
    while True:
        # Candidates are read without locks; each is re-checked when claimed.
        # Paging by id (not re-reading the head) keeps a pile of unreachable
        # recipients' rows from starving everyone behind them.
        with Session(engine) as session:
            page = session.exec(
                select(Outbox.id, Outbox.person_id, Outbox.referral_id)
                .where(Outbox.status == "pending", col(Outbox.deliver_after) <= now,
                       col(Outbox.id) > last_id)
                .order_by(col(Outbox.id)).limit(batch)
            ).all()
        for oid, person_id, referral_id in page:
            assert oid is not None
            last_id = oid
            who = (("person", person_id) if person_id is not None
                   else ("referral", referral_id) if referral_id is not None else ("row", oid))
            if who in blocked:
                continue
            if stop is not None and stop.is_set():
                return result
            if senders and all(paused_until(s, now) for s in senders):
                return result  # every platform is rate-limited: no row can go now
            outcome = _one(engine, oid, now, senders, choose, on_dead)
            if outcome in ("sent", "dead"):
                result.sent += outcome == "sent"
                result.dead += outcome == "dead"
                continue
            blocked.add(who)
            if outcome == "retried":
                result.retried += 1
            elif outcome == "waiting":
                result.waiting += 1
            elif outcome == "deferred":
                result.deferred += 1
        if len(page) < batch:
            return result


def _one(engine: Engine, oid: int, now: datetime, senders: list[Sender],
         choose: Chooser, on_dead: OnDead | None) -> _Outcome:
    claimed = _claim(engine, oid, now, senders, choose)
    if isinstance(claimed, str):
        return claimed
    targets, message = claimed
    error: Exception | None = None
    failed_on = ""
    gone: list[tuple[str, PermanentFailure]] = []
    for sender in targets:
        try:
            sender.deliver(message)  # outside any transaction: no lock held while we wait
        except PermanentFailure as exc:
            if len(targets) > 1:  # that platform's thread is gone: the others still get it
                gone.append((sender.platform, exc))
                continue
            error, failed_on = exc, sender.platform
            break
        except Exception as exc:
            error, failed_on = exc, sender.platform
            break
        if len(targets) > 1 or message.person is None:
            # Remember each platform that has this thread line, so a retry
            # after a failure on another platform does not post it twice.
            _keep(partial(_mark, engine, oid, sender.platform, now))
    if gone and error is None and len(gone) == len(targets):  # no platform took it: dead
        failed_on, error = gone.pop()
    for platform, refused in gone:
        _keep(partial(_gone_on, engine, oid, platform, refused, now, on_dead))
    return _keep(lambda: settle(engine, oid, now, error, failed_on, on_dead,
                                [t.platform for t in targets if t.platform not in
                                 {p for p, _ in gone}]))


def _gone_on(engine: Engine, oid: int, platform: str, exc: PermanentFailure, now: datetime,
             on_dead: OnDead | None) -> None:
    """One platform of a thread line can never take it (its channel is gone, the
    bot removed): recorded as done there, so no retry tries it again, and whoever
    can act is told, as for a dead row."""
    with immediate_session(engine) as session:
        session.merge(OutboxDelivery(outbox_id=oid, platform=platform, delivered_at=now))
        row = session.get(Outbox, oid)
        reason = redact(exc.reason)[:ERROR_LIMIT]
        log.warning("delivery given up on one platform",
                    extra={"outbox": oid, "platform": platform, "error": reason})
        if row is not None:
            row.last_error = reason
            if on_dead is not None and row.kind != "unreachable":
                on_dead(session, row, reason, platform, now)


# Outcomes of deliveries made just before the database went away. They are
# written first thing when it is back, so a message that went out is never
# sent again because its "sent" could not be recorded (within this process;
# after a restart the lease decides, and it may go twice: at least once).
_unsaved: list[Callable[[], object]] = []
_unsaved_lock = threading.Lock()


def _keep(write: Callable[[], T]) -> T:
    try:
        return write()
    except Exception as exc:
        if database_lost(exc):
            with _unsaved_lock:
                _unsaved.append(write)
        raise


def _catch_up() -> None:
    with _unsaved_lock:
        while _unsaved:
            _unsaved[0]()  # still no database: raises, and the rest waits with it
            _unsaved.pop(0)


def settle(engine: Engine, oid: int, now: datetime, error: Exception | None,
           platform: str = "", on_dead: OnDead | None = None,
           sent_on: list[str] | None = None) -> _Outcome:
    """Write a delivery's outcome: sent, retry later, or dead (and tell someone)."""
    with immediate_session(engine) as session:  # a write: SQLite's lock first
        row = session.get(Outbox, oid)
        assert row is not None
        if error is None:
            row.status, row.sent_at = "sent", now
            _purge_once_delivered(row, now)
            observe.delivery(oid, row.person_id, row.referral_id, sent_on or [platform],
                             row.attempts + 1, None)
            return "sent"
        if isinstance(error, PermanentFailure):
            row.attempts += 1
            row.status = "dead"
            _purge_once_delivered(row, now)
            row.last_error = redact(error.reason)[:ERROR_LIMIT]
            log.warning("delivery given up", extra={"outbox": row.id, "error": row.last_error})
            observe.delivery(oid, row.person_id, row.referral_id, [platform], row.attempts,
                             error, dead=True)
            if on_dead is not None and row.kind != "unreachable":  # no notices about notices
                on_dead(session, row, row.last_error, platform, now)
            return "dead"
        if isinstance(error, Deferred):  # no call made: no attempt, no warning
            row.deliver_after = now + timedelta(seconds=error.retry_after or 0.0)
            observe.delivery(oid, row.person_id, row.referral_id, [platform], row.attempts,
                             error)
            return "deferred"
        retry_after = error.retry_after if isinstance(error, TemporaryFailure) else None
        _failed(row, now, error, retry_after, platform)
        observe.delivery(oid, row.person_id, row.referral_id, [platform], row.attempts, error,
                         retry_after)
        return "retried"


def _purge_once_delivered(row: Outbox, now: datetime) -> None:
    """A credential or a stranger's answer keeps nothing once it is out (or given up)."""
    if row.template in PURGE_ON_DELIVERY:
        row.payload, row.purged_at = {}, now


def mark_sent(engine: Engine, ids: list[int], now: datetime) -> None:
    """Mark many delivered rows sent in one statement (two: credentials and
    strangers' answers lose their payload at once)."""
    if ids:
        with immediate_session(engine) as session:
            session.execute(update(Outbox).where(col(Outbox.id).in_(ids),
                                                 col(Outbox.status) == "pending")
                            .values(status="sent", sent_at=now))
            session.execute(update(Outbox).where(col(Outbox.id).in_(ids),
                                                 col(Outbox.template).in_(PURGE_ON_DELIVERY))
                            .values(payload={}, purged_at=now))


def _mark(engine: Engine, oid: int, part: str, now: datetime) -> None:
    with immediate_session(engine) as session:
        session.merge(OutboxDelivery(outbox_id=oid, platform=part, delivered_at=now))


def backoff(attempts: int) -> float:
    """Seconds before retry number `attempts`: doubling up to the cap, with jitter
    (between half and all of it) so a crowd of failed rows does not retry in step."""
    # (the exponent is capped too: 2.0 ** 1100 overflows a float)
    nominal = min(BASE_BACKOFF * 2.0 ** min(max(attempts - 1, 0), 20), MAX_BACKOFF)
    return nominal * (0.5 + _jitter.random() / 2)


def _claim(engine: Engine, oid: int, now: datetime, senders: list[Sender],
           choose: Chooser) -> _Outcome | tuple[list[Sender], Outgoing]:
    """Lease the row for delivery: push deliver_after out by LEASE and commit.

    No other pass picks it up meanwhile, and no lock is held during the network
    call (on SQLite that lock would stop every write in the bot). If we die
    mid-delivery the lease runs out and the row is tried again.
    """
    with immediate_session(engine, expire_on_commit=False) as session:
        stmt = select(Outbox).where(Outbox.id == oid, Outbox.status == "pending",
                                    col(Outbox.deliver_after) <= now)
        if engine.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        row = session.exec(stmt).first()
        if row is None:  # sent or dropped meanwhile, or another dispatcher has it
            return "gone"
        if _waits_its_turn(session, row):
            return "gone"
        try:
            chosen = choose(session, row)
        except Exception as exc:  # a broken lookup must not jam the whole outbox
            _failed(row, now, exc, None, "choose")
            return "retried"
        wanted = chosen if isinstance(chosen, list) else [chosen] if chosen else []
        targets = [t for t in wanted if any(t is s for s in senders)]
        if not targets:
            return "waiting"
        done = set(session.exec(select(OutboxDelivery.platform)
                                .where(OutboxDelivery.outbox_id == oid)).all())
        targets = [t for t in targets if t.platform not in done]
        if not targets:  # every platform has it already (a crash before the mark)
            row.status, row.sent_at = "sent", now
            _purge_once_delivered(row, now)
            return "sent"
        pauses = [p for p in (paused_until(t, now) for t in targets) if p is not None]
        if pauses:  # rate-limited: no call now, and no attempt counted
            row.deliver_after = max(pauses)
            return "deferred"
        person = session.get(Person, row.person_id) if row.person_id is not None else None
        message = Outgoing(id=oid, kind=row.kind, template=row.template,
                           payload=dict(row.payload), person=person,
                           referral_id=row.referral_id, done=frozenset(done),
                           mark=lambda part: _keep(lambda: _mark(engine, oid, part, now)))
        row.deliver_after = now + LEASE
        return targets, message


def _waits_its_turn(session: Session, row: Outbox) -> bool:
    """An older message to the same recipient is still pending (retrying,
    leased by another pass, or not yet due): this one may not overtake it."""
    if row.person_id is not None:
        same = col(Outbox.person_id) == row.person_id
    elif row.referral_id is not None:  # a referral's thread
        same = (col(Outbox.person_id).is_(None)) & (col(Outbox.referral_id) == row.referral_id)
    else:
        return False
    older = select(Outbox.id).where(Outbox.status == "pending", col(Outbox.id) < row.id, same)
    return session.exec(older.limit(1)).first() is not None


def _failed(row: Outbox, now: datetime, exc: Exception, retry_after: float | None,
            platform: str) -> None:
    row.attempts += 1
    delay = max(0.0, retry_after) if retry_after is not None else backoff(row.attempts)
    row.deliver_after = now + timedelta(seconds=delay)
    # The latest error only, replacing the one before: it never grows per attempt.
    row.last_error = redact(f"{platform}: {type(exc).__name__}: {exc}")[:ERROR_LIMIT]
    log.warning("delivery failed, retrying", extra={
        "outbox": row.id, "attempt": row.attempts, "error": row.last_error,
        "retry_in_s": round(delay)})


def drop_stale(session: Session, referral_id: int, deadline_id: int) -> int:
    """Drop this deadline's reminders that were queued but not yet delivered.

    Called when the step is done (or lapsed): "one day to go" is then wrong.
    Returns how many were dropped.
    """
    result = session.exec(
        update(Outbox)
        .where(col(Outbox.referral_id) == referral_id, col(Outbox.status) == "pending",
               col(Outbox.dedupe_key).startswith(f"rem:{deadline_id}:", autoescape=True))
        .values(status="dropped")
    )
    return int(result.rowcount)

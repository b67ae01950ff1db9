"""The outbox dispatcher: retries, order per recipient, no resends, nothing lost."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from scheduling.delivery.contract import Outgoing, Sender, TemporaryFailure
from scheduling.delivery.dispatch import DispatchResult, dispatch, drop_stale
from scheduling.delivery.redact import redact
from scheduling.worker import build_scheduler
from storage import db
from storage.outbox import enqueue
from storage.tables import Outbox
from tests.test_sweep import BRAM, CARLA, JEROEN, at, make_referral, pid

NOW = at(2026, 11, 30, 9)


class FakeSender:
    platform = "fake"

    def __init__(self) -> None:
        self.delivered: list[Outgoing] = []
        self.failures: dict[str, list[Exception]] = {}  # dedupe key -> exceptions to raise

    def deliver(self, message: Outgoing) -> None:
        key = message.payload["key"]
        pending = self.failures.get(key)
        if pending:
            raise pending.pop(0)
        self.delivered.append(message)

    def keys(self) -> list[str]:
        return [m.payload["key"] for m in self.delivered]


@pytest.fixture
def sender() -> FakeSender:
    return FakeSender()


@pytest.fixture
def referral(sample_engine: Engine) -> int:
    return make_referral(sample_engine)


def add(engine: Engine, key: str, *, person: str | None, referral: int,
        after: datetime = NOW) -> None:
    with Session(engine) as s:
        enqueue(s, dedupe_key=key, kind="thread" if person is None else "reminder",
                template="reminder", payload={"key": key}, now=NOW, deliver_after=after,
                person_id=pid(engine, person) if person else None, referral_id=referral)
        s.commit()


def row(engine: Engine, key: str) -> Outbox:
    with Session(engine) as s:
        return s.exec(select(Outbox).where(Outbox.dedupe_key == key)).one()


def everyone(sender: Sender):  # type: ignore[no-untyped-def]
    return lambda session, r: sender


def test_temporary_failure_retries_after_its_delay(
        sample_engine: Engine, sender: FakeSender, referral: int) -> None:
    add(sample_engine, "a", person=JEROEN, referral=referral)
    sender.failures["a"] = [TemporaryFailure(retry_after=5)]

    result = dispatch(sample_engine, NOW, [sender], everyone(sender))
    assert result == DispatchResult(sent=0, retried=1, waiting=0)
    r = row(sample_engine, "a")
    assert (r.status, r.attempts, r.deliver_after) == ("pending", 1, NOW + timedelta(seconds=5))
    assert r.last_error and "TemporaryFailure" in r.last_error

    assert dispatch(sample_engine, NOW + timedelta(seconds=4), [sender],
                    everyone(sender)) == DispatchResult()
    result = dispatch(sample_engine, NOW + timedelta(seconds=5), [sender], everyone(sender))
    assert result.sent == 1 and sender.keys() == ["a"]
    r = row(sample_engine, "a")
    assert (r.status, r.sent_at) == ("sent", NOW + timedelta(seconds=5))
    assert sender.delivered[0].person is not None
    assert sender.delivered[0].person.email == JEROEN
    assert sender.delivered[0].referral_id == referral


def test_other_errors_back_off_exponentially_with_jitter_and_hide_tokens(
        sample_engine: Engine, sender: FakeSender, referral: int) -> None:
    add(sample_engine, "a", person=JEROEN, referral=referral)
    url = "https://api.telegram.org/bot123456:AAbbCC-dd_ee/sendMessage"
    sender.failures["a"] = [RuntimeError(f"500 from {url}"), ValueError("x" * 2000)]
    dispatch(sample_engine, NOW, [sender], everyone(sender))
    r = row(sample_engine, "a")
    # 2 s nominal, jittered down to no less than half of it
    assert NOW + timedelta(seconds=1) <= r.deliver_after <= NOW + timedelta(seconds=2)
    assert r.last_error and "123456:AAbbCC" not in r.last_error and "bot<token>" in r.last_error
    first_error = r.last_error
    dispatch(sample_engine, r.deliver_after, [sender], everyone(sender))
    r2 = row(sample_engine, "a")
    assert r.deliver_after + timedelta(seconds=2) <= r2.deliver_after
    assert r2.deliver_after <= r.deliver_after + timedelta(seconds=4)
    # The latest error replaces the one before: it never grows per attempt.
    assert r2.last_error and len(r2.last_error) == 500 and first_error not in r2.last_error

    # The backoff stops growing at 15 minutes.
    with Session(sample_engine) as s:
        o = s.exec(select(Outbox)).one()
        o.attempts = 5000  # days of retries: the exponent must not overflow
        s.add(o)
        s.commit()
    later = r2.deliver_after
    sender.failures["a"] = [RuntimeError("down")]
    dispatch(sample_engine, later, [sender], everyone(sender))
    wait = row(sample_engine, "a").deliver_after - later
    assert timedelta(minutes=7.5) <= wait <= timedelta(minutes=15)


def test_backoff_spreads_retries() -> None:
    from scheduling.delivery.dispatch import backoff

    delays = {round(backoff(3), 3) for _ in range(50)}
    assert len(delays) > 10 and all(4 <= d <= 8 for d in delays)


def test_redact() -> None:
    assert redact("Authorization: Bearer xoxb-123-abc") == "Authorization: <redacted> <redacted>"
    assert redact("token=abc&x=1") == "token=<redacted>&x=1"
    assert redact("invalid token") == "invalid token"


def test_order_per_recipient_is_kept(
        sample_engine: Engine, sender: FakeSender, referral: int) -> None:
    add(sample_engine, "jeroen-1", person=JEROEN, referral=referral)
    add(sample_engine, "bram-1", person=BRAM, referral=referral)
    add(sample_engine, "jeroen-2", person=JEROEN, referral=referral)
    add(sample_engine, "thread-1", person=None, referral=referral)
    add(sample_engine, "thread-2", person=None, referral=referral)
    sender.failures["jeroen-1"] = [TemporaryFailure(retry_after=1)]
    sender.failures["thread-1"] = [RuntimeError("channel gone")]

    result = dispatch(sample_engine, NOW, [sender], everyone(sender))
    # Jeroen's second message must not overtake his first; same for the thread.
    assert result == DispatchResult(sent=1, retried=2, waiting=0)
    assert sender.keys() == ["bram-1"]

    dispatch(sample_engine, NOW + timedelta(seconds=5), [sender], everyone(sender))
    assert sender.keys() == ["bram-1", "jeroen-1", "jeroen-2", "thread-1", "thread-2"]


def test_restart_never_resends(db_url: str, sample_engine: Engine, sender: FakeSender,
                               referral: int) -> None:
    add(sample_engine, "a", person=JEROEN, referral=referral)
    add(sample_engine, "b", person=CARLA, referral=referral)
    assert dispatch(sample_engine, NOW, [sender], everyone(sender)).sent == 2

    fresh = db.make_engine(db_url)  # a restarted process
    try:
        again = FakeSender()
        assert dispatch(fresh, NOW + timedelta(hours=1), [again], everyone(again)) == \
            DispatchResult()
        assert again.delivered == []
    finally:
        fresh.dispose()


def test_unreachable_person_stays_pending(
        sample_engine: Engine, sender: FakeSender, referral: int) -> None:
    bram = pid(sample_engine, BRAM)
    add(sample_engine, "bram-1", person=BRAM, referral=referral)
    add(sample_engine, "bram-2", person=BRAM, referral=referral)
    add(sample_engine, "jeroen-1", person=JEROEN, referral=referral)

    def choose(session: Session, r: Outbox) -> Sender | None:
        return None if r.person_id == bram else sender

    result = dispatch(sample_engine, NOW, [sender], choose)
    assert result == DispatchResult(sent=1, retried=0, waiting=1)  # bram-2 waits behind bram-1
    r = row(sample_engine, "bram-1")
    assert (r.status, r.attempts, r.deliver_after) == ("pending", 0, NOW)

    # Bram links a chat account: both arrive, in order.
    dispatch(sample_engine, NOW + timedelta(hours=1), [sender], everyone(sender))
    assert sender.keys() == ["jeroen-1", "bram-1", "bram-2"]


def test_sender_not_running_here_counts_as_unreachable(
        sample_engine: Engine, sender: FakeSender, referral: int) -> None:
    add(sample_engine, "a", person=JEROEN, referral=referral)
    other = FakeSender()
    assert dispatch(sample_engine, NOW, [sender], everyone(other)).waiting == 1
    assert other.delivered == [] and row(sample_engine, "a").status == "pending"


def test_unreachable_rows_do_not_starve_the_rest(
        sample_engine: Engine, sender: FakeSender) -> None:
    jeroen = pid(sample_engine, JEROEN)
    refs = [make_referral(sample_engine, ref=f"KB-{i}") for i in range(5)]
    for i, ref in enumerate(refs):  # five threads nobody can reach yet
        add(sample_engine, f"thread-{i}", person=None, referral=ref)
    add(sample_engine, "jeroen-1", person=JEROEN, referral=refs[0])

    def choose(session: Session, r: Outbox) -> Sender | None:
        return sender if r.person_id == jeroen else None

    result = dispatch(sample_engine, NOW, [sender], choose, batch=2)
    assert result == DispatchResult(sent=1, retried=0, waiting=5)
    assert sender.keys() == ["jeroen-1"]


def test_not_before_deliver_after(sample_engine: Engine, sender: FakeSender,
                                  referral: int) -> None:
    add(sample_engine, "monday", person=JEROEN, referral=referral, after=at(2026, 12, 7, 8, 30))
    assert dispatch(sample_engine, NOW, [sender], everyone(sender)) == DispatchResult()
    assert dispatch(sample_engine, at(2026, 12, 7, 8, 30), [sender],
                    everyone(sender)).sent == 1


def test_drop_stale_only_this_deadlines_pending_reminders(
        sample_engine: Engine, sender: FakeSender, referral: int) -> None:
    for key in ("rem:5:1", "rem:5:2", "rem:51:1", "esc:5:0:1", "rem-thread:5", "rem:5:3"):
        add(sample_engine, key, person=JEROEN, referral=referral)
    with Session(sample_engine) as s:
        sent = s.exec(select(Outbox).where(Outbox.dedupe_key == "rem:5:3")).one()
        sent.status = "sent"
        s.add(sent)
        s.commit()
    with db.session_scope(sample_engine) as s:
        assert drop_stale(s, referral, 5) == 2
    with Session(sample_engine) as s:
        status = {o.dedupe_key: o.status for o in s.exec(select(Outbox).order_by(col(Outbox.id)))}
    assert status == {"rem:5:1": "dropped", "rem:5:2": "dropped", "rem:51:1": "pending",
                      "esc:5:0:1": "pending", "rem-thread:5": "pending", "rem:5:3": "sent"}
    dispatch(sample_engine, NOW, [sender], everyone(sender))
    assert sorted(sender.keys()) == ["esc:5:0:1", "rem-thread:5", "rem:51:1"]


@pytest.fixture
def scheduler_ticks() -> Iterator[threading.Event]:
    ran = threading.Event()
    scheduler = build_scheduler(ran.set, interval_seconds=3600)
    scheduler.start()
    yield ran
    scheduler.shutdown(wait=True)


def test_worker_runs_at_once_on_start(scheduler_ticks: threading.Event) -> None:
    # The interval is an hour: only next_run_time=now makes it run this soon.
    assert scheduler_ticks.wait(timeout=10)


def test_worker_job_settings() -> None:
    scheduler = build_scheduler(lambda: None, interval_seconds=30)
    (job,) = scheduler.get_jobs()
    assert (job.max_instances, job.coalesce, job.misfire_grace_time) == (1, True, None)
    assert job.trigger.interval == timedelta(seconds=30)


def test_choose_error_backs_off_instead_of_jamming(
        sample_engine: Engine, sender: FakeSender, referral: int) -> None:
    jeroen = pid(sample_engine, JEROEN)
    add(sample_engine, "a", person=JEROEN, referral=referral)
    add(sample_engine, "b", person=BRAM, referral=referral)

    def choose(session: Session, r: Outbox) -> Sender | None:
        if r.person_id == jeroen:
            raise KeyError("no such platform")
        return sender

    assert dispatch(sample_engine, NOW, [sender], choose) == DispatchResult(sent=1, retried=1)
    r = row(sample_engine, "a")
    assert (r.status, r.attempts) == ("pending", 1) and r.last_error
    assert r.last_error.startswith("choose: KeyError")


def test_order_holds_across_passes(
        sample_engine: Engine, sender: FakeSender, referral: int) -> None:
    add(sample_engine, "jeroen-1", person=JEROEN, referral=referral)
    sender.failures["jeroen-1"] = [TemporaryFailure(retry_after=60)]
    dispatch(sample_engine, NOW, [sender], everyone(sender))
    add(sample_engine, "jeroen-2", person=JEROEN, referral=referral)  # queued later, due now

    assert dispatch(sample_engine, NOW + timedelta(seconds=10), [sender],
                    everyone(sender)) == DispatchResult()
    assert sender.keys() == []
    dispatch(sample_engine, NOW + timedelta(seconds=60), [sender], everyone(sender))
    assert sender.keys() == ["jeroen-1", "jeroen-2"]


class Crash(BaseException):
    """The process dies in the middle of a delivery."""


def test_no_lock_held_during_delivery_and_lease_after_crash(
        sample_engine: Engine, referral: int) -> None:
    add(sample_engine, "a", person=JEROEN, referral=referral)
    seen: list[DispatchResult] = []

    class Nested:
        platform = "nested"

        def deliver(self, message: Outgoing) -> None:
            # Another pass while this delivery is under way: it must neither
            # block on a lock (SQLite would wait, then fail) nor take the row.
            other = FakeSender()
            seen.append(dispatch(sample_engine, NOW, [other], everyone(other)))
            assert other.delivered == []
            raise Crash

    nested = Nested()
    with pytest.raises(Crash):
        dispatch(sample_engine, NOW, [nested], everyone(nested))
    assert seen == [DispatchResult()]
    r = row(sample_engine, "a")
    assert (r.status, r.attempts, r.deliver_after) == ("pending", 0, NOW + timedelta(minutes=5))

    again = FakeSender()
    assert dispatch(sample_engine, NOW + timedelta(minutes=5), [again],
                    everyone(again)).sent == 1

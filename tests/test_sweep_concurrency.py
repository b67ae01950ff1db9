"""Two sweepers at once: every tier is claimed, sent and recorded exactly once.

PostgreSQL (FOR UPDATE SKIP LOCKED) with thousands of lapsed deadlines; SQLite
(BEGIN IMMEDIATE, one writer at a time) with fewer, as it serialises anyway.
The outbox's unique keys would hide a double send, so the test also counts
history rows and claims, which have no such safety net.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

from sqlalchemy import Engine, func, insert
from sqlmodel import Session, col, select

from scheduling.sweep import SweepResult, sweep
from storage import db
from storage.models import Gemeente
from storage.tables import Deadline, Outbox, Referral, ReferralEvent
from tests.test_sweep import (
    BRAM,
    CAL,
    CARLA,
    DUE,
    HOURS,
    JEROEN,
    MONIQUE,
    ROUTES,
    START,
    at,
    pid,
)


def _bulk(engine: Engine, n: int) -> list[int]:
    """n open referrals, each with a lapsed step-1 deadline; their deadline ids."""
    jb, lt = pid(engine, JEROEN), pid(engine, BRAM)
    with Session(engine) as s:
        ede = s.exec(select(Gemeente).where(Gemeente.cbs_code == "GM0228")).one()
        s.exec(insert(Referral), params=[  # type: ignore[call-overload]
            dict(ref=f"KB-{i:05d}", route="301", kenmerk=f"K-{i}", gemeente_id=ede.id,
                 status="open", step="contact", step_started_at=START, jb_id=jb, lt_id=lt,
                 created_at=START) for i in range(n)])
        ref_ids = s.exec(select(Referral.id).order_by(col(Referral.id))).all()
        s.exec(insert(Deadline), params=[  # type: ignore[call-overload]
            # Spread over a minute so ORDER BY next_check_at has something to do.
            dict(referral_id=rid, key="step:contact", step="contact", due_at=DUE,
                 remind_at=None, next_check_at=DUE - timedelta(seconds=i % 60),
                 status="pending", tier=0, reminded=True)
            for i, rid in enumerate(ref_ids)])
        s.commit()
        return [d for d in s.exec(select(Deadline.id)).all() if d is not None]


def test_two_sweepers_send_each_escalation_once(db_url: str, sample_engine: Engine) -> None:
    postgres = db_url.startswith("postgresql")
    n, batch = (3000, 100) if postgres else (400, 25)
    ids = _bulk(sample_engine, n)
    assert len(ids) == n
    now = at(2026, 11, 30, 9)  # after the lapse, before tier 2 (Wed 2 Dec)

    results: list[SweepResult] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        engine = db.make_engine(db_url)  # each sweeper its own engine and connections
        try:
            barrier.wait()
            results.append(sweep(engine, now, routes=ROUTES, calendar=CAL, hours=HOURS,
                                 batch=batch))
        except BaseException as exc:  # surfaced in the main thread below
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert not errors, errors
    assert len(results) == 2

    # Every deadline was claimed by exactly one sweeper, once.
    assert sum(r.claimed for r in results) == n
    if postgres:  # thousands of rows: both really worked side by side
        assert all(r.claimed for r in results), results
    assert sum(r.escalations for r in results) == n

    monique, carla = pid(sample_engine, MONIQUE), pid(sample_engine, CARLA)
    expected = Counter(
        k for d in ids for k in (f"esc:{d}:0:{monique}", f"esc:{d}:0:{carla}",
                                 f"esc-thread:{d}:0"))
    with Session(sample_engine) as s:
        found = Counter(s.exec(select(Outbox.dedupe_key)).all())
        assert found == expected
        tiers = Counter((d.tier, d.status, d.next_check_at) for d in s.exec(select(Deadline)))
        assert tiers == {(1, "pending", at(2026, 12, 2)): n}
        per_referral = s.exec(
            select(ReferralEvent.referral_id, func.count())
            .where(ReferralEvent.action == "escalatie")
            .group_by(col(ReferralEvent.referral_id))).all()
        assert len(per_referral) == n and {c for _, c in per_referral} == {1}

    # A third sweep afterwards finds nothing to do.
    assert sweep(sample_engine, now, routes=ROUTES, calendar=CAL, hours=HOURS) == SweepResult()

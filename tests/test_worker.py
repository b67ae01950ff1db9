"""The worker: the sweep never waits for the dispatcher, a lost database is
one line and a pause, and stopping finishes the delivery under way."""

from __future__ import annotations

import logging
import threading
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from scheduling.outage import DatabaseWatch, database_lost
from scheduling.worker import Worker


def lost() -> OperationalError:
    return OperationalError("SELECT 1", {}, Exception("connection refused"))


def test_sweep_runs_while_the_dispatcher_is_stuck_in_a_backlog() -> None:
    release = threading.Event()
    swept = threading.Semaphore(0)
    dispatching = threading.Event()

    def dispatch(stop: threading.Event) -> Any:
        dispatching.set()
        release.wait(30)  # a long delivery backlog
        return SimpleNamespace(sent=0, dead=0, waiting=0, retried=0, deferred=0)

    def sweep(stop: threading.Event) -> Any:
        swept.release()
        return SimpleNamespace(reminders=0, escalations=0)

    worker = Worker(sweep, dispatch, sweep_interval=0.05, dispatch_interval=0.05)
    worker.start()
    try:
        assert dispatching.wait(10)
        for _ in range(5):  # the sweep keeps its beat although the dispatcher is busy
            assert swept.acquire(timeout=10)
        assert not release.is_set()
    finally:
        release.set()
        worker.stop()


def test_stop_lets_the_delivery_under_way_finish_and_starts_nothing_new() -> None:
    started, finished = threading.Event(), threading.Event()
    runs: list[str] = []

    def dispatch(stop: threading.Event) -> Any:
        runs.append("run")
        started.set()
        stop.wait(10)  # a pass that looks at `stop` between deliveries
        finished.set()
        return SimpleNamespace(sent=1, dead=0, waiting=0, retried=0, deferred=0)

    worker = Worker(lambda stop: SimpleNamespace(reminders=0, escalations=0), dispatch,
                    sweep_interval=3600, dispatch_interval=0.05)
    worker.start()
    assert started.wait(10)
    worker.stop()
    assert finished.is_set() and runs == ["run"]


def test_database_watch_logs_once_backs_off_and_recovers(
        caplog: pytest.LogCaptureFixture) -> None:
    mono = [0.0]
    watch = DatabaseWatch(monotonic=lambda: mono[0])
    calls: list[float] = []
    up = [False]

    def job() -> str:
        calls.append(mono[0])
        if not up[0]:
            raise lost()
        return "done"

    caplog.set_level(logging.INFO, logger="ketenbot")
    for _ in range(600):  # ten minutes, a beat a second
        assert watch.run("sweep", job) is None
        mono[0] += 1
    # Tried after 1, 2, 4, ... seconds, then every 30: not every beat.
    assert len(calls) < 30 and calls[:4] == [0, 1, 3, 7]
    up[0] = True
    mono[0] += 30
    assert watch.run("sweep", job) == "done"
    assert watch.run("sweep", job) == "done"
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("ketenbot")]
    assert len(messages) == 2
    assert "database unreachable" in messages[0] and "reachable again" in messages[1]


def test_only_a_lost_database_is_ridden_out() -> None:
    watch = DatabaseWatch()
    with pytest.raises(ZeroDivisionError):  # a bug is a bug: it shows
        watch.run("sweep", lambda: 1 / 0)
    assert database_lost(lost())
    import sqlite3

    for text in ("database is locked", "no such table: x"):
        assert not database_lost(OperationalError("UPDATE", {}, sqlite3.OperationalError(text)))
    assert database_lost(OperationalError("", {}, sqlite3.OperationalError(
        "unable to open database file")))


def test_sweep_stops_between_batches_when_asked(sample_engine: Any) -> None:
    from tests.test_sweep import DUE, make_deadline, make_referral, run

    for i in range(3):
        make_deadline(sample_engine, make_referral(sample_engine, ref=f"KB-000{i}"), remind=None)
    stop = threading.Event()
    stop.set()
    from scheduling.sweep import sweep
    from tests.test_sweep import CAL, HOURS, ROUTES

    first = sweep(sample_engine, DUE, routes=ROUTES, calendar=CAL, hours=HOURS, batch=1,
                  stop=stop)
    assert (first.claimed, first.escalations) == (1, 1)  # one batch committed, then out
    rest = run(sample_engine, DUE)  # the next start goes on where it stopped
    assert rest.escalations == 2


def test_a_long_cron_job_holds_up_neither_the_sweep_nor_the_dispatcher() -> None:
    from apscheduler.triggers.interval import IntervalTrigger

    from scheduling.worker import CronJob

    release, digesting = threading.Event(), threading.Event()
    swept, dispatched = threading.Semaphore(0), threading.Semaphore(0)

    def digest() -> None:  # the 08:30 digest over a big region
        digesting.set()
        release.wait(30)

    def sweep(stop: threading.Event) -> Any:
        swept.release()
        return SimpleNamespace(reminders=0, escalations=0)

    def dispatch(stop: threading.Event) -> Any:
        dispatched.release()
        return SimpleNamespace(sent=0, dead=0, waiting=0, retried=0, deferred=0)

    worker = Worker(sweep, dispatch, sweep_interval=0.05, dispatch_interval=0.05,
                    cron_jobs=[CronJob("digests", IntervalTrigger(seconds=0.05), digest)])
    worker.start()
    try:
        assert digesting.wait(10)
        for _ in range(5):
            assert swept.acquire(timeout=10) and dispatched.acquire(timeout=10)
        assert not release.is_set()
    finally:
        release.set()
        worker.stop()

"""The worker's two jobs: the sweep and the outbox dispatcher, each on its own
interval and its own thread, so a delivery backlog (a rate-limited workspace)
never delays writing reminders and escalations.

The database, not the scheduler, knows what is due: a job only says "look
now". So nothing is lost when the process is down; the first run after a
start happens at once and catches up. Both jobs go through one
`DatabaseWatch`: a lost database is one log line and a backing-off pause, not
a failure per interval. On stop (SIGTERM) the dispatcher finishes the delivery
under way and records it, the sweep's batch commits or rolls back, and
nothing new starts.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from scheduling.outage import DatabaseWatch

log = logging.getLogger("ketenbot.worker")


class _NoSkipNotices(logging.Filter):
    """A job still running when its next beat comes is the normal case here (a
    dispatcher working through a backlog): APScheduler's warning about the
    skipped beat would be a log line per interval."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances" not in record.getMessage()


logging.getLogger("apscheduler.scheduler").addFilter(_NoSkipNotices())
# "Running job" / "executed successfully" at every beat: operators need none of it.
logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)


def build_scheduler(tick: Callable[[], None], interval_seconds: float,
                    job_id: str = "ketenbot-tick",
                    scheduler: BackgroundScheduler | None = None) -> BackgroundScheduler:
    scheduler = scheduler or BackgroundScheduler(timezone=UTC)
    scheduler.add_job(
        tick,
        IntervalTrigger(seconds=interval_seconds, timezone=UTC),
        id=job_id,
        max_instances=1,  # a slow run is never overlapped by the next one
        coalesce=True,  # missed runs (sleep, long run) collapse into one
        misfire_grace_time=None,  # ...which runs however late it is
        next_run_time=datetime.now(UTC),  # first run right away after a (re)start
    )
    return scheduler


class Worker:
    """`sweep(stop)` and `dispatch(stop)` as two scheduled jobs; `stop()` ends both
    (each looks at the event between batches or deliveries)."""

    def __init__(self, sweep: Callable[[threading.Event], Any],
                 dispatch: Callable[[threading.Event], Any],
                 sweep_interval: float, dispatch_interval: float,
                 watch: DatabaseWatch | None = None) -> None:
        self.watch = watch or DatabaseWatch()
        self.stopping = threading.Event()
        self._sweep, self._dispatch = sweep, dispatch
        # Two threads: one job each, never waiting for the other.
        self.scheduler = BackgroundScheduler(timezone=UTC,
                                             executors={"default": ThreadPoolExecutor(2)})
        build_scheduler(self.sweep_job, sweep_interval, "ketenbot-sweep", self.scheduler)
        build_scheduler(self.dispatch_job, dispatch_interval, "ketenbot-dispatch",
                        self.scheduler)

    def sweep_job(self) -> None:
        if self.stopping.is_set():
            return
        # No summary line: each reminder, escalation and delivery logs its own.
        self.watch.run("sweep", lambda: self._sweep(self.stopping))

    def dispatch_job(self) -> None:
        if self.stopping.is_set():
            return
        self.watch.run("dispatch", lambda: self._dispatch(self.stopping))

    def start(self) -> None:
        self.scheduler.start()

    def stop(self) -> None:
        """Finish what is under way (a delivery, a sweep batch), start nothing new."""
        self.stopping.set()
        self.scheduler.shutdown(wait=True)

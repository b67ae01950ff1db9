"""The worker's jobs: the sweep and the outbox dispatcher, each on its own
interval, and the cron jobs (digests, and whatever else runs at set times),
every job on a thread of its own: a delivery backlog (a rate-limited
workspace) or the 08:30 digest never delays writing reminders and escalations.

`worker --once` (for cron) runs the sweep, every cron job due now (`due_now`:
a fire time within its grace period) and one dispatch pass. A cron job is
idempotent (dedupe keys in the outbox), so running it from both a long-running
worker and a cron `--once` sends nothing twice.

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
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
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


@dataclass(frozen=True)
class CronJob:
    """A job at set times (digests, retention...). `run` decides from the
    database and the calendar what to do and is safe to run twice; `grace` is
    how late a missed fire time still runs (a worker that was down, a cron
    `--once` that comes a little after the hour)."""

    name: str
    trigger: BaseTrigger
    run: Callable[[], object]
    grace: timedelta = timedelta(hours=4)

    def due_now(self, now: datetime) -> bool:
        """A fire time fell within the last `grace` (for `worker --once`)."""
        fire = self.trigger.get_next_fire_time(None, now - self.grace)
        return fire is not None and fire <= now


def run_due(jobs: list[CronJob], now: datetime) -> list[str]:
    """Run every cron job due at `now`, one after the other; their names."""
    ran = []
    for job in jobs:
        if job.due_now(now):
            job.run()
            ran.append(job.name)
    return ran


def build_scheduler(tick: Callable[[], None], interval_seconds: float,
                    job_id: str = "ketenbot-tick",
                    scheduler: BackgroundScheduler | None = None,
                    executor: str = "default") -> BackgroundScheduler:
    scheduler = scheduler or BackgroundScheduler(timezone=UTC)
    scheduler.add_job(
        tick,
        IntervalTrigger(seconds=interval_seconds, timezone=UTC),
        executor=executor,
        id=job_id,
        max_instances=1,  # a slow run is never overlapped by the next one
        coalesce=True,  # missed runs (sleep, long run) collapse into one
        misfire_grace_time=None,  # ...which runs however late it is
        next_run_time=datetime.now(UTC),  # first run right away after a (re)start
    )
    return scheduler


class Worker:
    """`sweep(stop)` and `dispatch(stop)` as two interval jobs and each cron job
    on its own schedule; `stop()` ends them all (the sweep and the dispatcher
    look at the event between batches or deliveries)."""

    def __init__(self, sweep: Callable[[threading.Event], Any],
                 dispatch: Callable[[threading.Event], Any],
                 sweep_interval: float, dispatch_interval: float,
                 watch: DatabaseWatch | None = None,
                 cron_jobs: list[CronJob] | None = None) -> None:
        self.watch = watch or DatabaseWatch()
        self.stopping = threading.Event()
        self._sweep, self._dispatch = sweep, dispatch
        jobs = list(cron_jobs or [])
        # One thread per job, each in an executor of its own: a job can only
        # ever wait for itself (max_instances=1), never for another job.
        executors = {"sweep": ThreadPoolExecutor(1), "dispatch": ThreadPoolExecutor(1)}
        executors |= {f"cron-{job.name}": ThreadPoolExecutor(1) for job in jobs}
        self.scheduler = BackgroundScheduler(timezone=UTC, executors=executors)
        build_scheduler(self.sweep_job, sweep_interval, "ketenbot-sweep", self.scheduler,
                        "sweep")
        build_scheduler(self.dispatch_job, dispatch_interval, "ketenbot-dispatch",
                        self.scheduler, "dispatch")
        for job in jobs:
            self.scheduler.add_job(self._cron(job), job.trigger, id=f"ketenbot-{job.name}",
                                   executor=f"cron-{job.name}", max_instances=1,
                                   coalesce=True,
                                   misfire_grace_time=int(job.grace.total_seconds()))

    def _cron(self, job: CronJob) -> Callable[[], None]:
        def run() -> None:
            if not self.stopping.is_set():
                self.watch.run(job.name, job.run)
        return run

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

"""When retention runs: an APScheduler cron trigger, once a night.

The trigger only says "run now"; `storage.retention.run_retention` decides
from the timestamps what has outlived its term, so a night missed (the worker
was down) is caught up by the next run, and two workers running it the same
night do the same work twice, harmlessly (each row is emptied once).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, time, timedelta

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine

from scheduling.worker import CronJob
from storage.retention import RetentionReport, Terms, run_retention

log = logging.getLogger("ketenbot.retention")
RETENTION_AT = time(3, 15)  # a quiet hour, before the 08:30 digests


def retention_trigger(tz: str = "Europe/Amsterdam") -> CronTrigger:
    return CronTrigger(hour=RETENTION_AT.hour, minute=RETENTION_AT.minute, timezone=tz)


def retention_job(engine: Engine, clock: Callable[[], datetime],
                  terms: Terms) -> Callable[[], RetentionReport]:
    """The nightly run, with its one log line (counts only, never content)."""

    def job() -> RetentionReport:
        report = run_retention(engine, clock(), terms)
        if report.total:
            log.info("retention: %s", ", ".join(f"{k}={n}" for k, n in report.counts.items()
                                                if n))
        return report

    return job


def retention_cron(engine: Engine, clock: Callable[[], datetime], terms: Terms,
                   tz: str = "Europe/Amsterdam") -> CronJob:
    """The worker's nightly retention job (a thread of its own; `worker --once` runs
    it when due). A missed night still runs within 12 hours."""
    return CronJob("retention", retention_trigger(tz), retention_job(engine, clock, terms),
                   grace=timedelta(hours=12))

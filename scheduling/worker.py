"""Run the caller's tick (sweep + dispatch) on a fixed interval in the background.

The database, not the scheduler, knows what is due: the job only says "look
now". So nothing is lost when the process is down; the first run after a
start happens at once and catches up.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger


def build_scheduler(tick: Callable[[], None], interval_seconds: float) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.add_job(
        tick,
        IntervalTrigger(seconds=interval_seconds, timezone=UTC),
        id="ketenbot-tick",
        max_instances=1,  # a slow tick is never overlapped by the next one
        coalesce=True,  # missed runs (sleep, long tick) collapse into one
        misfire_grace_time=None,  # ...which runs however late it is
        next_run_time=datetime.now(UTC),  # first run right away after a (re)start
    )
    return scheduler

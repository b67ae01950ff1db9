"""When the digests run: an APScheduler cron trigger on werkdagen' mornings.

The trigger only says "look now"; `handlers.overview.digests.run_digests` decides from
the calendar whether today is a digest day, and the outbox's dedupe keys make
each digest go out once however many workers run the job.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import time

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger

DIGEST_AT = time(8, 30)


def digest_trigger(tz: str = "Europe/Amsterdam") -> CronTrigger:
    return CronTrigger(day_of_week="mon-fri", hour=DIGEST_AT.hour, minute=DIGEST_AT.minute,
                       timezone=tz)


def schedule_digests(scheduler: BaseScheduler, job: Callable[[], object],
                     tz: str = "Europe/Amsterdam") -> None:
    """Add the digest job to the worker's scheduler (it runs next to the tick)."""
    scheduler.add_job(job, digest_trigger(tz), id="ketenbot-digests", max_instances=1,
                      coalesce=True, misfire_grace_time=4 * 3600)

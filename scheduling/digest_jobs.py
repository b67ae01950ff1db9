"""When the digests run: an APScheduler cron trigger on werkdagen' mornings.

The trigger only says "look now"; `handlers.overview.digests.run_digests` decides from
the calendar whether today is a digest day, and the outbox's dedupe keys make
each digest go out once however many workers run the job.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import time

from apscheduler.triggers.cron import CronTrigger

from scheduling.worker import CronJob

DIGEST_AT = time(8, 30)


def digest_trigger(tz: str = "Europe/Amsterdam") -> CronTrigger:
    return CronTrigger(day_of_week="mon-fri", hour=DIGEST_AT.hour, minute=DIGEST_AT.minute,
                       timezone=tz)


def digest_job(job: Callable[[], object], tz: str = "Europe/Amsterdam") -> CronJob:
    """The worker's digest job (next to the sweep, on a thread of its own)."""
    return CronJob("digests", digest_trigger(tz), job)

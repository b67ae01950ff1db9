"""What the worker counts and logs per delivery, sweep and escalation.

The counters are not registered anywhere on import: `bot.metrics` puts them,
with the database gauges, into the registry each process serves on /metrics.
Log lines carry ids and platforms only, never message text.
"""

from __future__ import annotations

import logging

from prometheus_client import Counter, Histogram

log = logging.getLogger("ketenbot.delivery")

DELIVERIES = Counter("ketenbot_deliveries", "Outbox delivery attempts by platform and result "
                     "(sent, deferred, dead)", ["platform", "result"], registry=None)
RATE_LIMIT_PAUSES = Counter("ketenbot_rate_limit_pauses", "Deliveries a platform asked us to "
                            "retry later (HTTP 429, retry_after)", ["platform"], registry=None)
SWEEP_SECONDS = Histogram("ketenbot_sweep_seconds", "Duration of one deadline sweep",
                          registry=None, buckets=(.005, .02, .05, .1, .25, .5, 1, 2.5, 5, 10))
REMINDERS = Counter("ketenbot_reminders_written", "Reminders the sweep queued", registry=None)
ESCALATIONS = Counter("ketenbot_escalations_written", "Escalation tiers the sweep fired",
                      registry=None)
COLLECTORS = (DELIVERIES, RATE_LIMIT_PAUSES, SWEEP_SECONDS, REMINDERS, ESCALATIONS)


def delivery(outbox_id: int | None, person_id: int | None, referral_id: int | None,
             platforms: list[str], attempt: int, error: Exception | None,
             retry_after: float | None = None, dead: bool = False) -> None:
    """One delivery result: counted; a success logged here (a failure is
    logged where its retry is scheduled, with the delay, or given up)."""
    result = "sent" if error is None else "dead" if dead else "deferred"
    for platform in platforms:
        DELIVERIES.labels(platform, result).inc()
    if error is None:
        log.info("delivered", extra={"outbox": outbox_id, "platform": ",".join(platforms),
                                     "person": person_id, "referral": referral_id,
                                     "attempt": attempt})
    elif retry_after is not None:
        for platform in platforms:
            RATE_LIMIT_PAUSES.labels(platform).inc()

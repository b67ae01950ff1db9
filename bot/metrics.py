"""Prometheus metrics: the process's own counters plus gauges read from the
database when scraped (so every web and worker process reports the same
backlog, whichever of them the scraper reaches).

The web app serves them at /metrics; the worker on its own port
(`KETENBOT_WORKER_METRICS_PORT`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from handlers.core import Clock
from scheduling import observe
from storage.models import ChatIdentity
from storage.tables import Outbox, Referral

log = logging.getLogger("ketenbot.metrics")


def oldest_due_age(session: Session, now: datetime) -> float:
    """Seconds the longest-waiting deliverable message is past its send time.

    Counts messages that are due and have a way out: a thread line, or a
    person with a linked chat account (someone who never linked is a
    directory matter, not a stuck outbox). 0 when nothing waits.
    """
    linked = select(ChatIdentity.person_id).where(
        col(ChatIdentity.person_id) == col(Outbox.person_id)).exists()
    oldest = session.exec(
        select(func.min(Outbox.deliver_after))
        .where(Outbox.status == "pending", col(Outbox.deliver_after) <= now,
               col(Outbox.person_id).is_(None) | linked)
    ).one()
    if oldest is None:
        return 0.0
    if oldest.tzinfo is None:  # stored as UTC; min() may lose the column type
        oldest = oldest.replace(tzinfo=UTC)
    return max(0.0, (now - oldest).total_seconds())


class DatabaseGauges(Collector):
    """Outbox backlog and age, open referrals per step: read at scrape time."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine, self.clock = engine, clock

    def collect(self) -> Iterator[Metric]:
        now = self.clock()
        backlog = GaugeMetricFamily("ketenbot_outbox_backlog",
                                    "Undelivered outbox messages (due or not)")
        age = GaugeMetricFamily("ketenbot_outbox_oldest_due_seconds",
                                "How long the oldest deliverable message is past its send time")
        steps = GaugeMetricFamily("ketenbot_open_referrals", "Open referrals by step",
                                  labels=["step"])
        try:
            with Session(self.engine) as session:
                backlog.add_metric([], session.exec(
                    select(func.count()).select_from(Outbox)
                    .where(Outbox.status == "pending")).one())
                age.add_metric([], oldest_due_age(session, now))
                for step, n in session.exec(
                        select(Referral.step, func.count()).where(Referral.status == "open")
                        .group_by(Referral.step)).all():
                    steps.add_metric([step], n)
        except Exception as exc:  # a scrape must not crash; the gauges are just absent
            log.warning("metrics: database not readable", extra={"error": type(exc).__name__})
            return
        yield from (backlog, age, steps)


def build_registry(engine: Engine, clock: Clock) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=True)
    for c in observe.COLLECTORS:
        registry.register(c)
    registry.register(DatabaseGauges(engine, clock))
    return registry


class MetricsPortTaken(Exception):
    """The configured port is in use (another worker, node_exporter...)."""


def serve_worker_metrics(registry: CollectorRegistry, port: int, host: str) -> int:
    """The worker's own /metrics (a small thread from prometheus-client); the
    port it listens on (`0` asks the system for any free one)."""
    try:
        server, _thread = start_http_server(port, addr=host, registry=registry)
    except OSError as exc:
        raise MetricsPortTaken(
            f"Poort {port} voor de metrics van de worker is bezet of niet te gebruiken "
            f"({exc.strerror or exc}) / metrics port {port} unavailable: "
            f"zet KETENBOT_WORKER_METRICS_PORT op een vrije poort, 0 (een willekeurige vrije) "
            f"of laat hem leeg (geen metrics) / set KETENBOT_WORKER_METRICS_PORT to a free "
            f"port, 0 (any free one) or leave it unset (no metrics).") from None
    bound = int(server.server_address[1])
    log.info("worker metrics listening", extra={"host": host, "port": bound})
    return bound

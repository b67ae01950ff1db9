"""`ketenbot serve` and `ketenbot worker`: the two long-running processes."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import typer

from bot.app import KetenBot
from bot.startup import fail, load_settings, start_bot
from scheduling import observe
from scheduling.delivery.contract import Sender
from scheduling.sweep import SweepResult
from scheduling.worker import CronJob, run_due

log = logging.getLogger("ketenbot.worker")


def worker_tick(bot: KetenBot, senders: list[Sender]) -> Callable[[], None]:
    """The worker's beat. Silent when nothing happened: the events themselves
    (escalations, deliveries, referral steps) log their own one line."""

    def tick() -> None:
        started = time.perf_counter()
        result = bot.tick(senders)
        observe.SWEEP_SECONDS.observe(time.perf_counter() - started)
        observe.REMINDERS.inc(result.reminders)
        observe.ESCALATIONS.inc(result.escalations)

    return tick


def observed_sweep(bot: KetenBot) -> Callable[[threading.Event], SweepResult]:
    """The worker's sweep job, timed and counted for /metrics."""

    def sweep(stop: threading.Event) -> SweepResult:
        started = time.perf_counter()
        result = bot.sweep_once(stop)
        observe.SWEEP_SECONDS.observe(time.perf_counter() - started)
        observe.REMINDERS.inc(result.reminders)
        observe.ESCALATIONS.inc(result.escalations)
        return result

    return sweep


def cron_jobs(bot: KetenBot) -> list[CronJob]:
    """The jobs that run at set times, in the long-running worker (a thread
    each) and in `worker --once` when due. A new one is one line here."""
    from handlers.overview.digests import run_digests
    from scheduling.digest_jobs import digest_job
    from scheduling.retention_job import retention_cron

    base_url = bot.settings.web_base_url
    return [
        digest_job(lambda: run_digests(bot.engine, bot.clock(), bot.calendar(), bot.routes,
                                       base_url), bot.settings.timezone),
        retention_cron(bot.engine, bot.clock, bot.settings.retention_terms(),
                       bot.settings.timezone),
    ]


def worker(
    once: bool = typer.Option(False, "--once", help="Eén ronde en stoppen (cron, tests)."),
) -> None:
    """Zoek verlopen termijnen (herinneringen, escalaties) en bezorg de outbox."""
    import signal
    import threading

    from bot.metrics import MetricsPortTaken, build_registry, serve_worker_metrics
    from bot.transports import build_inbox_jobs, build_senders
    from scheduling.worker import Worker

    settings = load_settings()
    bot = start_bot(settings, wait=not once)
    # Without any configured platform, messages stay queued in the outbox:
    # nothing is lost, they leave once a transport is set up.
    senders: list[Sender] = build_senders(bot)
    inboxes = build_inbox_jobs(bot)

    def deliver(stop: threading.Event | None = None) -> None:
        # Updates a web process left behind first: their answers leave with the rest.
        for job in inboxes:
            job()
        bot.dispatch_once(senders, stop)

    try:
        if once:
            # What a running worker would have done by now: the sweep, the cron
            # jobs whose time came (within their grace), then the outbox.
            observed_sweep(bot)(threading.Event())
            for name in run_due(cron_jobs(bot), bot.clock()):
                log.info("worker --once ran cron job %s", name)
            deliver()
            return
        if settings.worker_metrics_port is not None:
            try:
                serve_worker_metrics(build_registry(bot.engine, bot.clock),
                                     settings.worker_metrics_port, settings.host)
            except MetricsPortTaken as exc:
                raise fail(str(exc), 2) from None
        # The sweep and the dispatcher are two jobs: a delivery backlog (a
        # rate-limited workspace) never delays writing an escalation.
        worker = Worker(observed_sweep(bot), deliver,
                        settings.sweep_interval_seconds, settings.dispatch_interval_seconds,
                        cron_jobs=cron_jobs(bot))
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        worker.start()
        log.info("worker started", extra={
            "sweep_every_s": settings.sweep_interval_seconds,
            "platforms": ",".join(s.platform for s in senders) or "none (messages wait)"})
        stop.wait()
        began = time.monotonic()
        # The delivery under way is finished and recorded, the sweep's batch
        # commits or rolls back; what is still queued stays in the outbox.
        worker.stop()
        log.info("worker stopped", extra={"took_s": round(time.monotonic() - began, 1)})
    finally:
        for sender in senders:
            close = getattr(sender, "close", None)
            if close is not None:
                close()


def serve() -> None:
    """Het webproces: Slack-endpoints, Telegram-webhook, /healthz, /readyz, /metrics."""
    import uvicorn

    from bot.serve import build_web_app

    settings = load_settings()
    bot = start_bot(settings, wait=True)
    # log_config=None: uvicorn's lines go through our handler (format, redaction).
    # On SIGTERM: requests under way get 3 s, then the transports drain (2.5 s each):
    # stopped well within the 10 s a platform allows.
    uvicorn.run(build_web_app(bot), host=settings.host, port=settings.port,
                log_config=None, log_level=settings.log_level.lower(), access_log=False,
                timeout_graceful_shutdown=3)

"""`ketenbot worker`: the sweep and the dispatcher as two jobs, stopped cleanly.

SIGTERM or SIGINT stops the worker within seconds: the delivery under way is
finished and recorded (never half-sent and forgotten), the sweep's batch
commits or rolls back, and whatever is still queued stays in the outbox for
the next start.
"""

from __future__ import annotations

import logging
import signal
import threading
import time

from bot.app import KetenBot
from bot.config import Settings
from bot.transports import build_senders
from scheduling.dispatch import Sender
from scheduling.worker import Worker

log = logging.getLogger("ketenbot.worker")


def run_worker(bot: KetenBot, settings: Settings, once: bool = False) -> None:
    # Without any configured platform, messages stay queued in the outbox:
    # nothing is lost, they leave once a transport is set up.
    senders: list[Sender] = build_senders(bot)
    try:
        if once:
            result = bot.tick(senders)
            log.info("herinneringen=%d escalaties=%d bezorgd=%d wachtend=%d",
                     result.reminders, result.escalations, result.sent, result.waiting)
            return
        worker = Worker(bot.sweep_once, lambda stop: bot.dispatch_once(senders, stop),
                        settings.sweep_interval_seconds, settings.dispatch_interval_seconds)
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        worker.start()
        stop.wait()
        began = time.monotonic()
        worker.stop()
        log.info("worker stopped in %.1f s", time.monotonic() - began)
    finally:
        for sender in senders:
            close = getattr(sender, "close", None)
            if close is not None:
                close()

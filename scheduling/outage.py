"""Riding out a lost database: one line when it goes, one when it is back.

`DatabaseWatch` wraps the worker's jobs. When a job fails because the
database cannot be reached, it logs once, and the jobs skip their runs for a
growing pause (1 s, doubling, at most `MAX_PAUSE`) instead of failing and
logging every interval; the first run that works again logs the recovery.
Nothing is lost meanwhile: what is due lives in the database, and the first
sweep after the outage catches up (each lapse escalated once, by the same
claim as always).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

log = logging.getLogger("ketenbot.worker")
T = TypeVar("T")
MAX_PAUSE = 30.0  # seconds between attempts while the database is away


def database_lost(exc: BaseException) -> bool:
    """The error means the database is out of reach (not a bug in a query, nor
    contention that the next try gets past)."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if not isinstance(exc, (OperationalError, InterfaceError)):
        return False
    orig = exc.orig
    if type(orig).__module__.startswith("sqlite3"):
        # SQLite calls "no such table" and "database is locked" operational errors too.
        text = str(orig).lower()
        return "unable to open" in text or "disk i/o" in text
    # PostgreSQL: connection errors carry no SQLSTATE (the server never answered)
    # or class 08; 57P01-57P03 is the server shutting down or starting up.
    state = getattr(orig, "sqlstate", None)
    return state is None or state.startswith("08") or state in ("57P01", "57P02", "57P03")


class DatabaseWatch:
    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self.down_since: float | None = None
        self._pause = 0.0
        self._next_try = 0.0
        self.outages = 0

    def run(self, name: str, job: Callable[[], T]) -> T | None:
        """Run `job` unless we are waiting out an outage; None when skipped or lost."""
        with self._lock:
            if self.down_since is not None and self._monotonic() < self._next_try:
                return None
        try:
            result = job()
        except Exception as exc:
            if not database_lost(exc):
                raise
            self._lost(name, exc)
            return None
        self._back()
        return result

    def _lost(self, name: str, exc: BaseException) -> None:
        with self._lock:
            now = self._monotonic()
            if self.down_since is None:
                self.down_since = now
                self.outages += 1
                self._pause = 1.0
                log.error("database unreachable: sweep and outbox paused, retrying by itself",
                          extra={"error": type(exc.__cause__ or exc).__name__, "job": name})
            else:
                self._pause = min(self._pause * 2, MAX_PAUSE)
            self._next_try = now + self._pause

    def _back(self) -> None:
        with self._lock:
            if self.down_since is None:
                return
            log.warning("database reachable again, catching up",
                        extra={"down_s": round(self._monotonic() - self.down_since)})
            self.down_since = None

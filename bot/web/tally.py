"""Anonymous requests to the overview, counted instead of written one row each.

1,500 unauthenticated requests used to write 1,000 `web_access` rows: the
table is the audit trail of who saw what, and someone without a session saw
nothing. Per route and status, the first refusal of a minute writes a row
(person empty) and the rest of that minute add to its `count`, written at the
next minute's first refusal (of any route) or every FLUSH_EVERY in between (so a process that
stops loses at most that many from its tally, never a signed-in person's row).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, update
from sqlmodel import col

from handlers.core import Clock
from storage.db import session_scope
from storage.web_tables import WebAccess

FLUSH_EVERY = 100


def route_key(path: str) -> str:
    """/overzicht/verwijzing/KB-0001 -> /overzicht/verwijzing/*: what was asked
    for, not which case (and not one key per guessed reference)."""
    parts = path.split("/")
    return "/".join(parts[:3]) + ("/*" if len(parts) > 3 and any(parts[3:]) else "")


@dataclass
class _Open:
    minute: datetime
    row_id: int
    count: int
    written: int


class RefusalTally:
    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine, self.clock = engine, clock
        self._open: dict[tuple[str, int], _Open] = {}
        self._lock = threading.Lock()

    def add(self, path: str, status: int) -> None:
        now = self.clock()
        minute = now.replace(second=0, microsecond=0)
        key = (route_key(path)[:200], status)
        with self._lock:
            current = self._open.get(key)
            if current is not None and current.minute == minute:
                current.count += 1
                if current.count - current.written >= FLUSH_EVERY:
                    self._write(current)
                return
            with session_scope(self.engine) as s:
                # Every tally of an earlier minute is final now: write and forget it.
                for old_key, old in list(self._open.items()):
                    if old.minute < minute:
                        if old.count != old.written:
                            s.execute(update(WebAccess).where(col(WebAccess.id) == old.row_id)
                                      .values(count=old.count))
                        del self._open[old_key]
                row = WebAccess(person_id=None, at=now, path=key[0], status=status, count=1)
                s.add(row)
                s.flush()
                assert row.id is not None
                self._open[key] = _Open(minute, row.id, 1, 1)

    def _write(self, current: _Open) -> None:
        with session_scope(self.engine) as s:
            s.execute(update(WebAccess).where(col(WebAccess.id) == current.row_id)
                      .values(count=current.count))
        current.written = current.count

"""Per-key limits that hold across processes and under concurrency.

`hit` counts one attempt in a fixed window with a single INSERT … ON CONFLICT
DO UPDATE … RETURNING: on PostgreSQL the row lock orders concurrent callers, so
sixteen at once get the counts 1 to 16 and exactly `limit` of them pass; SQLite
has one writer at a time anyway. No check-then-write, so no race to win.

(An in-memory limiter such as `limits` would count per process: `serve` runs
as several processes that share only the database.)
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import Engine, case, delete, literal
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col

from storage.db import session_scope
from storage.tables import Throttle, UTCDateTime

_T = Throttle.__table__  # type: ignore[attr-defined]
KEEP = timedelta(days=1)  # no window is longer: older rows only take room


def _key(key: str) -> str:
    # Keys name chat accounts and people: stored as a hash only.
    return hashlib.sha256(key.encode()).hexdigest()


def hit(engine: Engine, key: str, now: datetime, limit: int, window: timedelta) -> bool:
    """Count one attempt for `key`; True while at most `limit` fell in this window."""
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    now_v = literal(now, UTCDateTime())
    expired = _T.c.window_start <= literal(now - window, UTCDateTime())
    stmt = (insert(_T).values(key_hash=_key(key), window_start=now, hits=1)
            .on_conflict_do_update(index_elements=["key_hash"], set_={
                # Both read the row as it was: a lapsed window starts afresh at 1.
                "hits": case((expired, 1), else_=_T.c.hits + 1),
                "window_start": case((expired, now_v), else_=_T.c.window_start),
            })
            .returning(_T.c.hits))
    with session_scope(engine) as session:
        hits = int(session.execute(stmt).scalar_one())
    return hits <= limit


def reset(engine: Engine, key: str) -> None:
    """Forget `key`'s attempts (a right link code clears the wrong ones)."""
    with session_scope(engine) as session:
        session.execute(delete(Throttle).where(col(Throttle.key_hash) == _key(key)))


def prune(engine: Engine, now: datetime) -> None:
    with session_scope(engine) as session:
        session.execute(delete(Throttle).where(col(Throttle.window_start) < now - KEEP))

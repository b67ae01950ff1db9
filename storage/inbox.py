"""Updates stored before the webhook answers (`tables.InboxUpdate`).

The webhook stores an update and commits before it says 200: from then on the
platform will not send it again, so the row is the only copy. The process
that stored it handles it and deletes the row; if that process dies first, the
row's claim runs out and a worker takes it (`claim_stale`). Handling itself
stays once-only through `events.first_time` (processed_event): a row taken
twice is answered once.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col

from storage.db import write_transaction
from storage.tables import InboxUpdate

# How long the storing process keeps an update before a worker may take it:
# far beyond the seconds handling takes, even behind a burst.
CLAIM = timedelta(minutes=2)


@dataclass
class Handling:
    """The inbox row whose update this context is handling."""

    row_id: int
    done: bool = False


# Set around an update's handling, so the transaction that queues its answer
# also deletes its row (`done_in`): the answer and the end of the update are
# one commit. Threads started with asyncio.to_thread see it too.
HANDLING: ContextVar[Handling | None] = ContextVar("inbox_handling", default=None)


def store(engine: Engine, platform: str, updates: Sequence[tuple[str, str]],
          now: datetime) -> dict[str, int]:
    """Store (event id, body) pairs in one transaction, claimed by the caller;
    {event id: row id} for those not already waiting (a repeat is dropped)."""
    if not updates:
        return {}
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    rows = [{"platform": platform, "event_id": event_id[:64], "body": body,
             "received_at": now, "claimed_until": now + CLAIM} for event_id, body in updates]
    stmt = (insert(InboxUpdate).values(rows).on_conflict_do_nothing()
            .returning(col(InboxUpdate.event_id), col(InboxUpdate.id)))
    with write_transaction(engine) as conn:
        return {event_id: oid for event_id, oid in conn.execute(stmt)}


def claim_stale(engine: Engine, platform: str, now: datetime,
                limit: int = 500) -> list[tuple[int, str]]:
    """Take the updates whose claim ran out (their process died, or let them go
    at shutdown): (row id, body), oldest first, claimed by the caller. Reads
    first: the worker asks every round, and mostly there is nothing."""
    stale = (col(InboxUpdate.platform) == platform, col(InboxUpdate.claimed_until) <= now)
    with engine.connect() as conn:
        ids = list(conn.execute(select(col(InboxUpdate.id)).where(*stale)
                                .order_by(col(InboxUpdate.id)).limit(limit)).scalars())
    if not ids:
        return []
    with write_transaction(engine) as conn:
        # Only what is still unclaimed: two workers never take the same row.
        rows = conn.execute(update(InboxUpdate)
                            .where(col(InboxUpdate.id).in_(ids), *stale)
                            .values(claimed_until=now + CLAIM)
                            .returning(col(InboxUpdate.id), col(InboxUpdate.body))).all()
    return sorted((oid, body) for oid, body in rows)


def done(engine: Engine, ids: Sequence[int]) -> None:
    """Handled: the rows go (with them the only copy of what was sent)."""
    if ids:
        with write_transaction(engine) as conn:
            conn.execute(delete(InboxUpdate).where(col(InboxUpdate.id).in_(list(ids))))


def done_in(conn: Connection) -> None:
    """`done` for the update being handled here, in the caller's transaction
    (the one that queues its answer); nothing when no update is."""
    handling = HANDLING.get()
    if handling is not None and not handling.done:
        conn.execute(delete(InboxUpdate).where(col(InboxUpdate.id) == handling.row_id))
        handling.done = True  # set before the commit: a rollback leaves the row
        # to the worker, which finds the update seen before and only deletes it


def release(engine: Engine, ids: Sequence[int], now: datetime) -> None:
    """Let updates go unhandled (shutdown): the next worker takes them at once."""
    if ids:
        with write_transaction(engine) as conn:
            conn.execute(update(InboxUpdate).where(col(InboxUpdate.id).in_(list(ids)))
                         .values(claimed_until=now))


def waiting(engine: Engine, platform: str) -> int:
    """How many updates wait to be handled (tests, the bench)."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(InboxUpdate)
                                .where(col(InboxUpdate.platform) == platform)).scalar_one())

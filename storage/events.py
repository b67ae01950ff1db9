"""Platform events seen before: Slack retries its Events API deliveries and a
Telegram webhook may deliver an update twice; each is handled once."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from storage.db import session_scope, write_transaction
from storage.tables import ProcessedEvent

# Platforms retry within minutes; a week of memory is ample and keeps it small.
KEEP = timedelta(days=7)


def first_time(engine: Engine, platform: str, event_id: str, now: datetime) -> bool:
    """Record the event; False when it was seen before."""
    with write_transaction(engine) as conn:  # Core: one statement needs no Session
        return first_time_in(conn, platform, event_id, now)


def first_time_in(conn: Connection | Session, platform: str, event_id: str,
                  now: datetime) -> bool:
    """`first_time` in the caller's write transaction."""
    dialect = conn.get_bind().dialect if isinstance(conn, Session) else conn.dialect
    insert = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
    # RETURNING, not rowcount: through the ORM session psycopg reports -1 or 1
    # for a skipped conflict.
    stmt = (insert(ProcessedEvent)
            .values(platform=platform, event_id=event_id[:64], received_at=now)
            .on_conflict_do_nothing()
            .returning(col(ProcessedEvent.event_id)))
    return conn.execute(stmt).first() is not None


def prune(engine: Engine, now: datetime) -> None:
    with session_scope(engine) as session:
        session.execute(delete(ProcessedEvent).where(col(ProcessedEvent.received_at) < now - KEEP))

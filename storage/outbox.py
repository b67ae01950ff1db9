"""Queue a message for a person, at most once per dedupe key."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from storage.tables import Outbox


def enqueue(
    session: Session,
    *,
    dedupe_key: str,
    kind: str,
    template: str,
    payload: dict[str, Any],
    now: datetime,
    deliver_after: datetime,
    person_id: int | None = None,
    referral_id: int | None = None,
) -> bool:
    """Insert unless the key exists; True when this call queued it.

    ON CONFLICT DO NOTHING keeps a second sweeper (or a replay after a crash)
    from failing the whole transaction on the unique key.
    """
    values = dict(
        dedupe_key=dedupe_key, kind=kind, template=template, payload=payload,
        created_at=now, deliver_after=deliver_after, person_id=person_id,
        referral_id=referral_id, status="pending", attempts=0,
    )
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(Outbox).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    result = session.execute(stmt)
    return bool(result.rowcount)  # type: ignore[attr-defined]

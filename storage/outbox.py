"""Queue a message for a person, at most once per dedupe key."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import uuid4

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from storage.tables import Outbox

_OUTBOX = Outbox.__table__  # type: ignore[attr-defined]

# Answers whose payload is emptied the moment they are delivered (or given up):
# a credential (a sign-in link, a link code) must not outlive its one use, and
# an unlinked stranger's chat id is kept no longer than it takes to answer.
CREDENTIAL_REPLY = "reply-credential"
STRANGER_REPLY = "reply-stranger"
PURGE_ON_DELIVERY = (CREDENTIAL_REPLY, STRANGER_REPLY)


def outbox_row(
    *,
    dedupe_key: str,
    kind: str,
    template: str,
    payload: dict[str, Any],
    now: datetime,
    deliver_after: datetime,
    person_id: int | None = None,
    referral_id: int | None = None,
) -> dict[str, Any]:
    """The column values of a new (pending) outbox row, for `enqueue_many`."""
    return dict(
        dedupe_key=dedupe_key, kind=kind, template=template, payload=payload,
        created_at=now, deliver_after=deliver_after, person_id=person_id,
        referral_id=referral_id, status="pending", attempts=0,
    )


def _insert(session: Session, target: Any) -> Any:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(target).on_conflict_do_nothing(index_elements=["dedupe_key"])


def enqueue(session: Session, **fields: Any) -> bool:
    """Insert unless the key exists; True when this call queued it.

    `fields` are `outbox_row`'s. ON CONFLICT DO NOTHING keeps a second sweeper
    (or a replay after a crash) from failing the whole transaction on the
    unique key.
    """
    values = outbox_row(**fields)
    # RETURNING, not rowcount: through the ORM session psycopg reports a
    # skipped conflict as a row written.
    stmt = _insert(session, Outbox).values(**values).returning(col(Outbox.id))
    return session.execute(stmt).first() is not None


def enqueue_many(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """`enqueue` for many rows (made by `outbox_row`) in one executemany statement.

    Same ON CONFLICT (dedupe_key) DO NOTHING: a key already queued is skipped,
    the rest go in. Rows are inserted in the order given, so their ids (and
    with them the per-recipient delivery order) follow it. Pending ORM changes
    are flushed first, as `enqueue`'s autoflush would.

    (One executemany beats multi-row VALUES here: psycopg pipelines it, and
    SQLAlchemy's multi-row forms cost more in Python than they save.)
    """
    if rows:
        session.flush()
        session.connection().execute(_insert(session, _OUTBOX), list(rows))


def enqueue_reply(session: Session, *, platform: str, chat_id: str, text: str, now: datetime,
                  hold_until: datetime, markup: dict[str, Any] | None = None,
                  purge: str | None = None) -> int:
    """Queue a command's answer (already rendered) for the chat it came from; its id.

    The web process sends it at once itself; `hold_until` keeps the worker's
    dispatcher off it meanwhile. If that first attempt fails, the row is
    retried like every other message and is never lost. `purge` (one of
    `PURGE_ON_DELIVERY`) empties the row's payload as soon as it is delivered.
    """
    assert purge is None or purge in PURGE_ON_DELIVERY
    values = outbox_row(dedupe_key=f"reply:{platform}:{uuid4().hex}", kind="reply",
                        template=purge or "reply", now=now, deliver_after=hold_until,
                        payload={"platform": platform, "chat_id": chat_id, "text": text,
                                 "markup": markup})
    stmt = _insert(session, Outbox).values(**values).returning(col(Outbox.id))
    return int(session.execute(stmt).scalar_one())

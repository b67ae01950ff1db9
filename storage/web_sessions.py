"""Web sessions kept server-side, so that they can end before their cookie does.

The cookie holds a random session id (signed); the row holds its sha256, the
person, and the role and team the session was opened under. A session is
valid while its row exists, has not expired, and the person still has that
role and team: a role change, a move or `verwijder` (the archive team) ends it
without anyone having to remember to.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, update
from sqlmodel import Session, col

from storage.db import session_scope
from storage.models import Person, is_active
from storage.web_tables import WebSessionRow


@dataclass(frozen=True)
class Found:
    person_id: int
    lang: str | None


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def open_session(engine: Engine, person_id: int, now: datetime, hours: int) -> str | None:
    """A new session for an active person: its id (for the cookie), else None."""
    sid = secrets.token_urlsafe(32)
    with session_scope(engine) as session:
        person = session.get(Person, person_id)
        if person is None or not is_active(session, person):
            return None
        session.add(WebSessionRow(id_hash=_hash(sid), person_id=person_id, role=person.role,
                                  team_id=person.team_id, created_at=now,
                                  expires_at=now + timedelta(hours=hours)))
    return sid


def find(engine: Engine, sid: str, now: datetime) -> Found | None:
    if not sid or len(sid) > 100:
        return None
    with Session(engine) as session:
        row = session.get(WebSessionRow, _hash(sid))
        if row is None or row.expires_at <= now:
            return None
        person = session.get(Person, row.person_id)
        if (person is None or person.role != row.role or person.team_id != row.team_id
                or not is_active(session, person)):
            return None
        return Found(row.person_id, row.lang)


def set_lang(engine: Engine, sid: str, lang: str) -> None:
    with session_scope(engine) as session:
        session.execute(update(WebSessionRow).where(col(WebSessionRow.id_hash) == _hash(sid))
                        .values(lang=lang))


def end(engine: Engine, sid: str) -> None:
    """Sign-out: this browser's session ends, on every web process at once."""
    with session_scope(engine) as session:
        session.execute(delete(WebSessionRow).where(col(WebSessionRow.id_hash) == _hash(sid)))


def end_all(session: Session, person_id: int) -> int:
    """Every session of the person ends (removal, unlinking); how many there were."""
    result = session.execute(delete(WebSessionRow).where(
        col(WebSessionRow.person_id) == person_id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def prune(engine: Engine, now: datetime) -> None:
    with session_scope(engine) as session:
        session.execute(delete(WebSessionRow).where(col(WebSessionRow.expires_at) <= now))

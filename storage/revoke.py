"""Ending a person's access at once: chat links, web sessions, open credentials.

Used by `verwijder` (chat and web), by an import that moves someone to the
archive team, and by `ketenbot unlink`.
"""

from __future__ import annotations

from sqlalchemy import delete, update
from sqlmodel import Session, col

from storage import web_sessions
from storage.models import ChatIdentity, DirectoryVersion
from storage.tables import LinkCode
from storage.web_tables import WebLogin


def revoke_access(session: Session, person_id: int) -> None:
    """No chat account, web session, sign-in link or link code of theirs works
    after this transaction commits."""
    session.execute(delete(ChatIdentity).where(col(ChatIdentity.person_id) == person_id))
    links_changed(session)
    web_sessions.end_all(session, person_id)
    session.execute(delete(LinkCode).where(col(LinkCode.person_id) == person_id,
                                           col(LinkCode.used_at).is_(None)))
    session.execute(delete(WebLogin).where(col(WebLogin.person_id) == person_id,
                                           col(WebLogin.used_at).is_(None)))


def links_changed(session: Session) -> None:
    """Tell every process that remembers who a chat account is (the Slack
    runtime's user cache) to look again: the directory version moves."""
    session.execute(update(DirectoryVersion).values(n=DirectoryVersion.n + 1))

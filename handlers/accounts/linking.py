"""Linking a chat account to a directory person.

Telegram is open to anyone, so an account is only linked with a one-time code
that a linked user or an admin hands out. Codes are stored hashed, expire
after 24 hours, work once, and repeated wrong codes are throttled.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from handlers.core import Context, Reply, error
from storage.db import session_scope
from storage.models import ChatIdentity, Person
from storage.tables import LinkAttempt, LinkCode

CODE_TTL = timedelta(hours=24)
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud safely


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


def new_code(engine: Engine, person_id: int, now: datetime) -> str:
    code = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    with session_scope(engine) as session:
        session.add(LinkCode(code_hash=_hash(code), person_id=person_id,
                             expires_at=now + CODE_TTL))
    return code


@dataclass
class LinkResult:
    person: Person | None
    reason: str | None = None  # "throttled", "invalid", "expired", "used"


def redeem(engine: Engine, platform: str, external_id: str, code: str,
           now: datetime) -> LinkResult:
    with session_scope(engine) as session:
        failures = session.exec(select(func.count()).select_from(LinkAttempt).where(
            LinkAttempt.platform == platform, LinkAttempt.external_id == external_id,
            LinkAttempt.at > now - FAILURE_WINDOW)).one()
        if failures >= MAX_FAILURES:
            return LinkResult(None, "throttled")
        row = session.get(LinkCode, _hash(code)) if code.strip() else None
        reason = ("invalid" if row is None else "used" if row.used_at is not None
                  else "expired" if row.expires_at <= now else None)
        if reason or row is None:
            session.add(LinkAttempt(platform=platform, external_id=external_id, at=now))
            return LinkResult(None, reason or "invalid")
        row.used_at = now
        session.add(row)
        person = session.get(Person, row.person_id)
        link(session, platform, external_id, row.person_id)
        return LinkResult(person)


def link(session: Session, platform: str, external_id: str, person_id: int) -> None:
    """(Re)point a chat account at a person; one account, one person."""
    existing = session.exec(select(ChatIdentity).where(
        ChatIdentity.platform == platform, ChatIdentity.external_id == external_id)).first()
    if existing:
        existing.person_id = person_id
        session.add(existing)
    else:
        session.add(ChatIdentity(platform=platform, external_id=external_id,
                                 person_id=person_id))


def code_command(ctx: Context, _text: str) -> Reply:
    """`koppelcode`: a linked user gets a code to link another chat account."""
    assert ctx.actor is not None and ctx.actor.id is not None
    code = new_code(ctx.engine, ctx.actor.id, ctx.clock())
    return Reply("link_code", {"code": code, "hours": int(CODE_TTL.total_seconds() // 3600)})


def link_failed(reason: str) -> Reply:
    return error(f"link_{reason}")

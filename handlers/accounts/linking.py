"""Linking a chat account to a directory person, and unlinking it.

Telegram is open to anyone, so an account is only linked with a one-time code
that a linked user or an admin hands out. Codes are stored hashed, expire
after 24 hours, and work once: one UPDATE claims a code, so of sixteen
accounts racing with it exactly one wins. Wrong codes are counted per account
(storage/throttle.py, one atomic statement) and lock it after five.

A person has at most one account per platform: a new link replaces the old.
Every new link is announced on the person's other platforms and on the new
account itself, with how to undo it (`ontkoppel`), so a takeover is seen.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import uuid4

from sqlalchemy import Engine, delete, update
from sqlmodel import Session, col, or_, select

from handlers.core import Context, Reply, error
from storage import throttle, web_sessions
from storage.db import session_scope
from storage.models import ChatIdentity, Person, is_active, still_active
from storage.outbox import enqueue
from storage.revoke import links_changed, revoke_access
from storage.tables import LinkCode

CODE_TTL = timedelta(hours=24)
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
# `koppelcode` per person: enough to link a second device, too few to farm codes.
MAX_CODES, CODES_WINDOW = 5, timedelta(hours=1)
PLATFORMS = ("slack", "telegram", "teams")
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
    replaced: str | None = None  # the person's previous account on this platform


def redeem(engine: Engine, platform: str, external_id: str, code: str, now: datetime,
           announce_here: bool = False) -> LinkResult:
    """Link the account with `code`. `announce_here`: also tell the new account
    by a direct message (where the answer itself is not one, as in Slack)."""
    attempts = f"link:{platform}:{external_id}"
    # Counted before the code is looked at: the sixth of sixteen concurrent
    # guesses is refused like the sixteenth.
    if not throttle.hit(engine, attempts, now, MAX_FAILURES, FAILURE_WINDOW):
        return LinkResult(None, "throttled")
    code_hash = _hash(code) if code.strip() else ""
    with session_scope(engine) as session:
        claimed = session.execute(
            update(LinkCode)
            .where(col(LinkCode.code_hash) == code_hash, col(LinkCode.used_at).is_(None),
                   col(LinkCode.expires_at) > now)
            .values(used_at=now)
            .returning(col(LinkCode.person_id))).first()
        person = session.get(Person, int(claimed[0])) if claimed else None
        if person is None or person.id is None or not is_active(session, person):
            row = session.get(LinkCode, code_hash) if code_hash and not claimed else None
            reason = ("invalid" if row is None else "used" if row.used_at is not None
                      else "expired")
            session.rollback()  # a code of a removed person stays unused, and useless
            return LinkResult(None, reason)
        replaced = link(session, platform, external_id, person.id)
        if replaced != external_id:  # a new link, not the same one again
            announce(session, person.id, platform, replaced, now, here=announce_here)
        session.expunge(person)
    throttle.reset(engine, attempts)
    return LinkResult(person, replaced=replaced if replaced != external_id else None)


def link(session: Session, platform: str, external_id: str, person_id: int) -> str | None:
    """(Re)point a chat account at a person: one account, one person, and one
    account per person per platform. Returns the person's account on this
    platform before (None: there was none; `external_id`: nothing changed)."""
    before = session.exec(select(ChatIdentity.external_id).where(
        ChatIdentity.person_id == person_id, ChatIdentity.platform == platform)).first()
    if before == external_id:
        return before
    # The person's old account on this platform, and whoever had this account:
    # both go, then the one row is written. (On the connection: through the ORM
    # session psycopg may report no row count.)
    session.flush()
    gone = session.connection().execute(delete(ChatIdentity).where(
        col(ChatIdentity.platform) == platform,
        or_(col(ChatIdentity.person_id) == person_id,
            col(ChatIdentity.external_id) == external_id)))
    if gone.rowcount:  # an account now stands for someone else, or for nobody
        links_changed(session)
    session.add(ChatIdentity(platform=platform, external_id=external_id, person_id=person_id))
    session.flush()
    return before


def announce(session: Session, person_id: int, platform: str, replaced: str | None,
             now: datetime, here: bool) -> None:
    """Tell the person on every other linked platform (and, `here`, on the new
    account) that an account was linked, and how to undo it."""
    others = session.exec(select(ChatIdentity.platform).where(
        ChatIdentity.person_id == person_id, ChatIdentity.platform != platform)).all()
    targets = [(p, "account_linked_elsewhere") for p in others]
    if here:
        targets.append((platform, "account_linked"))
    for target, template in targets:
        enqueue(session, dedupe_key=f"linked:{person_id}:{target}:{uuid4().hex}",
                kind="notice", template=template, now=now, deliver_after=now,
                person_id=person_id,
                payload={"only": target, "platform": platform, "replaced": replaced is not None})


def unlink(engine: Engine, person_id: int, platform: str | None) -> list[str]:
    """Take the person's account on `platform` (None: every one) off, and end
    their web sessions and open sign-in links; the platforms unlinked."""
    with session_scope(engine) as session:
        where = [col(ChatIdentity.person_id) == person_id]
        if platform is not None:
            where.append(col(ChatIdentity.platform) == platform)
        gone = list(session.exec(select(ChatIdentity.platform).where(*where)).all())
        if platform is None:
            revoke_access(session, person_id)
        else:
            session.execute(delete(ChatIdentity).where(*where))
            links_changed(session)
            web_sessions.end_all(session, person_id)
    return sorted(gone)


def code_command(ctx: Context, _text: str) -> Reply:
    """`koppelcode`: a linked user gets a code to link another chat account."""
    assert ctx.actor is not None and ctx.actor.id is not None
    with Session(ctx.engine) as session:
        if not still_active(session, ctx.actor.id):  # removed a moment ago (a cached identity)
            return error("not_linked")
    if not throttle.hit(ctx.engine, f"koppelcode:{ctx.actor.id}", ctx.clock(), MAX_CODES,
                        CODES_WINDOW):
        return error("too_many", minutes=int(CODES_WINDOW.total_seconds() // 60))
    code = new_code(ctx.engine, ctx.actor.id, ctx.clock())
    return Reply("link_code", {"code": code, "hours": int(CODE_TTL.total_seconds() // 3600)})


def unlink_command(ctx: Context, text: str) -> Reply:
    """`ontkoppel [slack|telegram|teams|alle]`: without a word, the account typed on."""
    assert ctx.actor is not None and ctx.actor.id is not None
    word = text.strip().casefold()
    platform: str | None
    if word in ("alle", "all"):
        platform = None
    elif word in PLATFORMS:
        platform = word
    elif not word and ctx.platform in PLATFORMS:
        platform = ctx.platform
    else:
        return error("unlink_usage")
    gone = unlink(ctx.engine, ctx.actor.id, platform)
    return Reply("unlinked", {"platforms": gone, "all": platform is None})


def link_failed(reason: str) -> Reply:
    return error(f"link_{reason}")

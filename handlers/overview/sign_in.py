"""One-time sign-in links for the overview page, asked for in chat with `overzicht`.

The link carries a random token; only its sha256 is stored. It works once and
expires after LINK_TTL. Who gets no overview (see handlers/overview/visibility.py)
gets no link either.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, update
from sqlmodel import Session, col

from handlers.contacts.web_forms import may_administer
from handlers.core import Context, Reply, error
from handlers.overview.visibility import access_for
from storage import throttle
from storage.db import session_scope
from storage.models import Person, still_active
from storage.web_tables import DigestOptOut, WebLogin

LINK_TTL = timedelta(minutes=15)
# Sign-in links per person: a few to recover from a lost one, not a stream of credentials.
MAX_LINKS, LINKS_WINDOW = 5, timedelta(minutes=15)


@dataclass(frozen=True)
class WebSettings:
    """The overview's settings, read with every other one by `bot.config.Settings`
    (KETENBOT_WEB_*) and handed down: handlers do not read the environment.
    base_url: where people reach `ketenbot serve` (links in chat); secret: signs
    the session cookie; secure_cookie: force `Secure` when TLS ends before the app."""

    base_url: str = "http://localhost:8000"
    secret: str | None = None
    secure_cookie: bool = False
    session_hours: int = 8


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_link_token(engine: Engine, person_id: int, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    with session_scope(engine) as session:
        session.add(WebLogin(token_hash=_hash(token), person_id=person_id, created_at=now,
                             expires_at=now + LINK_TTL))
    return token


def redeem_link_token(engine: Engine, token: str, now: datetime) -> int | None:
    """The person the token signs in, once; None for unknown, used or expired tokens.

    One UPDATE claims it, so two requests racing with the same link cannot both win.
    """
    if not token or len(token) > 100:
        return None
    with session_scope(engine) as session:
        claimed = session.execute(
            update(WebLogin)
            .where(col(WebLogin.token_hash) == _hash(token), col(WebLogin.used_at).is_(None),
                   col(WebLogin.expires_at) > now)
            .values(used_at=now)
            .returning(col(WebLogin.person_id))
        ).first()
    return int(claimed[0]) if claimed else None


def overview_command(ctx: Context, _text: str) -> Reply:
    """`overzicht`: a private reply with a one-time sign-in link."""
    assert ctx.actor is not None and ctx.actor.id is not None
    with Session(ctx.engine) as session:
        # Contactbeheerders sign in for the contacts page even without a case view.
        allowed = still_active(session, ctx.actor.id) and (
            access_for(session, ctx.actor) is not None or may_administer(session, ctx.actor))
    if not allowed:
        return Reply("overview_refused", {"code": "no_access"}, ok=False)
    if not throttle.hit(ctx.engine, f"overzicht:{ctx.actor.id}", ctx.clock(), MAX_LINKS,
                        LINKS_WINDOW):
        return error("too_many", minutes=int(LINKS_WINDOW.total_seconds() // 60))
    token = new_link_token(ctx.engine, ctx.actor.id, ctx.clock())
    url = f"{ctx.web_base_url.rstrip('/')}/overzicht/login/{token}"
    return Reply("overview_link", {"url": url,
                                   "minutes": int(LINK_TTL.total_seconds() // 60)})


def digest_command(ctx: Context, text: str) -> Reply:
    """`samenvatting uit|aan`: opt out of (or back into) the scheduled digests."""
    assert ctx.actor is not None and ctx.actor.id is not None
    word = text.strip().casefold()
    if word not in ("uit", "aan", "off", "on"):
        return Reply("overview_refused", {"code": "digest_usage"}, ok=False)
    off = word in ("uit", "off")
    with session_scope(ctx.engine) as session:
        row = session.get(DigestOptOut, ctx.actor.id)
        if off and row is None:
            session.add(DigestOptOut(person_id=ctx.actor.id, at=ctx.clock()))
        elif not off and row is not None:
            session.delete(row)
    return Reply("digest_setting", {"off": off})


def opted_out(session: Session, person_ids: list[int]) -> set[int]:
    from sqlmodel import select

    return set(session.exec(select(DigestOptOut.person_id).where(
        col(DigestOptOut.person_id).in_(person_ids))).all())


def person(session: Session, person_id: int) -> Person | None:
    return session.get(Person, person_id)

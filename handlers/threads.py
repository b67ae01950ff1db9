"""Where a referral lives on each chat platform.

A referral is posted in the channel (Slack, Teams) or group (Telegram) of the
jeugdbeschermer's team, and also in the lokaal team's when that team works on
another platform: each party sees it in their own place.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from handlers.referrals.flow import summary
from handlers.referrals.membership import resolve
from scheduling.routes import Routes
from storage.models import Person, Team
from storage.tables import Referral, ReferralThread


def root_summary(session: Session, ref: Referral, routes: Routes, today: date) -> dict[str, Any]:
    """What a thread's root message shows (the `root` template's data): the
    referral's current step, its term, and who must act now."""
    route = routes.route(ref.route)
    data = summary(session, ref, route)
    step = route.step(ref.step)
    data["actors"] = ([p.name for p in resolve(session, ref, step.actor, today)]
                      if ref.status == "open" else [])
    return data


def home_channel(session: Session, ref: Referral, platform: str) -> str | None:
    """The channel this referral belongs in on `platform`, or None."""
    existing = session.exec(select(ReferralThread).where(
        ReferralThread.referral_id == ref.id, ReferralThread.platform == platform)).first()
    if existing:
        return existing.channel
    for pid in (ref.jb_id, ref.lt_id):
        person = session.get(Person, pid) if pid else None
        team = session.get(Team, person.team_id) if person else None
        channel = _channel(team, platform) if team else None
        if channel:
            return channel
    return None


def _channel(team: Team, platform: str) -> str | None:
    if platform == "slack":
        return team.slack_channel
    if platform == "telegram":
        return team.telegram_chat
    if platform == "teams":
        return team.teams_channel
    return None


def thread_or_home(engine: Any, referral_id: int,
                   platform: str) -> tuple[ReferralThread | None, str | None]:
    """The referral's thread on `platform` (detached), or else the channel it
    belongs in there (None: it has none on that platform)."""
    with Session(engine) as session:
        existing = thread_of(session, referral_id, platform)
        if existing is not None:
            session.expunge(existing)
            return existing, None
        ref = session.get(Referral, referral_id)
        return None, home_channel(session, ref, platform) if ref else None


def thread_of(session: Session, referral_id: int, platform: str) -> ReferralThread | None:
    return session.exec(select(ReferralThread).where(
        ReferralThread.referral_id == referral_id, ReferralThread.platform == platform)).first()


def root_digest(*shown: Any) -> str:
    """A digest of what a root message shows (text, buttons): equal digests, no edit."""
    data = json.dumps(shown, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()


def remember_root(session: Session, referral_id: int, platform: str, digest: str) -> None:
    """Record what the referral's root on `platform` shows now."""
    session.execute(update(ReferralThread)
                    .where(col(ReferralThread.referral_id) == referral_id,
                           col(ReferralThread.platform) == platform)
                    .values(root_hash=digest))


def said_by_root(engine: Any, template: str, payload: dict[str, Any], referral_id: int) -> bool:
    """A root posted just now shows the current step: a line announcing that
    same step would only repeat it."""
    if template != "thread_step":
        return False
    with Session(engine) as session:
        ref = session.get(Referral, referral_id)
        return ref is not None and ref.step == payload.get("step_key")

"""Tell a person when someone (or a referral's thread) cannot be reached.

Called by the dispatcher in the transaction that marks a row dead after a
permanent failure (blocked bot, deleted channel, deactivated account). Who can
act: the referral's own thread hears that X is unreachable on that platform,
and the team leader of the referral's sender (the jeugdbeschermer who made
it) gets a message; when the thread itself is gone, the jeugdbeschermer and
their team leader are told. Without a referral, the recipient's own team
leader is told. Each notice is queued once per referral, person and platform
(dedupe key), so a burst of dead rows tells nobody twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from storage.models import Person, Role
from storage.outbox import enqueue
from storage.tables import Outbox, Referral

PLATFORM_NAMES = {"slack": "Slack", "telegram": "Telegram", "teams": "Microsoft Teams",
                  "console": "de console"}


def notify(session: Session, row: Outbox, reason: str, platform: str, now: datetime) -> int:
    """Queue the notices about dead `row`; how many were queued."""
    ref = session.get(Referral, row.referral_id) if row.referral_id is not None else None
    whom = session.get(Person, row.person_id) if row.person_id is not None else None
    payload = {"ref": ref.ref if ref else None, "name": whom.name if whom else None,
               "platform": PLATFORM_NAMES.get(platform, platform),
               "why": _why(reason)}
    target = f"p{whom.id}" if whom else "thread"
    base = f"unreach:{row.referral_id or '-'}:{target}:{platform}"
    queued = 0
    if whom is not None and ref is not None:  # the referral's thread hears it
        queued += enqueue(session, dedupe_key=f"{base}:thread", kind="unreachable",
                          template="thread_unreachable", payload=payload, now=now,
                          deliver_after=now, referral_id=ref.id)
    told: list[Person] = []
    if ref is not None:
        jb = session.get(Person, ref.jb_id)
        if whom is None and jb is not None:
            told.append(jb)
        told += _team_leaders(session, jb)
    else:
        told += _team_leaders(session, whom)
    for person in told:
        if whom is not None and person.id == whom.id:
            continue  # not the one we cannot reach
        queued += enqueue(session, dedupe_key=f"{base}:to{person.id}", kind="unreachable",
                          template="unreachable", payload=payload | {"recipient": person.name},
                          now=now, deliver_after=now, person_id=person.id,
                          referral_id=ref.id if ref else None)
    return queued


def _team_leaders(session: Session, person: Person | None) -> list[Person]:
    if person is None:
        return []
    return list(session.exec(select(Person).where(
        Person.team_id == person.team_id, Person.role == Role.TEAMLEIDER.value)
        .order_by(col(Person.id))).all())


def _why(reason: str) -> str:
    """The reason as a word the templates know: blocked, gone, or other."""
    low = reason.lower()
    if any(w in low for w in ("blocked", "deactivated", "account_inactive", "user_disabled",
                              "user_not_found", "kicked", "forbidden")):
        return "blocked"
    if any(w in low for w in ("channel_not_found", "not_in_channel", "is_archived",
                              "chat not found", "thread not found", "topic")):
        return "gone"
    return "other"

"""Everyone keeps their own entry: `ik`, `afwezig`, `terug`, `koppelgenoot`.

`ik` shows my entry (with buttons on Slack and Telegram); `ik klopt` confirms
it, `ik telefoon NUMMER` changes my phone. Absence has an end date and ends by
itself: lookups and new assignments compare it with today. A koppelgenoot is
proposed by one and confirmed by the other. Team leaders and the region's
contactbeheerders may do the same for someone else by adding an e-mail address.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, col, select

from handlers.contacts.permissions import (
    authority,
    changed,
    check_edit,
    me,
    must_find,
    refuse,
    regions_of_team,
    steun_of,
)
from handlers.core import Context, Reply
from scheduling.party_directory import is_absent
from storage.contact_tables import DEFAULT_FREQUENCY_DAYS, KoppelProposal
from storage.db import session_scope
from storage.directory.records import PHONE_RE
from storage.models import Organisation, Person, Role, Team
from storage.outbox import enqueue

MAX_ABSENCE = timedelta(days=366)
_DMY = re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4})$")
YES, NO = ("ja", "yes", "akkoord"), ("nee", "no")


# The buttons under one's own entry: each stands for the chat command it runs
# for whoever pressed it (so nobody presses on someone else's behalf); the
# transports only draw them (bot/slack/contact_blocks.py,
# bot/telegram/contact_keyboard.py).
ENTRY_BUTTONS = {
    "klopt": "ik klopt", "telefoon": "ik telefoon", "afwezig": "afwezig", "terug": "terug",
    "koppelgenoot": "koppelgenoot", "koppel_ja": "koppelgenoot ja",
    "koppel_nee": "koppelgenoot nee",
}
# Under a freshness round's question.
FRESHNESS_BUTTONS = ("klopt", "telefoon", "afwezig", "koppelgenoot")


def parse_date(text: str) -> date | None:
    """2027-01-15 or 15-01-2027; None when it is neither."""
    text = text.strip()
    m = _DMY.match(text)
    try:
        if m:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        return date.fromisoformat(text)
    except ValueError:
        return None


def frequency_days(session: Session, person: Person) -> int:
    """The shortest agreed frequency of the regions the person works in."""
    steun = steun_of(session, regions_of_team(session, person.team_id))
    return min((s.frequency_days for s in steun), default=DEFAULT_FREQUENCY_DAYS)


def entry_view(session: Session, ctx: Context, person: Person) -> dict[str, Any]:
    today = ctx.today()
    team = session.get(Team, person.team_id)
    org = session.get(Organisation, team.organisation_id) if team else None
    buddy = session.get(Person, person.koppelgenoot_id) if person.koppelgenoot_id else None
    freq = frequency_days(session, person)
    age = (today - person.verified_on).days if person.verified_on else None
    incoming = session.exec(
        select(Person.name, Person.email).join(KoppelProposal,
                                               col(KoppelProposal.from_id) == Person.id)
        .where(KoppelProposal.to_id == person.id, KoppelProposal.status == "open")).all()
    auth = authority(session, person.team_id)
    absent = person.absent_until if person.absent_until and person.absent_until >= today else None
    return {
        "name": person.name, "email": person.email, "phone": person.phone, "role": person.role,
        "team": team.name if team else "?", "organisation": org.name if org else "?",
        "koppelgenoot": buddy.name if buddy else None,
        "koppelgenoot_email": buddy.email if buddy else None,
        "koppelgenoot_mutual": bool(buddy and buddy.koppelgenoot_id == person.id),
        "absent_until": absent, "verified_on": person.verified_on, "age_days": age,
        "stale": age is None or age > freq, "frequency_days": freq,
        "incoming": [{"name": n, "email": e} for n, e in incoming], "done": None,
        "beheerders": auth.beheerders, "mine": ctx.actor is not None
        and ctx.actor.id == person.id,
        # Which buttons fit (Slack blocks, Telegram inline keyboard).
        "buttons": ["klopt", "telefoon", "terug" if absent else "afwezig", "koppelgenoot"]
        + (["koppel_ja", "koppel_nee"] if incoming else []),
    }


def ik(ctx: Context, text: str) -> Reply:
    words = text.split()
    sub = words[0].casefold() if words else ""
    with session_scope(ctx.engine) as session:
        person = me(session, ctx)
        if sub in ("", "toon", "show"):
            return Reply("contact_entry", entry_view(session, ctx, person))
        if sub in ("klopt", "ok", "confirm"):
            old = person.verified_on
            person.verified_on = ctx.today()
            session.add(person)
            changed(session, ctx, "bevestigd", person, {"verified_on": (old, person.verified_on)})
            return Reply("contact_entry", entry_view(session, ctx, person) | {"done": "klopt"})
        if sub in ("telefoon", "phone"):
            number = " ".join(words[1:])
            if not number:
                return Reply("contact_usage", {"what": "telefoon"})
            if not PHONE_RE.match(number):
                raise refuse("phone_invalid", phone=number[:40])
            old_phone = person.phone
            person.phone, person.verified_on = number, ctx.today()
            session.add(person)
            changed(session, ctx, "telefoon", person, {"phone": (old_phone, number)})
            return Reply("contact_entry", entry_view(session, ctx, person) | {"done": "telefoon"})
        return Reply("contact_usage", {"what": "ik"}, ok=False)


def _subject(session: Session, ctx: Context, words: list[str]) -> Person:
    """The person an edit is about: the e-mail among the words, else me; checked."""
    actor = me(session, ctx)
    emails = [w for w in words if "@" in w]
    subject = must_find(session, emails[0]) if emails else actor
    check_edit(session, actor, subject)
    return subject


def absent(ctx: Context, text: str) -> Reply:
    """`afwezig tot <datum> [e-mail]`"""
    words = [w for w in text.split() if w.casefold() not in ("tot", "until", "t/m")]
    dates = [w for w in words if "@" not in w]
    if len(dates) != 1:
        return Reply("contact_usage", {"what": "afwezig"})
    until = parse_date(dates[0])
    today = ctx.today()
    if until is None:
        raise refuse("date_invalid", value=dates[0][:20])
    if until < today or until > today + MAX_ABSENCE:
        raise refuse("date_range", value=until, today=today)
    with session_scope(ctx.engine) as session:
        subject = _subject(session, ctx, words)
        old = subject.absent_until
        subject.absent_until = until
        session.add(subject)
        changed(session, ctx, "afwezig", subject, {"absent_until": (old, until)})
        cover, names = _cover(session, subject, today)
        buddy = session.get(Person, subject.koppelgenoot_id) if subject.koppelgenoot_id else None
        return Reply("contact_done", {"what": "afwezig", "name": subject.name, "until": until,
                                      "mine": subject.id == ctx.actor.id if ctx.actor else False,
                                      "cover": cover, "cover_names": names,
                                      "buddy": buddy.name if buddy else None})


def _cover(session: Session, subject: Person, today: date) -> tuple[str, list[str]]:
    """Who gets the absent person's work and reminders, as the sweep decides it
    (`scheduling.party_directory`): the koppelgenoot when present, else the
    team's present team leaders, else nobody."""
    buddy = session.get(Person, subject.koppelgenoot_id) if subject.koppelgenoot_id else None
    if buddy is not None and not is_absent(buddy, today):
        return "koppelgenoot", [buddy.name]
    leaders = [p.name for p in session.exec(select(Person).where(
        Person.team_id == subject.team_id, Person.role == Role.TEAMLEIDER,
        Person.id != subject.id).order_by(col(Person.id))) if not is_absent(p, today)]
    return ("teamleider", leaders) if leaders else ("niemand", [])


def back(ctx: Context, text: str) -> Reply:
    """`terug [e-mail]`: the absence ends today."""
    with session_scope(ctx.engine) as session:
        subject = _subject(session, ctx, text.split())
        old = subject.absent_until
        if old is None or old < ctx.today():
            return Reply("contact_done", {"what": "niet_afwezig", "name": subject.name})
        subject.absent_until = None
        session.add(subject)
        changed(session, ctx, "terug", subject, {"absent_until": (old, None)})
        return Reply("contact_done", {"what": "terug", "name": subject.name})


def buddy(ctx: Context, text: str) -> Reply:
    """`koppelgenoot <e-mail>` proposes, `koppelgenoot ja|nee` answers,
    `koppelgenoot <e-mail> <e-mail>` sets two people (team leader, contactbeheerder)."""
    words = text.split()
    if not words:
        return Reply("contact_usage", {"what": "koppelgenoot"})
    with session_scope(ctx.engine) as session:
        actor = me(session, ctx)
        if words[0].casefold() in YES + NO:
            return _answer(session, ctx, actor, words[0].casefold() in YES)
        if len(words) == 2:
            a, b = must_find(session, words[0]), must_find(session, words[1])
            check_edit(session, actor, a)
            check_edit(session, actor, b)
            if a.id == b.id:
                raise refuse("buddy_self")
            if a.team_id != b.team_id:  # as for a proposal: koppelgenoten share a team
                raise refuse("buddy_team", other=b.name)
            _pair(session, ctx, a, b)
            return Reply("contact_done", {"what": "gekoppeld", "name": a.name, "other": b.name})
        other = must_find(session, words[0])
        if other.id == actor.id:
            raise refuse("buddy_self")
        if other.team_id != actor.team_id:
            raise refuse("buddy_team", other=other.name)
        if session.exec(select(KoppelProposal).where(
                KoppelProposal.from_id == actor.id, KoppelProposal.to_id == other.id,
                KoppelProposal.status == "open")).first() is not None:
            # Asked already: no second message, the first one still stands.
            return Reply("contact_done", {"what": "voorgesteld", "name": actor.name,
                                          "other": other.name})
        proposal = KoppelProposal(from_id=actor.id or 0, to_id=other.id or 0,
                                  created_at=ctx.clock())
        session.add(proposal)
        session.flush()
        changed(session, ctx, "koppelgenoot_voorstel", actor, None, aan=other.email)
        enqueue(session, dedupe_key=f"koppel:{proposal.id}", kind="contact",
                template="koppel_proposal", payload={"from_name": actor.name,
                                                     "from_email": actor.email},
                now=ctx.clock(), deliver_after=ctx.work_hours.next_open(ctx.clock()),
                person_id=other.id)
        return Reply("contact_done", {"what": "voorgesteld", "name": actor.name,
                                      "other": other.name})


def _answer(session: Session, ctx: Context, actor: Person, yes: bool) -> Reply:
    proposal = session.exec(select(KoppelProposal).where(
        KoppelProposal.to_id == actor.id, KoppelProposal.status == "open")
        .order_by(col(KoppelProposal.id).desc())).first()
    if proposal is None:
        raise refuse("no_proposal")
    proposer = session.get(Person, proposal.from_id)
    assert proposer is not None
    if proposer.team_id != actor.team_id:
        raise refuse("buddy_team", other=proposer.name)
    proposal.status = "accepted" if yes else "declined"
    session.add(proposal)
    if not yes:
        changed(session, ctx, "koppelgenoot_afgewezen", actor, None, van=proposer.email)
        return Reply("contact_done", {"what": "afgewezen", "name": actor.name,
                                      "other": proposer.name})
    _pair(session, ctx, proposer, actor)
    return Reply("contact_done", {"what": "gekoppeld", "name": actor.name, "other": proposer.name})


def _pair(session: Session, ctx: Context, a: Person, b: Person) -> None:
    """Make a and b each other's koppelgenoot; their former partners lose the link."""
    if a.id == b.id:
        raise refuse("buddy_self")
    if a.team_id != b.team_id:
        raise refuse("buddy_team", other=b.name)
    for p, q in ((a, b), (b, a)):
        old = session.get(Person, p.koppelgenoot_id) if p.koppelgenoot_id else None
        if old is not None and old.id != q.id and old.koppelgenoot_id == p.id:
            old.koppelgenoot_id = None
            session.add(old)
            changed(session, ctx, "koppelgenoot", old, {"koppelgenoot": (p.email, None)})
        if p.koppelgenoot_id != q.id:
            p.koppelgenoot_id = q.id
            session.add(p)
            changed(session, ctx, "koppelgenoot", p,
                    {"koppelgenoot": (old.email if old else None, q.email)})

"""The check every referral command starts with: which referral, and is the actor
a party to it. Below the command modules, so they share it without importing
each other."""

from __future__ import annotations

import re

from sqlalchemy import func
from sqlmodel import Session, col, select

from handlers.core import Context, Refused, error
from handlers.referrals.membership import parties_of
from storage.models import Organisation, Person, Team
from storage.tables import Referral

# KB-0001 (a referral), JT-0002 (a tafel case), OV-0003 (a handover): one
# numbering, so a bare number still names one case.
REF_RE = re.compile(r"^(?:(KB|JT|OV)-?)?(\d{1,8})$", re.IGNORECASE)


def org_kind(session: Session, person: Person) -> str | None:
    team = session.get(Team, person.team_id)
    org = session.get(Organisation, team.organisation_id) if team else None
    return org.kind if org else None


def open_case(session: Session, actor: Person, kenmerk: str, gemeente_id: int,
              routes: tuple[str, ...]) -> Referral | None:
    """The actor's organisation's open case of these routes with this kenmerk in
    the gemeente. A kenmerk is an organisation's own case reference: another
    organisation's case with the same kenmerk is not theirs to learn of, so the
    answer for it is the one for a kenmerk nobody used."""
    team = session.get(Team, actor.team_id)
    return session.exec(
        select(Referral).join(Person, col(Person.id) == Referral.jb_id)
        .join(Team, col(Team.id) == Person.team_id)
        .where(func.lower(Referral.kenmerk) == kenmerk.lower(),
               col(Referral.route).in_(routes),
               Referral.gemeente_id == gemeente_id, Referral.status == "open",
               Team.organisation_id == (team.organisation_id if team else -1))).first()


def case_named(session: Session, ctx: Context, word: str) -> Referral | None:
    """The case a reference names (KB-…, JT-…, OV-… or a bare number), or None;
    a prefix must fit the case's process (JT-0001 names no referral KB-0001)."""
    m = REF_RE.match(word)
    if not m:
        return None
    ref = session.exec(select(Referral).where(Referral.id == int(m.group(2)))).first()
    if ref is not None and m.group(1) and ref.route not in ctx.routes.by_prefix(m.group(1)):
        return None
    return ref


def guard(session: Session, ctx: Context, text: str, need_open: bool = True
           ) -> tuple[Referral, set[str]]:
    """The referral named first in `text` and the actor's parties on it.

    Raises Refused (answered by the registry, nothing written) when the
    reference is malformed or unknown, the actor is no party, or it is closed.
    """
    m = REF_RE.match(text.split()[0]) if text.split() else None
    if not m:
        raise Refused(error("ref_usage"))
    ref = case_named(session, ctx, m.group(0))
    if ref is None:
        raise Refused(error("ref_unknown", ref=text.split()[0][:20]))
    assert ctx.actor is not None
    parties = parties_of(session, ref, ctx.actor)
    if not parties:
        raise Refused(error("not_party", ref=ref.ref))
    if need_open and ref.status != "open":
        raise Refused(error("referral_closed", ref=ref.ref, status=ref.status))
    return ref, parties

"""What a tafel case's or a handover's message shows: the referral's view, and
what the process recorded (the date, the outcome, the verslag, the evaluation)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from handlers.core import Context, Reply
from handlers.referrals.membership import PROCESS_KINDS, resolve
from handlers.referrals.view import status_view
from storage.tables import Deadline, Referral, ReferralEvent

# The four outcomes in the seed's words ("Uitkomsten van de Jeugdbeschermingstafel").
OUTCOMES = ("1", "2", "3", "4")
# The three decisions the tafel always takes: recorded as taken or not, no content.
DECISIONS = ("route", "hulp", "veiligheid")


def latest(session: Session, ref: Referral, action: str) -> ReferralEvent | None:
    return session.exec(select(ReferralEvent).where(
        ReferralEvent.referral_id == ref.id, ReferralEvent.action == action,
    ).order_by(col(ReferralEvent.id).desc())).first()


def tafel_view(session: Session, ctx: Context, ref: Referral,
               headline: str | None, **extra: Any) -> dict[str, Any]:
    data = status_view(session, ctx, ref, headline)
    kind = PROCESS_KINDS.get(ref.route, "verwijzing")
    registered = latest(session, ref, "tafel_aangemeld")
    planned = latest(session, ref, "tafel_gepland")
    outcome = latest(session, ref, "tafel_uitkomst")
    family = latest(session, ref, "ov_gezin")
    evaluation = session.exec(select(Deadline).where(
        Deadline.referral_id == ref.id, Deadline.key == "moment:evaluatie",
        Deadline.status == "pending")).first()
    n_reactions = len(session.exec(select(ReferralEvent.id).where(
        ReferralEvent.referral_id == ref.id, ReferralEvent.action == "tafel_reactie")).all())
    today = ctx.today()
    return data | {
        "kind": kind,
        "ots_einde": bool(registered and registered.detail.get("ots_einde")),
        "voorzitters": [p.name for p in resolve(session, ref, "jbt_voorzitter", today)]
        if kind == "tafel" else [],
        "planned_on": planned.detail.get("datum") if planned else None,
        "planned_late": bool(planned and planned.detail.get("te_laat")),
        "outcome": outcome.detail.get("uitkomst") if outcome else None,
        "decided": [k for k in DECISIONS if outcome and outcome.detail.get(k) == "ja"],
        "undecided": [k for k in DECISIONS if outcome and outcome.detail.get(k) == "nee"],
        "verslag_sent": latest(session, ref, "tafel_verslag") is not None,
        "reactions": n_reactions,
        # The day it was set for (its reminder's day; due at that day's end).
        "evaluation_on": evaluation.remind_at.astimezone(ctx.calendar.tz).date().isoformat()
        if evaluation and evaluation.remind_at else None,
        "ontvanger": data["lokaal_team"] if kind == "overdracht" else None,
        "family": family.detail.get("antwoord") if family else None,
        "aanmelder": data["jeugdbeschermer"],
    } | extra


def case_reply(session: Session, ctx: Context, ref: Referral, headline: str | None,
               private: bool = True) -> Reply:
    """The reply about any case: a referral's view, or a tafel case's or handover's."""
    if ref.route in PROCESS_KINDS:
        return Reply("tafel", tafel_view(session, ctx, ref, headline), private=private)
    return Reply("referral", status_view(session, ctx, ref, headline), private=private)

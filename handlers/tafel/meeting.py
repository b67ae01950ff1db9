"""The tafel's own moves: `gepland`, `uitkomst`, `verslag`, `reactie`, `evaluatie`.

Each is the voorzitter's (the process data says who may complete a step); none
carries content: the date, the outcome's number, yes/no per decision. The
verzoek, the verslag and the reaction themselves stay outside the chat.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from sqlmodel import Session

from handlers.contacts.selfservice import parse_date
from handlers.core import Context, Refused, Reply, error
from handlers.referrals.flow import (
    enter_step,
    finish,
    notify_person,
    notify_thread,
    record,
    settle,
)
from handlers.referrals.guard import guard
from handlers.referrals.membership import resolve
from handlers.tafel.view import DECISIONS, OUTCOMES, latest, tafel_view
from scheduling.deadlines import due_at
from scheduling.routes import Route, Step
from storage.db import session_scope
from storage.tables import Deadline, Referral
from storage.tafels import neighbour_tafels

YES_NO = {"ja": True, "yes": True, "nee": False, "no": False}
DECISION_WORDS = {"route": "route", "hulp": "hulp", "help": "hulp",
                  "veiligheid": "veiligheid", "safety": "veiligheid"}
FURTHEST = timedelta(days=366)  # a date further out is a typo


def _tafel(session: Session, ctx: Context, text: str, action: str, need_open: bool = True
           ) -> tuple[Referral, Route]:
    """The JT named first, its process, and the check that the actor may do `action`."""
    ref, parties = guard(session, ctx, text, need_open=need_open)
    process = ctx.routes.route(ref.route)
    if process.kind != "tafel":
        raise Refused(error("tafel_not_tafel", ref=ref.ref, action=action))
    if ref.status == "withdrawn":
        raise Refused(error("referral_closed", ref=ref.ref, status=ref.status))
    if "jbt_voorzitter" not in parties:
        raise Refused(error("not_allowed", ref=ref.ref, action=action, who=["jbt_voorzitter"]))
    return ref, process


DAY_MONTH = re.compile(r"^(\d{1,2})-(\d{1,2})$")


def planned_date(text: str, today: date) -> date | None:
    """`15-12` (the next 15 December), `15-12-2026` or `2026-12-15`; None otherwise."""
    m = DAY_MONTH.match(text.strip())
    if not m:
        return parse_date(text)
    day, month = int(m.group(1)), int(m.group(2))
    for year in (today.year, today.year + 1):
        try:
            found = date(year, month, day)
        except ValueError:
            return None
        if found >= today:
            return found
    return None


def _date(ctx: Context, words: list[str], usage: str, ref: Referral) -> date:
    value = planned_date(words[0], ctx.today()) if len(words) == 1 else None
    if value is None:
        raise Refused(error(usage, ref=ref.ref, value=" ".join(words)[:20] or None))
    today = ctx.today()
    if value < today or value > today + FURTHEST:
        raise Refused(error("tafel_date_range", ref=ref.ref, value=value, today=today))
    return value


def _neighbours(session: Session, ref: Referral) -> list[str]:
    return [o.name for o in neighbour_tafels(session, ref.gemeente_id)]


def scheduled(ctx: Context, text: str) -> Reply:
    """`gepland <JT> <datum>`: the tafel's date. Past the term (two weeks from the
    aanmelding), the gemeente's eerste aanspreekpersoon is told at once and the
    reply names the neighbouring tafel that may have room; nothing goes further."""
    with session_scope(ctx.engine) as session:
        ref, process = _tafel(session, ctx, text, "gepland")
        step = process.step(ref.step)
        first = process.steps[0]
        meeting = process.after(first)
        assert meeting is not None  # the tafel's own conversation (routes.yaml)
        if step.key not in (first.key, meeting.key):  # a new date is fine until the outcome
            return error("wrong_action", ref=ref.ref, action="gepland",
                         expected=step.done_by.action, step=step.number)
        on = _date(ctx, text.split()[1:], "tafel_date_usage", ref)
        assert first.term is not None
        term_end = due_at(ctx.calendar, ref.created_at, first.term)
        last_day = (term_end - timedelta(microseconds=1)).astimezone(ctx.calendar.tz).date()
        late = on > last_day
        assert ctx.actor is not None
        event = record(session, ctx, ref, "tafel_gepland", ctx.actor, datum=on.isoformat(),
                       te_laat=True if late else None)
        if step.key == first.key:
            enter_step(session, ctx, ref, process, meeting, ctx.actor)
        else:
            notify_thread(session, ctx, ref, process, f"replanned:{event.id}",
                          "thread_tafel", what="gepland", planned_on=on.isoformat())
        neighbours = _neighbours(session, ref) if late else []
        if late:
            for party in first.late_inform:
                for person in resolve(session, ref, party, ctx.today()):
                    notify_person(session, ctx, ref, process, person,
                                  f"tafel-late:{event.id}:{person.id}", "tafel_late",
                                  party=party, planned_on=on.isoformat(),
                                  term_end=last_day.isoformat(), neighbours=neighbours,
                                  note_nl=first.late_note.nl if first.late_note else None,
                                  note_en=first.late_note.en if first.late_note else None)
        return Reply("tafel", tafel_view(session, ctx, ref, "gepland", neighbours=neighbours,
                                         term_end=last_day.isoformat()), private=False)


def parse_outcome(words: list[str]) -> tuple[str, dict[str, bool]] | None:
    """`2 [route ja|nee] [hulp ja|nee] [veiligheid ja|nee]` -> ("2", decisions).

    The seed: the tafel always decides all three, so an unnamed one was taken;
    the voorzitter says `nee` for one that was not. None: not that shape."""
    if not words or words[0] not in OUTCOMES:
        return None
    decisions = dict.fromkeys(DECISIONS, True)
    rest = [w.casefold().rstrip(",") for w in words[1:]]
    if len(rest) % 2:
        return None
    for key, answer in zip(rest[::2], rest[1::2], strict=True):
        if key not in DECISION_WORDS or answer not in YES_NO:
            return None
        decisions[DECISION_WORDS[key]] = YES_NO[answer]
    return words[0], decisions


def outcome(ctx: Context, text: str) -> Reply:
    """`uitkomst <JT> 1|2|3|4 [route|hulp|veiligheid ja|nee]`: the tafel decided.
    Outcome 3 or 4 (a raadsonderzoek) tells the Raad."""
    with session_scope(ctx.engine) as session:
        ref, process = _tafel(session, ctx, text, "uitkomst")
        step = process.step(ref.step)
        if step.done_by.action != "uitkomst":
            code = "tafel_not_planned" if step.key == process.steps[0].key else "wrong_action"
            return error(code, ref=ref.ref, action="uitkomst", expected=step.done_by.action,
                         step=step.number)
        parsed = parse_outcome(text.split()[1:])
        if parsed is None:
            return error("tafel_outcome_usage", ref=ref.ref)
        number, decisions = parsed
        assert ctx.actor is not None
        event = record(session, ctx, ref, "tafel_uitkomst", ctx.actor, uitkomst=number,
                       **{k: "ja" if v else "nee" for k, v in decisions.items()})
        notify_thread(session, ctx, ref, process, f"outcome:{event.id}", "thread_tafel",
                      what="uitkomst", outcome=number)
        _advance(session, ctx, ref, process, step)
        if number in ("3", "4"):  # a raadsonderzoek: the Raad holds the next move
            for person in resolve(session, ref, "raad", ctx.today()):
                notify_person(session, ctx, ref, process, person,
                              f"tafel-raad:{event.id}:{person.id}", "tafel_party",
                              party="raad", outcome=number)
        return Reply("tafel", tafel_view(session, ctx, ref, "uitkomst"), private=False)


def _advance(session: Session, ctx: Context, ref: Referral, process: Route,
             step: Step) -> None:
    """On to the step the process data names next, or done when there is none
    (the shipped tafel ends with the verslag; an evaluation stays planned)."""
    assert ctx.actor is not None
    nxt = process.after(step)
    if nxt is not None:
        enter_step(session, ctx, ref, process, nxt, ctx.actor)
        return
    finish(session, ctx, ref, "closed", ctx.actor, "afgerond", number=step.number)
    notify_thread(session, ctx, ref, process, f"closed:{ref.id}", "thread_closed")


def report_sent(ctx: Context, text: str) -> Reply:
    """`verslag <JT>`: the verslag went to the parents and the professional (its text
    stays outside the chat); the tafel case is done. An evaluation stays planned."""
    with session_scope(ctx.engine) as session:
        ref, process = _tafel(session, ctx, text, "verslag")
        step = process.step(ref.step)
        if step.done_by.action != "verslag":
            return error("wrong_action", ref=ref.ref, action="verslag",
                         expected=step.done_by.action, step=step.number)
        if len(text.split()) > 1:
            return error("tafel_no_text", ref=ref.ref, action="verslag")
        assert ctx.actor is not None
        record(session, ctx, ref, "tafel_verslag", ctx.actor, number=step.number)
        _advance(session, ctx, ref, process, step)
        for person in resolve(session, ref, "aanmelder", ctx.today()):
            notify_person(session, ctx, ref, process, person, f"tafel-verslag:{ref.id}",
                          "tafel_party", party="aanmelder", verslag=True)
        return Reply("tafel", tafel_view(session, ctx, ref, "verslag"), private=False)


def reaction(ctx: Context, text: str) -> Reply:
    """`reactie <JT>`: the parents or the professional reacted to the verslag, and the
    reaction was added to it (its text stays outside the chat)."""
    with session_scope(ctx.engine) as session:
        ref, _ = _tafel(session, ctx, text, "reactie", need_open=False)
        if latest(session, ref, "tafel_verslag") is None:
            return error("tafel_no_verslag", ref=ref.ref)
        if len(text.split()) > 1:
            return error("tafel_no_text", ref=ref.ref, action="reactie")
        record(session, ctx, ref, "tafel_reactie", ctx.actor)
        return Reply("tafel", tafel_view(session, ctx, ref, "reactie"), private=False)


def evaluation(ctx: Context, text: str) -> Reply:
    """`evaluatie <JT> <datum>`: the voorzitter plans an evaluation moment, after the
    outcome; the voorzitter and the registering professional are reminded that day."""
    with session_scope(ctx.engine) as session:
        ref, process = _tafel(session, ctx, text, "evaluatie", need_open=False)
        if latest(session, ref, "tafel_uitkomst") is None:
            return error("tafel_no_outcome", ref=ref.ref)
        on = _date(ctx, text.split()[1:], "tafel_evaluation_usage", ref)
        settle(session, ref, ["moment:evaluatie"], "cancelled")  # a new date replaces the old
        tz = ctx.calendar.tz
        day_start = datetime.combine(on, time(0), tz)
        remind = ctx.work_hours.next_open(max(day_start, ctx.clock()))
        # Due at the end of the day the reminder goes out: nothing escalates.
        due = datetime.combine(remind.astimezone(tz).date() + timedelta(days=1), time(0), tz)
        session.add(Deadline(referral_id=ref.id or 0, key="moment:evaluatie",
                             step="moment:evaluatie", due_at=due, remind_at=remind,
                             next_check_at=remind, status="pending"))
        record(session, ctx, ref, "tafel_evaluatie", ctx.actor, datum=on.isoformat())
        notify_thread(session, ctx, ref, process, f"evaluation:{ref.id}:{on.isoformat()}",
                      "thread_tafel", what="evaluatie", evaluation_on=on.isoformat())
        return Reply("tafel", tafel_view(session, ctx, ref, "evaluatie"), private=False)

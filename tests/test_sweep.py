"""The deadline sweep: reminders and escalations at the right time, exactly once."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from typing import get_args
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import Engine, event, text
from sqlmodel import Session, col, select

from handlers.referrals.membership import resolve as parties_resolve
from messages.render import Renderer
from scheduling.calendar import Term, WorkCalendar
from scheduling.deadlines import Hours, remind_at
from scheduling.party_directory import Directory
from scheduling.routes import ROUTES_FILE, Party, Routes
from scheduling.sweep import SweepResult, sweep
from storage.models import Gemeente, Organisation, OrgKind, Person, Role, Team, TeamGemeente
from storage.tables import Deadline, Outbox, Referral, ReferralEvent

AMS = ZoneInfo("Europe/Amsterdam")
CAL = WorkCalendar()
HOURS = Hours(CAL, time(8, 30), time(17, 0))


def _two_tier_routes() -> Routes:
    """The shipped routes with a region's own second tier on step 1: the seed
    names one party for a step-1 lapse (the regionale contactpersoon), but the
    sweep's mechanics (several tiers, `after` counted from the lapse, each once)
    are what these tests are about."""
    data = yaml.safe_load(ROUTES_FILE.read_text(encoding="utf-8"))
    data = {k: v for k, v in data.items() if not k.startswith("_")}
    for route in data["routes"].values():
        route["steps"][0]["escalate"] = [
            {"to": ["regionale_contactpersoon", "lt_teamleider"]},
            {"to": ["gi_teamleider"], "after": "2"}]
    return Routes.model_validate(data)


ROUTES = _two_tier_routes()

JEROEN = "jeroen.bakker@jbgld.example.org"
TESS = "tess.visser@jbgld.example.org"
ANOUK = "anouk.jansen@sociaalteam-ede.example.org"  # absent until 2027-01-15
BRAM = "bram.devries@sociaalteam-ede.example.org"
CARLA = "carla.smit@sociaalteam-ede.example.org"
MONIQUE = "monique.peters@regio-foodvalley.example.org"

START = datetime(2026, 11, 24, 10, 0, tzinfo=AMS)  # Tuesday
DUE = CAL.due(START, Term(3, "werkdagen"))  # end of Friday 27 Nov: Sat 28 Nov 00:00
_REMIND = remind_at(CAL, HOURS, START, DUE)
assert _REMIND is not None
REMIND: datetime = _REMIND  # Thursday 26 Nov 08:30


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=AMS)


def pid(engine: Engine, email: str) -> int:
    with Session(engine) as s:
        p = s.exec(select(Person).where(Person.email == email)).one()
        assert p.id is not None
        return p.id


def make_referral(engine: Engine, *, route: str = "301", step: str = "contact",
                  status: str = "open", ref: str = "KB-0001") -> int:
    with Session(engine) as s:
        ede = s.exec(select(Gemeente).where(Gemeente.cbs_code == "GM0228")).one()
        r = Referral(ref=ref, route=route, kenmerk="K-1", gemeente_id=ede.id or 0,
                     status=status, step=step, step_started_at=START,
                     jb_id=pid(engine, JEROEN), lt_id=pid(engine, ANOUK),
                     lt_backup_id=pid(engine, BRAM), created_at=START)
        s.add(r)
        s.commit()
        assert r.id is not None
        return r.id


def make_deadline(engine: Engine, referral_id: int, *, key: str = "step:contact",
                  step: str = "contact", due: datetime = DUE,
                  remind: datetime | None = REMIND, reminded: bool = False,
                  tier: int = 0, status: str = "pending") -> int:
    with Session(engine) as s:
        d = Deadline(referral_id=referral_id, key=key, step=step, due_at=due,
                     remind_at=remind, reminded=reminded, tier=tier, status=status,
                     next_check_at=(remind if remind and not reminded else due))
        s.add(d)
        s.commit()
        assert d.id is not None
        return d.id


def run(engine: Engine, now: datetime) -> SweepResult:
    return sweep(engine, now, routes=ROUTES, calendar=CAL, hours=HOURS)


def outbox(engine: Engine) -> list[Outbox]:
    with Session(engine) as s:
        return list(s.exec(select(Outbox).order_by(col(Outbox.id))).all())


def deadline(engine: Engine, did: int) -> Deadline:
    with Session(engine) as s:
        d = s.get(Deadline, did)
        assert d is not None
        return d


def events(engine: Engine) -> list[ReferralEvent]:
    with Session(engine) as s:
        return list(s.exec(select(ReferralEvent).order_by(col(ReferralEvent.id))).all())


def keys(engine: Engine) -> list[str]:
    return [o.dedupe_key for o in outbox(engine)]


def test_reminder_once_one_werkdag_before(sample_engine: Engine) -> None:
    assert at(2026, 11, 26, 8, 30) == REMIND
    rid = make_referral(sample_engine)
    did = make_deadline(sample_engine, rid)

    assert run(sample_engine, at(2026, 11, 26, 8, 29)) == SweepResult()
    assert outbox(sample_engine) == []

    result = run(sample_engine, REMIND)
    assert (result.reminders, result.escalations, result.claimed) == (1, 0, 1)
    jeroen, bram = pid(sample_engine, JEROEN), pid(sample_engine, BRAM)
    # Anouk (the lokaal-team worker) is absent: her koppelgenoot Bram gets it.
    assert keys(sample_engine) == [f"rem:{did}:{jeroen}", f"rem:{did}:{bram}",
                                   f"rem-thread:{did}"]
    rows = outbox(sample_engine)
    assert [r.person_id for r in rows] == [jeroen, bram, None]
    assert all(r.deliver_after == REMIND and r.referral_id == rid for r in rows)
    assert [r.kind for r in rows] == ["reminder", "reminder", "thread"]
    assert rows[0].payload["party"] == "jeugdbeschermer"
    assert rows[1].payload["party"] == "lokaal_team"
    assert rows[2].payload["recipients"] == ["Jeroen Bakker", "Bram de Vries"]
    d = deadline(sample_engine, did)
    assert d.reminded and d.next_check_at == DUE and d.tier == 0 and d.status == "pending"

    for now in (REMIND, at(2026, 11, 26, 12), at(2026, 11, 27, 23, 59)):
        assert run(sample_engine, now).reminders == 0
    assert len(outbox(sample_engine)) == 3
    assert [e.action for e in events(sample_engine)] == ["herinnering"]
    e = events(sample_engine)[0]
    assert e.actor_id is None and e.platform == "bot" and e.step == "contact"
    assert e.detail["recipients"] == ["Jeroen Bakker", "Bram de Vries"]


def test_lapse_escalates_per_tier_exactly_once(sample_engine: Engine) -> None:
    rid = make_referral(sample_engine)
    did = make_deadline(sample_engine, rid, reminded=True)
    carla, monique, tess = (pid(sample_engine, e) for e in (CARLA, MONIQUE, TESS))

    assert run(sample_engine, at(2026, 11, 27, 23, 59)).escalations == 0
    result = run(sample_engine, DUE)  # Saturday 00:00
    assert (result.escalations, result.dropped_reminders) == (1, 0)
    rows = outbox(sample_engine)
    # Step 1 lapses: the regionale contactpersoon and the LT teamleider (not the RET).
    assert {r.person_id for r in rows if r.kind == "escalation"} == {monique, carla}
    assert {r.dedupe_key for r in rows} == {
        f"esc:{did}:0:{monique}", f"esc:{did}:0:{carla}", f"esc-thread:{did}:0"}
    # Saturday midnight: people hear of it at the start of Monday, the thread at once.
    for r in rows:
        expected = DUE if r.kind == "thread" else at(2026, 11, 30, 8, 30)
        assert r.deliver_after == expected
        assert r.payload["tier"] == 1 and r.payload["bestuurlijk"] is False
    d = deadline(sample_engine, did)
    tier2 = at(2026, 12, 2)  # two werkdagen after the lapse: end of Tue 1 Dec
    assert (d.tier, d.status, d.next_check_at) == (1, "pending", tier2)

    for now in (DUE, at(2026, 11, 28, 10), at(2026, 11, 30, 9), at(2026, 12, 1, 23, 59)):
        assert run(sample_engine, now).escalations == 0
    assert len(outbox(sample_engine)) == 3

    assert run(sample_engine, tier2).escalations == 1
    new = outbox(sample_engine)[3:]
    assert [(r.dedupe_key, r.person_id) for r in new] == [
        (f"esc:{did}:1:{tess}", tess), (f"esc-thread:{did}:1", None)]
    assert new[0].payload["party"] == "gi_teamleider" and new[0].payload["tier"] == 2
    assert new[0].deliver_after == at(2026, 12, 2, 8, 30)
    d = deadline(sample_engine, did)
    assert (d.tier, d.status, d.next_check_at) == (2, "lapsed", None)

    for now in (tier2, at(2026, 12, 3, 10), at(2027, 1, 1)):
        assert run(sample_engine, now) == SweepResult()
    assert len(outbox(sample_engine)) == 5
    ev = events(sample_engine)
    assert [(e.action, e.detail["tier"]) for e in ev] == [("escalatie", 1), ("escalatie", 2)]
    assert sorted(ev[0].detail["recipients"]) == ["Carla Smit", "Monique Peters"]


def test_worker_down_across_lapse_drops_reminder(sample_engine: Engine) -> None:
    rid = make_referral(sample_engine)
    did = make_deadline(sample_engine, rid)  # reminder planned Thursday, never sent
    first = at(2026, 11, 30, 11)  # Monday: back up after the reminder and the lapse

    result = run(sample_engine, first)
    assert (result.reminders, result.dropped_reminders, result.escalations) == (0, 1, 1)
    assert not [k for k in keys(sample_engine) if k.startswith("rem")]
    assert len(keys(sample_engine)) == 3
    assert all(r.deliver_after == first for r in outbox(sample_engine))  # working hours
    assert [e.action for e in events(sample_engine)] == ["herinnering_vervallen", "escalatie"]
    d = deadline(sample_engine, did)
    assert d.reminded and d.tier == 1

    assert run(sample_engine, first) == SweepResult()
    assert len(keys(sample_engine)) == 3


def test_down_past_every_tier_sends_each_once(sample_engine: Engine) -> None:
    rid = make_referral(sample_engine)
    did = make_deadline(sample_engine, rid, reminded=True)
    result = run(sample_engine, at(2026, 12, 7, 9))
    assert result.escalations == 2
    assert sorted(k.split(":")[2] for k in keys(sample_engine) if k.startswith("esc:")) == [
        "0", "0", "1"]
    assert deadline(sample_engine, did).status == "lapsed"
    assert run(sample_engine, at(2026, 12, 8, 9)) == SweepResult()


def test_reminder_queued_but_undelivered_is_dropped_at_lapse(sample_engine: Engine) -> None:
    rid = make_referral(sample_engine)
    did = make_deadline(sample_engine, rid)
    run(sample_engine, REMIND)
    run(sample_engine, DUE)
    status = {o.dedupe_key: o.status for o in outbox(sample_engine)}
    assert all(v == "dropped" for k, v in status.items() if k.startswith(f"rem:{did}:"))
    assert status[f"rem-thread:{did}"] == "pending"
    assert all(v == "pending" for k, v in status.items() if k.startswith("esc"))


def test_night_weekend_lapse_waits_for_working_hours(sample_engine: Engine) -> None:
    cases = [  # (due instant, sweep time, when people may hear of it), in sweep order
        (at(2026, 11, 25), at(2026, 11, 25, 17, 30), at(2026, 11, 26, 8, 30)),  # after hours
        (at(2026, 11, 26), at(2026, 11, 26, 0, 1), at(2026, 11, 26, 8, 30)),  # weekday night
        (at(2026, 11, 28), at(2026, 11, 28), at(2026, 11, 30, 8, 30)),  # Saturday -> Monday
        (at(2026, 12, 25), at(2026, 12, 25, 9), at(2026, 12, 28, 8, 30)),  # Christmas
    ]
    ids = []
    for n, (due, _, _) in enumerate(cases):
        rid = make_referral(sample_engine, ref=f"KB-000{n}")
        ids.append(make_deadline(sample_engine, rid, due=due, remind=None))
    for did, (_, now, opens) in zip(ids, cases, strict=True):
        run(sample_engine, now)
        rows = [r for r in outbox(sample_engine) if r.dedupe_key.split(":")[1:3] == [str(did), "0"]]
        assert len(rows) == 3
        assert {r.deliver_after for r in rows if r.person_id} == {opens}
        assert [r.deliver_after for r in rows if r.person_id is None] == [now]


def test_settled_deadline_sends_nothing(sample_engine: Engine) -> None:
    rid = make_referral(sample_engine)
    ids = {status: make_deadline(sample_engine, rid, status=status)
           for status in ("met", "cancelled", "lapsed")}
    assert run(sample_engine, at(2026, 12, 10, 10)) == SweepResult()
    assert outbox(sample_engine) == [] and events(sample_engine) == []
    for status, did in ids.items():
        assert deadline(sample_engine, did).status == status


def test_closed_referral_cancels_deadline(sample_engine: Engine) -> None:
    ids = [make_deadline(sample_engine, make_referral(sample_engine, status=status, ref=status))
           for status in ("closed", "withdrawn")]
    result = run(sample_engine, at(2026, 12, 10, 10))
    assert (result.claimed, result.reminders, result.escalations) == (2, 0, 0)
    assert outbox(sample_engine) == [] and events(sample_engine) == []
    for did in ids:
        d = deadline(sample_engine, did)
        assert (d.status, d.next_check_at) == ("cancelled", None)


def test_span_escalates_to_gi_teamleider(sample_engine: Engine) -> None:
    rid = make_referral(sample_engine, step="toewijzing")
    did = make_deadline(sample_engine, rid, key="span:2-4", step="bepaling", remind=None)
    assert run(sample_engine, at(2026, 11, 30, 9)).escalations == 1
    rows = outbox(sample_engine)
    assert [(r.dedupe_key, r.person_id) for r in rows] == [
        (f"esc:{did}:0:{pid(sample_engine, TESS)}", pid(sample_engine, TESS)),
        (f"esc-thread:{did}:0", None)]
    assert rows[0].payload["span"] is True and rows[0].payload["step_number"] == "2-4"
    assert deadline(sample_engine, did).status == "lapsed"


def test_a_left_over_escalation_model_row_never_escalates(sample_engine: Engine) -> None:
    """Bouwsteen 6 has no terms and no automatic tiers: a Deadline row from before
    migration 0007 is closed on sight, whenever the sweep meets it."""
    rid = make_referral(sample_engine, step="reactie")
    did = make_deadline(sample_engine, rid, key="model", step="model:samenwerking",
                        remind=None, tier=1)
    assert run(sample_engine, at(2027, 11, 30, 10)).escalations == 0
    assert deadline(sample_engine, did).status == "cancelled"
    assert outbox(sample_engine) == []


def test_payloads_are_json_and_render(sample_engine: Engine) -> None:
    rid = make_referral(sample_engine)
    make_deadline(sample_engine, rid)
    rid2 = make_referral(sample_engine, step="escalatie", ref="KB-0002")
    make_deadline(sample_engine, rid2, key="step:escalatie", step="escalatie", remind=None)
    run(sample_engine, REMIND)
    run(sample_engine, at(2026, 12, 7, 10))
    renderer = Renderer("text")
    texts: dict[str, list[str]] = {}
    for row in outbox(sample_engine):
        assert json.loads(json.dumps(row.payload)) == row.payload
        for lang in ("nl", "en"):
            text = renderer.render_name(row.template, row.payload, lang)
            assert "KB-000" in text and "{{" not in text
            texts.setdefault(f"{row.template}:{lang}", []).append(text)
    nl = texts["reminder:nl"][0]
    assert nl.startswith("Herinnering KB-0001") and "vr 27 nov 2026" in nl
    assert any(t.startswith("Termijn verstreken") for t in texts["escalation:nl"])
    # Step 6's week lapsed: both are told, and nothing turns bestuurlijk by itself.
    step6 = [t for t in texts["escalation:nl"] if "KB-0002" in t]
    assert step6 and all(t.startswith("Termijn verstreken") for t in step6)
    assert all("De week voor het gesprek (en zo nodig de bestuurlijke escalatie) is "
               "verstreken." in t for t in step6)
    assert not any(t.startswith("Bestuurlijke escalatie") for t in step6)
    assert any(t.startswith("Deadline passed") for t in texts["escalation:en"])
    assert any("Fri 27 Nov 2026" in t for t in texts["thread_escalation:en"])


def test_today_for_absence_is_amsterdam_date(sample_engine: Engine) -> None:
    """00:30 on 16 Jan in Amsterdam is still 15 Jan in UTC, when Anouk is away."""
    rid = make_referral(sample_engine)
    with Session(sample_engine) as s:
        anouk = s.exec(select(Person).where(Person.email == ANOUK)).one()
        anouk.absent_until = date(2027, 1, 15)
        s.add(anouk)
        s.commit()
    due = at(2027, 1, 20)
    make_deadline(sample_engine, rid, due=due, remind=at(2027, 1, 16, 0, 30))
    run(sample_engine, at(2027, 1, 16, 0, 30))
    people = {r.person_id for r in outbox(sample_engine) if r.person_id}
    assert pid(sample_engine, ANOUK) in people and pid(sample_engine, BRAM) not in people


def test_one_broken_deadline_does_not_block_the_rest(
        sample_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    import scheduling.sweep as sweep_module

    good = make_deadline(sample_engine, make_referral(sample_engine, ref="KB-0001"), remind=None)
    bad_ref = make_referral(sample_engine, ref="KB-0002")
    bad = make_deadline(sample_engine, bad_ref, remind=None)
    real = sweep_module.resolve

    def flaky(session, ref, party, today):  # type: ignore[no-untyped-def]
        if ref.id == bad_ref and party == "lt_teamleider":
            raise RuntimeError("directory broken")
        return real(session, ref, party, today)

    monkeypatch.setattr(sweep_module, "resolve", flaky)
    result = sweep(sample_engine, DUE, routes=ROUTES, calendar=CAL, hours=HOURS, batch=1)
    assert result.escalations == 1
    assert {k.split(":")[1] for k in keys(sample_engine)} == {str(good)}  # nothing half-sent
    d = deadline(sample_engine, bad)
    assert (d.tier, d.status, d.next_check_at) == (0, "pending", DUE)  # retried next sweep

    monkeypatch.setattr(sweep_module, "resolve", real)
    assert run(sample_engine, DUE).escalations == 1
    assert deadline(sample_engine, bad).tier == 1


# -- the set-based batch ----------------------------------------------------------


def _statements(engine: Engine, now: datetime) -> tuple[SweepResult, int]:
    count = [0]

    def counter(*_: object) -> None:
        count[0] += 1

    event.listen(engine, "before_cursor_execute", counter)
    try:
        return run(engine, now), count[0]
    finally:
        event.remove(engine, "before_cursor_execute", counter)


def test_batch_statements_do_not_grow_with_its_size(sample_engine: Engine) -> None:
    """A handful of statements a batch, not ten a deadline."""
    counts = []
    for n, day in ((2, 2), (25, 3)):  # two rounds, each with its own lapse
        due = at(2026, 12, day)
        ids = [make_deadline(sample_engine, make_referral(sample_engine, ref=f"KB-{day}-{i}"),
                             due=due, remind=None) for i in range(n)]
        result, statements = _statements(sample_engine, due)
        assert (result.claimed, result.escalations) == (n, n)
        assert all(deadline(sample_engine, d).tier == 1 for d in ids)
        counts.append(statements)
    assert counts[0] == counts[1] <= 16, counts
    assert len(outbox(sample_engine)) == 3 * 27 and len(events(sample_engine)) == 27


def test_one_batch_of_every_kind(sample_engine: Engine) -> None:
    """Reminder, dropped reminder, lapse after a queued reminder, a left-over
    escalation-model row and a closed referral, all in one batch: each as when
    swept on its own."""
    def referral(ref: str, **kw: str) -> int:
        return make_referral(sample_engine, ref=ref, **kw)

    queued = make_deadline(sample_engine, referral("KB-C"))  # due DUE, reminder REMIND
    run(sample_engine, REMIND)  # its reminder is queued, and stays undelivered
    now = at(2026, 11, 30, 11)  # Monday, after DUE
    remind = make_deadline(sample_engine, referral("KB-A"), due=at(2026, 12, 2),
                           remind=at(2026, 11, 30, 8, 30))
    missed = make_deadline(sample_engine, referral("KB-B"))  # never reminded, lapsed
    model = make_deadline(sample_engine, referral("KB-D", step="start"), key="model",
                          step="model:samenwerking", remind=None, tier=1,
                          due=at(2026, 11, 27))
    closed = make_deadline(sample_engine, referral("KB-E", status="closed"))
    before = {o.dedupe_key for o in outbox(sample_engine)}

    result = run(sample_engine, now)
    assert result == SweepResult(reminders=1, escalations=2, dropped_reminders=1, claimed=5)

    status = {o.dedupe_key: o.status for o in outbox(sample_engine)}
    assert {k for k in before if k.startswith(f"rem:{queued}:")}
    assert all(status[k] == "dropped" for k in before if k.startswith(f"rem:{queued}:"))
    assert status[f"rem-thread:{queued}"] == "pending"
    new = [o for o in outbox(sample_engine) if o.dedupe_key not in before]
    assert all(o.status == "pending" for o in new)
    # Each deadline's rows together, its thread line last, in claim order.
    owners = [int(o.dedupe_key.split(":")[1]) for o in new]
    runs = [d for i, d in enumerate(owners) if i == 0 or owners[i - 1] != d]
    assert runs == [missed, queued, remind]  # by next_check_at: the claim's order
    for d in runs:
        rows = [o for o in new if int(o.dedupe_key.split(":")[1]) == d]
        assert rows[-1].kind == "thread" and all(o.person_id for o in rows[:-1])
    assert {o.dedupe_key.split(":")[0] for o in new if o.person_id} == {"rem", "esc"}

    def state(did: int) -> tuple[int, str, bool]:
        d = deadline(sample_engine, did)
        return d.tier, d.status, d.reminded

    assert state(remind) == (0, "pending", True)
    assert deadline(sample_engine, remind).next_check_at == at(2026, 12, 2)
    assert state(missed) == (1, "pending", True) and state(queued) == (1, "pending", True)
    # The escalation model has no terms: its row is closed, nothing is sent.
    assert (deadline(sample_engine, model).tier, deadline(sample_engine, model).status) == (
        1, "cancelled")
    assert (deadline(sample_engine, closed).status,
            deadline(sample_engine, closed).next_check_at) == ("cancelled", None)
    assert events(sample_engine)[0].action == "herinnering"  # the first sweep, at REMIND
    by_ref: dict[int, list[str]] = {}
    for e in events(sample_engine)[1:]:
        by_ref.setdefault(e.referral_id, []).append(e.action)
    assert sorted(by_ref.values()) == sorted([
        ["herinnering"], ["herinnering_vervallen", "escalatie"], ["escalatie"]])

    assert run(sample_engine, now) == SweepResult()


@pytest.mark.parametrize("stage", ["load", "write"])
def test_failed_batch_is_redone_deadline_by_deadline(
        sample_engine: Engine, monkeypatch: pytest.MonkeyPatch, stage: str) -> None:
    """The batch's read or write fails as a whole: each deadline is then swept
    on its own, and only the one that fails alone is left for later."""
    import scheduling.sweep as sweep_module

    ids = [make_deadline(sample_engine, make_referral(sample_engine, ref=f"KB-000{i}"),
                         remind=None) for i in range(3)]
    bad = ids[1]
    real = getattr(sweep_module, stage)

    def flaky(session, items):  # type: ignore[no-untyped-def]
        done = real(session, items)  # (a write is half done: must be rolled back)
        if any(x.id == bad for x in items):
            raise RuntimeError(f"{stage} failed")
        return done

    monkeypatch.setattr(sweep_module, stage, flaky)
    assert run(sample_engine, DUE).escalations == 2
    assert {k.split(":")[1] for k in keys(sample_engine)} == {str(ids[0]), str(ids[2])}
    assert {e.detail["tier"] for e in events(sample_engine)} == {1}
    assert len(events(sample_engine)) == 2
    d = deadline(sample_engine, bad)
    assert (d.tier, d.status, d.next_check_at) == (0, "pending", DUE)

    monkeypatch.setattr(sweep_module, stage, real)
    assert run(sample_engine, DUE).escalations == 1
    assert deadline(sample_engine, bad).tier == 1


def test_broken_deadlines_in_a_batch_leave_the_rest_alone(
        sample_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """A lookup failing in the database (which aborts a PostgreSQL transaction)
    and a referral on a route that no longer exists, amid good ones."""
    import scheduling.sweep as sweep_module

    refs = [make_referral(sample_engine, ref=f"KB-000{i}") for i in range(4)]
    gone = make_referral(sample_engine, ref="KB-0009", route="999")
    ids = [make_deadline(sample_engine, r, remind=None) for r in refs]
    broken_route = make_deadline(sample_engine, gone, remind=None)
    db_error = ids[0]  # the first decided: the others' lookups come after it
    real = sweep_module.resolve

    def flaky(directory, ref, party, today):  # type: ignore[no-untyped-def]
        if ref.id == refs[0]:
            directory.s.exec(text("SELECT nothing FROM no_such_table"))
        return real(directory, ref, party, today)

    monkeypatch.setattr(sweep_module, "resolve", flaky)
    result = run(sample_engine, DUE)
    assert (result.claimed, result.escalations) == (5, 3)
    good = {str(d) for d in ids if d != db_error}
    assert {k.split(":")[1] for k in keys(sample_engine)} == good
    for did in (db_error, broken_route):
        d = deadline(sample_engine, did)
        assert (d.tier, d.status, d.next_check_at) == (0, "pending", DUE)

    monkeypatch.setattr(sweep_module, "resolve", real)
    assert run(sample_engine, DUE).escalations == 1  # the lookup works again
    assert deadline(sample_engine, db_error).tier == 1


def test_directory_answers_as_resolve_does(sample_engine: Engine) -> None:
    """The sweep's batch lookups agree with handlers.referrals.membership.resolve, party by
    party, absences and stand-ins included."""
    with Session(sample_engine) as s:
        def people(kind: str, role: str) -> list[Person]:
            return list(s.exec(
                select(Person).join(Team, col(Team.id) == Person.team_id)
                .join(Organisation, col(Organisation.id) == Team.organisation_id)
                .where(Organisation.kind == kind, Person.role == role)
                .order_by(col(Person.id))).all())

        jbs = people(OrgKind.GI, Role.MEDEWERKER)
        orgs = s.exec(select(Organisation.id).where(Organisation.kind == OrgKind.ZORGAANBIEDER)
                      .order_by(col(Organisation.id))).all()
        # Absences: every LT teamleider of one gemeente (all absent: still told),
        # koppelgenoten, a GI teamleider.
        ede = s.exec(select(Gemeente).where(Gemeente.cbs_code == "GM0228")).one()
        for p in people(OrgKind.LOKAAL_TEAM, Role.TEAMLEIDER)[:3] + jbs[1:40:3] + people(
                OrgKind.GI, Role.TEAMLEIDER)[:1] + people(OrgKind.LOKAAL_TEAM,
                                                          Role.MEDEWERKER)[::4]:
            p.absent_until = date(2026, 12, 31)
            s.add(p)
        s.commit()
        refs = []
        for i, (gid, lt) in enumerate(s.exec(
                select(TeamGemeente.gemeente_id, Person)
                .join(Team, col(Team.id) == TeamGemeente.team_id)
                .join(Organisation, col(Organisation.id) == Team.organisation_id)
                .join(Person, col(Person.team_id) == Team.id)
                .where(Organisation.kind == OrgKind.LOKAAL_TEAM, Person.role == Role.MEDEWERKER)
                .order_by(col(Person.id))).all()):
            refs.append(Referral(
                id=i, route="301", kenmerk="K", gemeente_id=gid, step="contact",
                step_started_at=START, created_at=START, jb_id=jbs[i % len(jbs)].id or 0,
                lt_id=None if i % 7 == 3 else lt.id,
                lt_backup_id=None if i % 5 == 2 else lt.koppelgenoot_id or lt.id,
                zorgaanbieder_id=orgs[i % len(orgs)] if i % 3 else None))
        refs.append(Referral(id=-1, route="301", kenmerk="K", gemeente_id=ede.id or 0,
                             step="contact", step_started_at=START, created_at=START,
                             jb_id=10**6, lt_id=10**6 + 1, lt_backup_id=None))
        assert len(refs) > 100
        for today in (date(2026, 11, 24), date(2027, 1, 10), date(2027, 2, 1)):
            # Half the referrals in the batch: the rest are looked up on demand.
            directory = Directory(s, refs[: len(refs) // 2])
            for ref in refs:
                for party in get_args(Party):
                    want = [p.id for p in parties_resolve(s, ref, party, today)]
                    got = [p.id for p in directory.resolve(ref, party, today)]
                    if party.startswith("gi_"):  # resolve does not order these
                        want, got = sorted(want), sorted(got)  # type: ignore[type-var]
                    assert got == want, (ref.id, party, today)
        with pytest.raises(ValueError, match="unknown party"):
            Directory(s, refs).resolve(refs[0], "buurman", date(2026, 11, 24))


def test_failed_directory_read_is_not_remembered_as_nobody(
        sample_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    import scheduling.party_directory as batch_module

    ids = [make_deadline(sample_engine, make_referral(sample_engine, ref=f"KB-000{i}"),
                         remind=None) for i in range(3)]
    real = batch_module._serving
    calls = []

    def flaky(gemeenten, **kw):  # type: ignore[no-untyped-def]
        calls.append(gemeenten)
        query = real(gemeenten, **kw)
        return query.where(text("no_such_column = 1")) if len(calls) == 1 else query

    monkeypatch.setattr(batch_module, "_serving", flaky)
    assert run(sample_engine, DUE).escalations == 2
    carla, monique = pid(sample_engine, CARLA), pid(sample_engine, MONIQUE)
    assert set(keys(sample_engine)) == {
        k for d in ids[1:] for k in (f"esc:{d}:0:{monique}", f"esc:{d}:0:{carla}",
                                     f"esc-thread:{d}:0")}
    assert deadline(sample_engine, ids[0]).tier == 0

"""The deadline sweep: reminders and escalations at the right time, exactly once."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from handlers.routes import default_routes
from messages.render import Renderer
from scheduling.calendar import Term, WorkCalendar
from scheduling.deadlines import Hours, remind_at
from scheduling.sweep import SweepResult, sweep
from storage.models import Gemeente, Person
from storage.tables import Deadline, Outbox, Referral, ReferralEvent

AMS = ZoneInfo("Europe/Amsterdam")
CAL = WorkCalendar()
HOURS = Hours(CAL, time(8, 30), time(17, 0))
ROUTES = default_routes()

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


def test_escalation_model_climbs_one_tier_per_lapse(sample_engine: Engine) -> None:
    rid = make_referral(sample_engine, step="start")
    # "samenwerking" starts at tier 1 (leidinggevenden), already told.
    did = make_deadline(sample_engine, rid, key="model", step="model:samenwerking",
                        remind=None, tier=1)
    now = at(2026, 11, 30, 10)
    assert run(sample_engine, now).escalations == 1
    monique = pid(sample_engine, MONIQUE)
    rows = outbox(sample_engine)
    assert [r.dedupe_key for r in rows] == [f"model:{did}:2:{monique}", f"model-thread:{did}:2"]
    p = rows[0].payload
    assert (p["tier"], p["tier_name_nl"], p["bestuurlijk"], p["situation"]) == (
        3, "bestuurders", True, "samenwerking")
    d = deadline(sample_engine, did)
    new_due = CAL.due(now, Term(1, "weken"))
    assert (d.tier, d.due_at, d.next_check_at, d.status) == (2, new_due, new_due, "pending")
    assert p["due_at"] == new_due.isoformat()

    assert run(sample_engine, new_due).escalations == 0  # no tier above the bestuurders
    d = deadline(sample_engine, did)
    assert (d.status, d.next_check_at) == ("lapsed", None)
    assert len(outbox(sample_engine)) == 2


def test_payloads_are_json_and_render(sample_engine: Engine) -> None:
    rid = make_referral(sample_engine)
    make_deadline(sample_engine, rid)
    make_deadline(sample_engine, rid, key="model", step="model:dilemma", remind=None)
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
    assert any(t.startswith("Bestuurlijke escalatie") for t in texts["escalation:nl"])
    assert any("leidinggevenden" in t for t in texts["escalation:nl"])
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

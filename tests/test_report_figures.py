"""Figures on hand-made histories whose answers are worked out by hand (werkdagen, Atw)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from handlers.overview.figures import Period, Scope, figures, p80, tables
from scheduling.calendar import WorkCalendar
from scheduling.routes import default_routes
from storage.models import Region
from tests.overview_history import (
    gemeente_id,
    load_directory,
    make_model_case,
    make_referral,
)

PERIOD = Period(date(2026, 11, 1), date(2026, 12, 31))


@pytest.fixture
def histories(engine: Engine) -> Engine:
    load_directory(engine)
    # A: Mon 2 Nov -> accepted Fri 6 Nov (4 werkdagen) -> care Mon 16 Nov (10).
    make_referral(engine, start="2026-11-02 10:00", status="closed", step="start",
                  closed="2026-11-16 09:00", events=[
                      ("contact", "2026-11-03 10:00", "contact", {"met": "lt"}),
                      ("acceptatie", "2026-11-06 15:00", "start", {}),
                      ("zorg_gestart", "2026-11-16 09:00", "start", {})],
                  deadlines=[("step:contact", "2026-11-06 00:00", "met"),
                             ("step:bepaling", "2026-11-11 00:00", "met")])
    # B: Thu 24 Dec -> accepted Mon 28 Dec: Eerste Kerstdag (Fri) is no werkdag -> 1;
    # care Tue 5 Jan 2027: 28-31 Dec (4), 1 Jan Nieuwjaarsdag, 4-5 Jan (2) -> 6.
    make_referral(engine, start="2026-12-24 10:00", status="closed", step="start",
                  closed="2027-01-05 10:00", events=[
                      ("acceptatie", "2026-12-28 11:00", "start", {}),
                      ("zorg_gestart", "2027-01-05 10:00", "start", {})],
                  deadlines=[("step:contact", "2026-12-30 00:00", "met")])
    # C: Barneveld, Mon 9 Nov -> accepted Mon 23 Nov (10), no care yet; contact too late,
    # put to the RET and step 6.
    make_referral(engine, gemeente="Barneveld", lt="lt@barneveld.example.org",
                  start="2026-11-09 10:00", step="start", events=[
                      ("ret", "2026-11-12 10:00", "alternatief", {}),
                      ("stap6", "2026-11-13 10:00", "escalatie", {}),
                      ("acceptatie", "2026-11-23 10:00", "start", {})],
                  deadlines=[("step:contact", "2026-11-13 00:00", "lapsed")])
    # D: withdrawn after an acceptance: left out of the lead times.
    make_referral(engine, start="2026-11-03 10:00", status="withdrawn",
                  closed="2026-11-05 10:00", events=[
                      ("acceptatie", "2026-11-04 10:00", "start", {}),
                      ("ingetrokken", "2026-11-05 10:00", "start", {})])
    # E: open, nothing accepted yet; its pending deadline is not counted.
    make_referral(engine, start="2026-11-20 10:00",
                  deadlines=[("step:contact", "2026-11-26 00:00", "pending")])
    # F: another region; G: before the period.
    make_referral(engine, gemeente="Doetinchem", lt="lt@doetinchem.example.org",
                  jb="jb3@gi.example.org", start="2026-11-02 10:00",
                  events=[("acceptatie", "2026-11-03 10:00", "start", {})])
    make_referral(engine, start="2026-10-15 10:00",
                  events=[("acceptatie", "2026-11-03 10:00", "start", {})])
    make_model_case(engine, gemeente="Ede", situation="dilemma", tier=2,
                    start="2026-11-02 10:00", closed="2026-11-09 10:00")
    make_model_case(engine, gemeente="Ede", situation="zorgelijk", tier=3,
                    start="2026-11-10 10:00")
    make_model_case(engine, gemeente="Doetinchem", situation="samenwerking", tier=1,
                    start="2026-11-10 10:00")
    return engine


def _region(engine: Engine, code: str) -> int:
    from sqlmodel import select

    with Session(engine) as s:
        r = s.exec(select(Region).where(Region.code == code)).one()
        assert r.id is not None
        return r.id


def _figures(engine: Engine, **scope: int) -> dict:
    with Session(engine) as s:
        return figures(s, Scope(PERIOD, **scope), WorkCalendar(), default_routes())


def test_lead_times_per_region_in_werkdagen(histories: Engine) -> None:
    data = _figures(histories, region_id=_region(histories, "food-valley"))
    lt = data["lead_times"]
    assert lt["started"] == 5 and lt["withdrawn"] == 1
    # acceptance: A 4, B 1 (Kerst), C 10; D withdrawn, E still waiting.
    assert lt["acceptance"] == {"n": 3, "median": 4, "p80": 10, "waiting": 1}
    # care start: A 10, B 6 (Nieuwjaarsdag); C and E waiting.
    assert lt["care"] == {"n": 2, "median": 8, "p80": 10, "waiting": 2}
    assert [b["n"] for b in lt["distribution"]] == [2, 1, 0, 0, 0, 0]


def test_per_gemeente_and_gemeente_scope(histories: Engine) -> None:
    region = _figures(histories, region_id=_region(histories, "food-valley"))
    rows = {r["gemeente"]: r for r in region["per_gemeente"]}
    assert set(rows) == {"Ede", "Barneveld"}
    assert rows["Ede"]["acceptance_median"] == 2.5 and rows["Ede"]["acceptance_p80"] == 4
    assert rows["Barneveld"]["acceptance_median"] == 10
    ede = _figures(histories, gemeente_id=gemeente_id(histories, "Ede"))
    assert ede["lead_times"]["started"] == 4


def test_terms_met_contact_problems_ret_step6_withdrawals(histories: Engine) -> None:
    data = _figures(histories, region_id=_region(histories, "food-valley"))
    steps = {(s["route"], s["step"]): s for s in data["on_time"]}
    assert steps[("301", "contact")]["met"] == 2 and steps[("301", "contact")]["lapsed"] == 1
    assert steps[("301", "contact")]["share"] == pytest.approx(2 / 3)
    assert steps[("301", "bepaling")]["share"] == 1
    # The route model's order, not alphabetical.
    assert [s["step"] for s in data["on_time"]] == ["contact", "bepaling"]
    assert data["use"] == {"ret": 1, "step6": 1, "bestuurlijk": 0, "contact_problems": 1,
                           "withdrawn": 1}


def test_escalation_model_by_situation_tier_and_duration(histories: Engine) -> None:
    model = _figures(histories, region_id=_region(histories, "food-valley"))["model"]
    rows = {r["situation"]: r for r in model["rows"]}
    assert model["total"] == 2 and "samenwerking" not in rows
    assert rows["dilemma"]["tier2"] == 1 and rows["dilemma"]["closed"] == 1
    assert rows["dilemma"]["duration_median"] == 5  # Mon 2 -> Mon 9 Nov
    assert rows["zorgelijk"]["tier3"] == 1 and rows["zorgelijk"]["open"] == 1
    assert rows["zorgelijk"]["duration_median"] is None


def test_csv_tables_carry_no_free_text(histories: Engine) -> None:
    data = _figures(histories, region_id=_region(histories, "food-valley"))
    flat = repr({k: t.rows for k, t in tables(data).items()})
    assert "K-1" not in flat and "reden" not in flat


def test_p80_is_nearest_rank() -> None:
    assert p80([]) is None
    assert p80([5]) == 5
    assert p80(list(range(1, 11))) == 8


def test_werkdag_counter_matches_the_calendar() -> None:
    from datetime import timedelta

    from handlers.overview.figures import WerkdagCounter

    cal = WorkCalendar()
    counter = WerkdagCounter(cal)
    base = date(2026, 12, 20)
    pairs = [(base + timedelta(days=a), base + timedelta(days=a + n))
             for a in (10, -30, 3, -400, 0) for n in (0, 1, 5, 17, 60)]
    for start, end in pairs:
        assert counter.between(start, end) == cal.working_days_between(start, end), (start, end)

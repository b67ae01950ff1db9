"""A freshness round, walked through time: asked once, confirmed, silent reported.

Food Valley's steunstructuur (gemeente Ede) starts its first round on Monday
7 December 2026, every 90 days, with 5 werkdagen to answer. The worker's tick
runs the round; a printing sender records what leaves and when.
"""

from __future__ import annotations

import threading
from datetime import date, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.app import KetenBot
from bot.config import Settings
from messages import Renderer
from scheduling import freshness
from scheduling.delivery.contract import Outgoing
from storage import db
from storage.contact_tables import FreshnessRound
from storage.db import session_scope
from storage.models import Person, Region
from storage.tables import Outbox
from tests.conftest import AMS, FakeClock
from tests.test_contact_selfservice import FV_BEHEERDER, VT_BEHEERDER
from tests.test_referrals import BRAM, IRIS, WENDY

SILENT_AND_STALE = date(2026, 6, 1)


class Recorder:
    platform = "console"

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.sent: list[tuple[datetime, str, str, str]] = []  # (when, to, template, text)
        self.renderer = Renderer("text")

    def deliver(self, message: Outgoing) -> None:
        assert message.person is not None
        text = self.renderer.render_name(message.template, message.payload, "nl")
        self.sent.append((self.clock.now, message.person.email, message.template, text))

    def to(self, email: str, template: str) -> list[str]:
        return [t for _, who, tpl, t in self.sent if who == email and tpl == template]


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=AMS)


@pytest.fixture
def bot(db_url: str, sample_engine: Engine, clock: FakeClock) -> KetenBot:
    # Wendy and Iris (LT Ede) were last confirmed in June: stale by 7 December.
    with session_scope(sample_engine) as s:
        for email in (WENDY, IRIS):
            p = s.exec(select(Person).where(Person.email == email)).one()
            p.verified_on = SILENT_AND_STALE
            s.add(p)
    return KetenBot(settings=Settings(database_url=db_url, language="nl"), engine=sample_engine,
                    clock=clock)


def asks(engine: Engine) -> dict[str, int]:
    """e-mail -> freshness questions queued for them."""
    with Session(engine) as s:
        rows = s.exec(select(Person.email).join(Outbox, col(Outbox.person_id) == Person.id)
                      .where(Outbox.template == "freshness_ask")).all()
    out: dict[str, int] = {}
    for email in rows:
        out[email] = out.get(email, 0) + 1
    return out


def test_a_round_asks_the_stale_once_in_working_hours_and_reports_the_silent(
        bot: KetenBot, clock: FakeClock) -> None:
    rec = Recorder(clock)
    clock.set(at(12, 4, 16))  # Friday before the first round: nothing yet
    bot.tick([rec])
    assert asks(bot.engine) == {}

    clock.set(at(12, 7, 3))  # Monday 03:00: the round starts, but nobody is woken
    bot.tick([rec])
    asked = asks(bot.engine)
    assert asked[WENDY] == 1 and asked[IRIS] == 1 and BRAM not in asked
    assert set(asked.values()) == {1}
    assert rec.sent == []

    clock.set(at(12, 7, 8, 30))
    bot.tick([rec])
    [question] = rec.to(WENDY, "freshness_ask")
    assert "Kloppen uw gegevens" in question and "ik klopt" in question
    assert all(when.hour >= 8 and when.weekday() < 5 for when, *_ in rec.sent)

    # Ticks go on all week: nobody is asked twice.
    for day in (7, 8, 9):
        clock.set(at(12, day, 15))
        bot.tick([rec])
    assert asks(bot.engine) == asked and len(rec.to(WENDY, "freshness_ask")) == 1

    # Wendy confirms; Iris says nothing.
    clock.set(at(12, 8, 11))
    ctx = bot.context("console", bot.person_by_email(WENDY))
    assert bot.registry.dispatch(ctx, "ik klopt").ok
    assert bot.person_by_email(WENDY).verified_on == date(2026, 12, 8)  # type: ignore[union-attr]

    clock.set(at(12, 11, 16, 59))  # four werkdagen on: no report yet
    bot.tick([rec])
    assert not rec.to(FV_BEHEERDER, "freshness_report")

    clock.set(at(12, 14, 8, 30))  # five werkdagen after the questions: the list
    bot.tick([rec])
    clock.set(at(12, 14, 9, 0))
    bot.tick([rec])
    [report] = rec.to(FV_BEHEERDER, "freshness_report")
    assert "Actualiteitsronde Food Valley" in report
    ede = report[report.index("\nEde:"):]
    assert "geen antwoord: Iris van der Wal" in ede
    assert "Wendy Evers" not in report
    assert not rec.to(VT_BEHEERDER, "freshness_report")  # another region's keeper
    assert [r for _, _, tpl, r in rec.sent if tpl == "freshness_report"] == [report]


def test_the_report_names_gemeenten_without_a_current_contact(bot: KetenBot,
                                                             clock: FakeClock) -> None:
    with session_scope(bot.engine) as s:  # Scherpenzeel's lokaal team all stale
        for p in s.exec(select(Person).where(col(Person.email).contains("scherpenzeel"))).all():
            p.verified_on = SILENT_AND_STALE
            s.add(p)
        # Wendy (LT Ede) points at Bram, who does not point back.
        wendy = s.exec(select(Person).where(Person.email == WENDY)).one()
        wendy.koppelgenoot_id = s.exec(select(Person.id).where(Person.email == BRAM)).one()
        s.add(wendy)
    rec = Recorder(clock)
    clock.set(at(12, 7, 9))
    bot.tick([rec])
    clock.set(at(12, 14, 9))
    bot.tick([rec])
    [report] = rec.to(FV_BEHEERDER, "freshness_report")
    scherpenzeel = report[report.index("\nScherpenzeel:"):]
    assert scherpenzeel.split("\n\n")[0].count("geen actueel lokaal-teamcontact") == 1
    ede = report[report.index("\nEde:"):].split("\n\n")[0]
    assert "koppelgenoot klopt niet: Wendy Evers — Bram de Vries heeft een andere" in ede
    assert "geen actueel lokaal-teamcontact" not in ede


def test_two_workers_run_one_round_once(bot: KetenBot, db_url: str, clock: FakeClock) -> None:
    clock.set(at(12, 7, 9))
    engines = [db.make_engine(db_url) for _ in range(2)]
    results: list[freshness.FreshnessResult] = []
    errors: list[BaseException] = []
    go = threading.Barrier(2)

    def work(engine: Engine) -> None:
        try:
            go.wait()
            results.append(freshness.run(engine, clock.now, calendar=bot.calendar(),
                                         hours=bot.hours()))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(r.rounds for r in results) == [0, 1]
    assert set(asks(bot.engine).values()) == {1}
    # The report, too, is claimed by one of them.
    later = at(12, 14, 9)
    reports = [freshness.run(e, later, calendar=bot.calendar(), hours=bot.hours()).reports
               for e in engines]
    assert sorted(reports) == [0, 1]
    with Session(bot.engine) as s:
        rounds = s.exec(select(FreshnessRound)).all()
        assert len(rounds) == 1 and rounds[0].reported_at == later
        assert len(s.exec(select(Outbox).where(Outbox.template == "freshness_report")).all()) == 1
    for e in engines:
        e.dispose()


def food_valley_rounds(engine: Engine) -> list[date]:
    with Session(engine) as s:
        fv = s.exec(select(Region.id).where(Region.code == "food-valley")).one()
        return sorted(r.period_start for r in s.exec(
            select(FreshnessRound).where(FreshnessRound.region_id == fv)))


def test_the_next_round_comes_after_the_frequency(bot: KetenBot, clock: FakeClock) -> None:
    clock.set(at(12, 7, 9))
    bot.tick([])
    clock.set(datetime(2027, 3, 5, 9, tzinfo=AMS))  # 88 days on: the same period
    bot.tick([])
    assert food_valley_rounds(bot.engine) == [date(2026, 12, 7)]
    clock.set(datetime(2027, 3, 8, 9, tzinfo=AMS))  # 91 days on: a new round
    bot.tick([])
    assert food_valley_rounds(bot.engine) == [date(2026, 12, 7), date(2027, 3, 7)]

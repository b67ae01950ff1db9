"""Digests: moved clock, two workers, one digest each, none empty, opt-out honoured."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from handlers.overview.digests import run_digests
from scheduling.calendar import WorkCalendar
from scheduling.digest_jobs import digest_trigger
from scheduling.routes import default_routes
from storage.db import make_engine
from storage.tables import Outbox
from tests.overview_history import AMS, at, load_directory, make_referral, person_id

CAL = WorkCalendar()


@pytest.fixture
def histories(engine: Engine) -> Engine:
    load_directory(engine)
    # Ede: lapsed (Friday) and one due Thursday of the week of Mon 30 Nov.
    make_referral(engine, start="2026-11-20 10:00",
                  deadlines=[("step:contact", "2026-11-27 00:00", "lapsed")])
    make_referral(engine, start="2026-11-27 10:00",
                  deadlines=[("step:contact", "2026-12-03 00:00", "pending")])
    # Due the week after: not in the digest.
    make_referral(engine, start="2026-11-27 11:00",
                  deadlines=[("step:contact", "2026-12-09 00:00", "pending")])
    # Last month's figures for Food Valley.
    make_referral(engine, start="2026-11-02 10:00", status="closed", step="start",
                  events=[("acceptatie", "2026-11-06 10:00", "start", {}),
                          ("zorg_gestart", "2026-11-10 10:00", "start", {})],
                  deadlines=[("step:contact", "2026-11-06 00:00", "met")])
    return engine


def digests(engine: Engine) -> list[Outbox]:
    with Session(engine) as s:
        return list(s.exec(select(Outbox).where(col(Outbox.dedupe_key).startswith("digest:"))
                           .order_by(col(Outbox.id))).all())


def run(engine: Engine, when: datetime) -> None:
    run_digests(engine, when, CAL, default_routes(), "https://keten.example.org")


def test_cron_trigger_fires_0830_amsterdam_on_weekdays() -> None:
    trigger = digest_trigger()
    saturday = datetime(2026, 11, 28, 12, 0, tzinfo=AMS)
    fire = trigger.get_next_fire_time(None, saturday)
    assert fire is not None and fire.astimezone(AMS) == datetime(2026, 11, 30, 8, 30,
                                                                 tzinfo=AMS)


def test_monday_team_leaders_once_with_two_workers(histories: Engine, db_url: str) -> None:
    monday = at("2026-11-30 08:30")
    engines = [make_engine(db_url) for _ in range(2)]
    threads = [threading.Thread(target=run, args=(e, monday)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rows = digests(histories)
    leaders = {person_id(histories, "tl@ede.example.org"),
               person_id(histories, "tl@gi.example.org")}
    # Both Ede referrals belong to the Ede LT leader and the Food Valley GI leader; the
    # Achterhoek leaders have nothing to report and get nothing.
    assert {r.person_id for r in rows} == leaders and len(rows) == 2
    payload = rows[0].payload
    assert payload["lapsed"] == 1 and payload["due_this_week"] == 1
    assert [i["lapsed"] for i in payload["items"]] == [True, False]
    assert payload["url"] == "https://keten.example.org/overzicht/"
    # The rest of the week: no more weekly digests.
    run(histories, at("2026-12-01 08:30"))
    assert len([r for r in digests(histories) if ":week:" in r.dedupe_key]) == 2
    for e in engines:
        e.dispose()


def test_first_werkdag_of_month_region_figures_and_opt_out(histories: Engine) -> None:
    from bot.app import KetenBot
    from bot.config import Settings

    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    bot = KetenBot(settings, histories, lambda: at("2026-11-30 09:00"))
    rcp = bot.person_by_email("rcp@ah.example.org")
    reply = bot.registry.dispatch(bot.context("console", rcp), "samenvatting uit")
    assert reply.template == "digest_setting" and reply.data["off"]
    run(histories, at("2026-12-01 08:30"))  # Tuesday 1 December: first werkdag
    rows = [r for r in digests(histories) if r.dedupe_key.startswith("digest:month:")]
    # Food Valley's contact gets November's figures; Achterhoek opted out (and had nothing).
    assert [r.person_id for r in rows] == [person_id(histories, "rcp@fv.example.org")]
    p = rows[0].payload
    assert p["month"] == "2026-11" and p["started"] == 4 and p["acc_median"] == 4
    from messages.render import Renderer

    text = Renderer("text").render_name("digest_month", p, "nl")
    assert "mediaan 4" in text and "2026-11" in text


def test_monday_holiday_moves_the_weekly_digest(histories: Engine) -> None:
    # Tweede Paasdag, Mon 29 March 2027: the weekly digest waits for Tuesday.
    run(histories, at("2027-03-29 08:30"))
    assert not [r for r in digests(histories) if ":week:" in r.dedupe_key]
    run(histories, at("2027-03-30 08:30"))
    assert [r for r in digests(histories) if "2027-W13" in r.dedupe_key]


def test_nothing_to_report_means_no_message(engine: Engine) -> None:
    load_directory(engine)
    run(engine, at("2026-11-30 08:30"))
    run(engine, at("2026-12-01 08:30"))
    assert digests(engine) == []


@pytest.mark.parametrize("platform", ["text", "slack", "telegram"])
def test_weekly_digest_reads_in_both_languages(histories: Engine, platform: str) -> None:
    from messages.render import Renderer

    run(histories, at("2026-11-30 08:30"))
    payload = digests(histories)[0].payload
    nl = Renderer(platform).render_name("digest_week", payload, "nl")
    en = Renderer(platform).render_name("digest_week", payload, "en")
    assert "1 verlopen, 1 met een termijn deze week" in nl
    assert "verlopen sinds do 26 nov 2026" in nl  # the last day of the lapsed term
    assert "1 lapsed, 1 due this week" in en
    assert "https://keten.example.org/overzicht/" in nl and "KB-0002" in en


@pytest.mark.parametrize(("when", "due"), [
    ("2026-11-30 08:30", True), ("2026-11-30 08:45", True),  # cron's --once at quarter past
    ("2026-11-30 12:29", True),  # a worker that was down all morning catches up
    ("2026-11-30 07:00", False),  # not before its time
    ("2026-11-30 12:31", False),  # past its 4 hours' grace
    ("2026-11-28 09:00", False),  # Saturday
])
def test_worker_once_knows_when_the_digest_is_due(when: str, due: bool) -> None:
    from scheduling.digest_jobs import digest_job

    assert digest_job(lambda: None).due_now(at(when)) is due


def test_worker_once_sends_the_monday_digest(histories: Engine, env_db: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    import bot.app
    from bot.cli.main import app

    monkeypatch.setattr(bot.app, "system_clock", lambda tz: lambda: at("2026-11-30 08:45"))
    result = CliRunner().invoke(app, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert len([r for r in digests(histories) if ":week:" in r.dedupe_key]) == 2
    # cron runs it again a quarter later: nothing twice.
    monkeypatch.setattr(bot.app, "system_clock", lambda tz: lambda: at("2026-11-30 09:00"))
    assert CliRunner().invoke(app, ["worker", "--once"]).exit_code == 0
    assert len([r for r in digests(histories) if ":week:" in r.dedupe_key]) == 2


def test_monday_a_voorzitter_gets_the_tafels_cases(histories: Engine) -> None:
    """The tafel's voorzitter gets their tafel's lapsed and due cases, under the
    tafel's name; no referral, which is not theirs to see."""
    made = make_referral(histories, start="2026-11-16 10:00", route="jbt", step="plannen",
                         prefix="JT", deadlines=[("step:plannen", "2026-11-30 23:59", "pending")])
    run(histories, at("2026-11-30 08:30"))
    voorzitter = person_id(histories, "vz@jbt-fv.example.org")
    (row,) = [r for r in digests(histories) if r.person_id == voorzitter]
    assert [i["ref"] for i in row.payload["items"]] == [made.ref]
    from messages import Renderer
    text = Renderer("text").render_name("digest_week", row.payload, "nl")
    assert f"{made.ref} (Jeugdbeschermingstafel, Ede)" in text

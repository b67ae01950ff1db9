"""The figures page's tafel and handover figures, on cases played through the chat
(`registry.dispatch` with the clock), worked out by hand: the figures, their CSV
tables and `ketenbot report`, the monthly digest's tafel line, and the page in
headless Chromium (`test_web_browser`'s browser; skipped without it)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from handlers.overview.figures import Period, Scope, figures, tables
from storage.models import Gemeente, Region
from storage.tables import Outbox
from tests.conftest import AMS
from tests.test_referrals import JEROEN, WENDY, Chat, at
from tests.test_referrals import chat as chat  # noqa: F401  (the fixture)
from tests.test_tafel import ASTRID, MONIQUE
from tests.test_web_browser import WIDTHS, _free_port, no_sideways_scroll, serving, sign_in
from tests.test_web_browser import browser as browser  # noqa: F401  (the fixture)

PERIOD = Period(date(2026, 11, 1), date(2026, 12, 31))


def _figures(chat: Chat, region: str = "Food Valley") -> dict:
    with Session(chat.engine) as s:
        rid = s.exec(select(Region.id).where(Region.name == region)).one()
        return figures(s, Scope(PERIOD, region_id=rid), chat.bot.calendar(), chat.bot.routes)


def _play(chat: Chat) -> None:
    """Four tafel cases and a handover, registered on Tue 24 Nov."""
    chat.ok(WENDY, "tafel Ede T-1")  # JT-0001: planned in 9 days, outcome 3, verslag
    chat.ok(JEROEN, "tafel Ede T-2 ots-einde")  # JT-0002: planned late (21 days)
    chat.ok(WENDY, "tafel Ede T-3")  # JT-0003: never planned, the term lapses
    chat.ok(WENDY, "tafel Ede T-4")  # JT-0004: withdrawn
    chat.ok(JEROEN, f"overdracht JT-0002 {WENDY}")  # OV-0005
    chat.ok(ASTRID, "gepland JT-0001 3-12")
    chat.ok(ASTRID, "gepland JT-0002 15-12")
    chat.ok(WENDY, "intrekken JT-0004 het gezin is verhuisd")
    chat.ok(WENDY, "gezin OV-0005 ja")
    chat.clock.set(at(1, 11, month=12))  # Tue 1 Dec: 5 werkdagen after the start
    chat.ok(WENDY, "gesprek OV-0005")
    chat.ok(JEROEN, "afspraken OV-0005")
    chat.clock.set(at(3, 15, month=12))
    chat.ok(ASTRID, "uitkomst JT-0001 3 veiligheid nee")
    chat.ok(ASTRID, "verslag JT-0001")
    chat.ok(ASTRID, "reactie JT-0001")
    chat.ok(ASTRID, "evaluatie JT-0001 1-3")
    chat.clock.set(at(9, 9, month=12))  # JT-0003's two weeks have passed
    chat.bot.sweep_once()


def test_the_tafel_and_the_handover_are_counted(chat: Chat) -> None:
    _play(chat)
    data = _figures(chat)
    tafel = data["processes"]["tafel"]
    assert (tafel["registered"], tafel["withdrawn"], tafel["ots_end"]) == (4, 1, 1)
    # Calendar days to the date set: 24 Nov -> 3 Dec (9) and -> 15 Dec (21).
    assert tafel["wait"] == {"n": 2, "median": 15, "p80": 21, "waiting": 1}
    # In werkdagen, without the weekends: 25-27 Nov, 30 Nov-3 Dec (7); and to 15 Dec (15).
    assert tafel["wait_werkdagen"] == {"n": 2, "median": 11, "p80": 15, "waiting": 1}
    # JT-0002 was planned past the two weeks, JT-0003's term lapsed without a date.
    assert (tafel["within_term"], tafel["late"]) == (1, 2)
    assert tafel["share_within"] == 1 / 3
    assert tafel["outcomes"] == {"1": 0, "2": 0, "3": 1, "4": 0} and tafel["raad"] == 1
    assert (tafel["verslag"], tafel["reactie"], tafel["evaluatie"]) == (1, 1, 1)
    # The evaluation is on 1 March 2027, after the period: planned, not held.
    assert tafel["evaluatie_held"] == 0
    handover = data["processes"]["handover"]
    assert handover["started"] == 1 and handover["agreements"] == 1
    assert handover["talk"] == {"n": 1, "median": 5, "p80": 5, "waiting": 0}
    assert handover["family"] == {"ja": 1, "nee": 0, "later": 0}
    terms = {(s["route"], s["step"]): (s["met"], s["lapsed"])
             for s in data["processes"]["on_time"]}
    # The withdrawn case's term was cancelled: not counted.
    assert terms == {("jbt", "plannen"): (2, 1), ("ov", "gesprek"): (1, 0),
                     ("ov", "afspraken"): (1, 0)}
    # The referral figures stay about referrals.
    assert data["lead_times"]["started"] == 0 and data["on_time"] == []
    assert data["use"]["withdrawn"] == 0
    rows = dict(tables(data)["tafel"].rows)
    assert rows["uitkomst_3"] == 1 and rows["tafel_later"] == 2
    assert rows["termijn_jbt_plannen_verlopen"] == 1


def test_another_region_and_another_period_see_none_of_it(chat: Chat) -> None:
    _play(chat)
    assert _figures(chat, "Achterhoek")["processes"]["tafel"]["registered"] == 0
    with Session(chat.engine) as s:
        later = Period(PERIOD.end + timedelta(days=1), PERIOD.end + timedelta(days=31))
        data = figures(s, Scope(later), chat.bot.calendar(), chat.bot.routes)
    assert data["processes"]["tafel"]["registered"] == 0
    assert data["processes"]["handover"]["started"] == 0


# -- around Koningsdag: werkdagen, per gemeente, evaluation moments, the digest ---------

SPRING = Period(date(2027, 4, 1), date(2027, 5, 31))
APRIL = Period(date(2027, 4, 1), date(2027, 4, 30))


def _spring(chat: Chat) -> None:
    """Three registrations around Koningsdag (Tue 27 Apr 2027), in Barneveld and Ede."""
    chat.clock.set(datetime(2027, 4, 13, 10, 0, tzinfo=AMS))
    # JT-0001: two weeks end on Koningsdag, so Wed 28 Apr; planned Fri 30 Apr, late.
    chat.ok(JEROEN, "tafel Barneveld T-1")
    chat.clock.set(datetime(2027, 4, 20, 10, 0, tzinfo=AMS))
    chat.ok(WENDY, "tafel Ede T-2")  # JT-0002: planned Thu 29 Apr
    chat.ok(ASTRID, "gepland JT-0002 29-4")
    assert chat.ok(ASTRID, "gepland JT-0001 30-4").data
    chat.clock.set(datetime(2027, 4, 22, 10, 0, tzinfo=AMS))
    chat.ok(WENDY, "tafel Ede T-3")  # JT-0003: planned Mon 26 Apr
    chat.ok(ASTRID, "gepland JT-0003 26-4")
    chat.clock.set(datetime(2027, 4, 29, 15, 0, tzinfo=AMS))
    chat.ok(ASTRID, "uitkomst JT-0002 2")
    chat.ok(ASTRID, "evaluatie JT-0002 17-5")  # Mon 17 May
    chat.clock.set(datetime(2027, 4, 30, 15, 0, tzinfo=AMS))
    chat.ok(ASTRID, "uitkomst JT-0001 4")


def _spring_figures(chat: Chat, period: Period = SPRING, today: date | None = None) -> dict:
    with Session(chat.engine) as s:
        rid = s.exec(select(Region.id).where(Region.name == "Food Valley")).one()
        return figures(s, Scope(period, region_id=rid), chat.bot.calendar(), chat.bot.routes,
                       today)


def test_the_wait_in_werkdagen_per_gemeente(chat: Chat) -> None:
    _spring(chat)
    data = _spring_figures(chat)
    tafel = data["processes"]["tafel"]
    assert tafel["registered"] == 3
    # Calendar days: 13 -> 30 Apr (17), 20 -> 29 Apr (9), 22 -> 26 Apr (4).
    assert tafel["wait"] == {"n": 3, "median": 9, "p80": 17, "waiting": 0}
    # Werkdagen, without the weekends and Koningsdag: 14-16, 19-23, 26, 28-30 Apr (12);
    # 21-23, 26, 28, 29 Apr (6); 23, 26 Apr (2).
    assert tafel["wait_werkdagen"] == {"n": 3, "median": 6, "p80": 12, "waiting": 0}
    assert (tafel["within_term"], tafel["late"]) == (2, 1)
    assert round(tafel["share_within"], 3) == 0.667
    assert tafel["outcomes"] == {"1": 0, "2": 1, "3": 0, "4": 1}
    barneveld, ede = data["processes"]["tafel_per_gemeente"]
    assert barneveld["gemeente"] == "Barneveld" and ede["gemeente"] == "Ede"
    assert (barneveld["registered"], barneveld["within_term"], barneveld["late"]) == (1, 0, 1)
    assert barneveld["wait_werkdagen"]["median"] == 12 and barneveld["share_within"] == 0
    assert barneveld["outcomes"]["4"] == 1
    # Ede: 6 and 2 werkdagen: median 4, p80 (nearest rank of two) 6.
    assert (ede["registered"], ede["within_term"], ede["late"]) == (2, 2, 0)
    assert (ede["wait_werkdagen"]["median"], ede["wait_werkdagen"]["p80"]) == (4, 6)
    assert ede["share_within"] == 1 and ede["outcomes"]["2"] == 1
    out = tables(data)
    rows = dict(out["tafel"].rows)
    assert (rows["tafel_wachttijd_mediaan_werkdagen"], rows["tafel_wachttijd_p80_werkdagen"],
            rows["tafel_wachttijd_mediaan_kalenderdagen"]) == (6, 12, 9)
    assert rows["tafel_binnen_twee_weken_aandeel"] == 0.667
    gem = out["tafel_gemeenten"]
    assert gem.columns[:5] == ["gemeente", "aangemeld", "ingetrokken",
                               "wachttijd_mediaan_werkdagen", "wachttijd_p80_werkdagen"]
    assert gem.rows == [["Barneveld", 1, 0, 12, 12, 0, 0, 1, 0.0, 0, 0, 0, 1],
                        ["Ede", 2, 0, 4, 6, 0, 2, 0, 1.0, 0, 1, 0, 0]]
    # One gemeente asked for: only its row.
    with Session(chat.engine) as s:
        ede_id = s.exec(select(Gemeente.id).where(Gemeente.name == "Ede")).one()
        only = figures(s, Scope(SPRING, gemeente_id=ede_id), chat.bot.calendar(),
                       chat.bot.routes)
    assert [g["gemeente"] for g in only["processes"]["tafel_per_gemeente"]] == ["Ede"]
    assert only["processes"]["tafel"]["wait_werkdagen"]["median"] == 4


def test_ketenbot_report_prints_the_tafel_per_gemeente(chat: Chat,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli.report import emit

    _spring(chat)
    emit(_spring_figures(chat), "csv")
    lines = capsys.readouterr().out.splitlines()
    assert "tafel_gemeenten,Barneveld,1,0,12,12,0,0,1,0.0,0,0,0,1" in lines
    assert "tafel_gemeenten,Ede,2,0,4.0,6,0,2,0,1.0,0,1,0,0" in lines  # a median of two
    assert "tafel,tafel_wachttijd_mediaan_werkdagen,6" in lines
    emit(_spring_figures(chat), "table")
    text = capsys.readouterr().out
    assert "\ntafel_gemeenten\n" in text and "wachttijd_mediaan_werkdagen" in text


def test_an_evaluation_moment_is_held_once_its_day_has_come(chat: Chat) -> None:
    _spring(chat)
    # JT-0002's evaluation is on Mon 17 May: planned from 29 Apr, held from that day.
    before = _spring_figures(chat, today=date(2027, 5, 12))["processes"]["tafel"]
    assert (before["evaluatie"], before["evaluatie_held"]) == (1, 0)
    on_the_day = _spring_figures(chat, today=date(2027, 5, 17))["processes"]["tafel"]
    assert on_the_day["evaluatie_held"] == 1
    # Without a today, the period's end: 31 May has passed it, 30 April has not.
    assert _spring_figures(chat)["processes"]["tafel"]["evaluatie_held"] == 1
    april = _spring_figures(chat, APRIL)["processes"]["tafel"]
    assert (april["evaluatie"], april["evaluatie_held"]) == (1, 0)
    assert dict(tables(_spring_figures(chat))["tafel"].rows)["tafel_evaluatie_gehouden"] == 1


def test_the_monthly_digest_has_the_tafel_line(chat: Chat) -> None:
    from handlers.overview.digests import monthly
    from messages.render import Renderer

    _spring(chat)
    # Mon 3 May 2027, the first werkdag: April's figures. No referral started in April,
    # only the tafel's registrations: still not a quiet month.
    assert monthly(chat.engine, datetime(2027, 5, 3, 8, 30, tzinfo=AMS),
                   chat.bot.calendar(), chat.bot.routes, "https://keten.example.org") >= 1
    with Session(chat.engine) as s:
        rows = s.exec(select(Outbox).where(Outbox.template == "digest_month",
                                           Outbox.person_id == chat.person(MONIQUE).id)).all()
    assert len(rows) == 1
    p = rows[0].payload
    assert p["month"] == "2027-04" and p["started"] == 0
    assert (p["tafel_registered"], p["tafel_within"], p["tafel_late"],
            p["tafel_wait_median"]) == (3, 2, 1, 6)
    nl = Renderer("text").render_name("digest_month", p, "nl")
    assert ("Jeugdbeschermingstafel: 3 aangemeld, 2 binnen twee weken gepland, 1 later"
            in nl) and "mediaan 6 werkdagen." in nl
    en = Renderer("text").render_name("digest_month", p, "en")
    assert "Youth protection table: 3 registered, 2 scheduled within two weeks" in en
    assert "median 6 working days." in en
    for platform in ("slack", "telegram", "teams"):
        assert "3 aangemeld" in Renderer(platform).render_name("digest_month", p, "nl")
    # A month without registrations has no tafel line (and a digest queued before
    # the line existed, without its fields, still renders).
    quiet = {k: v for k, v in p.items() if not k.startswith("tafel_")}
    assert "Jeugdbeschermingstafel" not in Renderer("text").render_name("digest_month",
                                                                          quiet, "nl")
    assert "Jeugdbeschermingstafel" not in Renderer("text").render_name(
        "digest_month", p | {"tafel_registered": 0}, "nl")


@pytest.fixture
def served(chat: Chat, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Any]]:
    """The Koningsdag scenario on `ketenbot serve`'s overview on a real port, the clock
    on Fri 30 April 2027 (as `test_web_browser.live`, on the chat's database)."""
    from bot.app import KetenBot
    from bot.config import Settings

    _spring(chat)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("KETENBOT_WEB_BASE_URL", base)
    monkeypatch.setenv("KETENBOT_WEB_SECRET", "browser-test-secret-" + "x" * 16)
    bot = KetenBot(Settings(_env_file=None), chat.engine, chat.clock)  # type: ignore[call-arg]
    with serving(bot, port):
        yield base, bot


@pytest.mark.parametrize("width", WIDTHS)
def test_the_page_shows_werkdagen_and_the_gemeenten(browser: Any, served: Any,
                                                    width: int) -> None:
    base, bot = served
    context = browser.new_context(viewport={"width": width, "height": 900},
                                  accept_downloads=True)
    page = context.new_page()
    sign_in(page, bot, MONIQUE)
    page.goto(f"{base}/overzicht/cijfers?van=2027-04-01&tot=2027-05-31")
    tafel = {row.locator("th").inner_text(): row.locator("td").inner_text()
             for row in page.locator("#tafel tr").all()}
    assert tafel["Aanmelding tot de tafel (kalenderdagen): Mediaan / 80e percentiel"] == "9 / 17"
    assert tafel["Aanmelding tot de tafel (werkdagen): Mediaan / 80e percentiel"] == "6 / 12"
    assert tafel["Aandeel binnen twee weken gepland"] == "67%"
    # Today is 30 April: JT-0002's evaluation on 17 May is planned, not held.
    assert tafel["Evaluatiemoment gepland"] == "1"
    assert tafel["Evaluatiemoment gehouden (de datum is bereikt, binnen de periode)"] == "0"
    rows = [[c.inner_text() for c in row.locator("td").all()]
            for row in page.locator("#tafel-gemeenten tbody tr").all()]
    assert rows == [["Barneveld", "1", "12 / 12", "0", "1", "0", "0", "0", "1"],
                    ["Ede", "2", "4 / 6", "2", "0", "0", "1", "0", "0"]]
    no_sideways_scroll(page, "figures with the tafel per gemeente")
    with page.expect_download() as info:
        page.locator("#tafel-figures a.csv[href*='tafel_gemeenten']").click()
    text = Path(info.value.path()).read_text("utf-8")
    assert text.splitlines()[0].startswith("gemeente,aangemeld,ingetrokken,wachttijd_mediaan")
    assert "Ede,2,0,4.0,6,0,2,0,1.0,0,1,0,0" in text.splitlines()
    context.close()

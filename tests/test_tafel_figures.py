"""The figures page's tafel and handover figures, on cases played through the chat
(`registry.dispatch` with the clock), worked out by hand."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, select

from handlers.overview.figures import Period, Scope, figures, tables
from storage.models import Region
from tests.test_referrals import JEROEN, WENDY, Chat, at
from tests.test_referrals import chat as chat  # noqa: F401  (the fixture)
from tests.test_tafel import ASTRID

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
    # JT-0002 was planned past the two weeks, JT-0003's term lapsed without a date.
    assert (tafel["within_term"], tafel["late"]) == (1, 2)
    assert tafel["outcomes"] == {"1": 0, "2": 0, "3": 1, "4": 0} and tafel["raad"] == 1
    assert (tafel["verslag"], tafel["reactie"], tafel["evaluatie"]) == (1, 1, 1)
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

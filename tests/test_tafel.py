"""Bouwsteen 4 in chat: the Jeugdbeschermingstafel and the warm handover.

Driven as users do (`registry.dispatch`), checked as they would notice: the
reply, who is told (outbox), the terms (deadlines), the history; and every
refusal changes nothing (`Chat.refused`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.slack.blocks import buttons_for
from storage.models import Person
from storage.tables import ModelEscalation, Outbox, Referral
from tests.conftest import AMS
from tests.test_referrals import (
    JEROEN,
    SASKIA,
    WENDY,
    Chat,
    at,
    end_of,
)
from tests.test_referrals import chat as chat  # noqa: F401  (the fixture)

ASTRID = "astrid.vandijk@jbt-foodvalley.example.org"  # voorzitter, tafel Food Valley
SANNE = "sanne.vandijk@jbt-foodvalley.example.org"  # her koppelgenoot, also voorzitter
DAAN = "daan.vanwijk@gemeente-ede.example.org"  # Ede's eerste aanspreekpersoon
AALTEN = "ilse.vanderheijden@gemeente-aalten.example.org"  # Aalten's
MONIQUE = "monique.peters@regio-foodvalley.example.org"  # regionale contactpersoon
LARS = "lars.maas@jbt-centraalgelderland.example.org"  # voorzitter of another tafel


def notices(chat: Chat, ref: str, template: str) -> set[str]:
    with Session(chat.engine) as s:
        rid = s.exec(select(Referral.id).where(Referral.ref == ref)).one()
        rows = s.exec(select(Outbox).where(Outbox.referral_id == rid,
                                           Outbox.template == template)).all()
        return {_name(chat, o.person_id) for o in rows if o.person_id}


@pytest.fixture
def tafel(chat: Chat) -> Chat:
    """JT-0001: Wendy (lokaal team Ede) registers a family on Tue 24 Nov 10:00."""
    chat.ok(WENDY, "tafel Ede T-1")
    return chat


def _name(chat: Chat, pid: int | None) -> str:
    with Session(chat.engine) as s:
        p = s.get(Person, pid)
        return p.name if p else "?"


def test_registration_tells_the_voorzitters_and_sets_two_weeks(tafel: Chat) -> None:
    ref = tafel.referral("JT-0001")
    assert (ref.route, ref.step, ref.status) == ("jbt", "plannen", "open")
    assert notices(tafel, "JT-0001", "your_turn") == {"Astrid van Dijk", "Sanne van Dijk"}
    # Two weeks from Tue 24 Nov: the end of Tue 8 Dec.
    (term,) = tafel.deadlines("JT-0001")["step:plannen"]
    assert term.due_at == end_of(8, 12)
    text = tafel.say(WENDY, "status JT-0001")
    assert "Jeugdbeschermingstafel" in text and "Astrid van Dijk" in text
    assert "gepland JT-0001 <datum>" in text
    assert tafel.events("JT-0001")[0][0] == "tafel_aangemeld"


def test_mine_shows_the_voorzitter_the_tafel_cases(tafel: Chat) -> None:
    text = tafel.say(ASTRID, "mijn")
    assert "JT-0001" in text
    assert "JT-0001" not in tafel.say(LARS, "mijn")  # another region's tafel


def test_who_may_register(chat: Chat) -> None:
    text = chat.refused(SASKIA, "tafel Ede T-1", "tafel_through_lt")
    assert "samen met het lokaal team" in text
    chat.refused(DAAN, "tafel Ede T-1", "tafel_through_lt")  # the gemeente (leerplicht)
    chat.refused(MONIQUE, "tafel Ede T-1", "tafel_who")
    chat.refused(WENDY, "tafel Ede T-1 ots-einde", "tafel_ots_only_jb")
    chat.refused(WENDY, "tafel Ede", "tafel_usage")
    chat.refused(WENDY, "tafel Atlantis T-1", "gemeente_unknown")
    chat.ok(JEROEN, "tafel Ede T-2")  # a GI professional may register too
    chat.refused(JEROEN, "tafel Ede T-2", "tafel_duplicate")
    chat.ok(JEROEN, "verwijs 301 Ede T-2")  # a referral of the same case is no duplicate
    chat.refused(JEROEN, "verwijs 301 Ede T-2", "referral_duplicate")


def test_ots_end_makes_the_lokaal_team_and_the_raad_parties(chat: Chat) -> None:
    chat.ok(JEROEN, "tafel Ede T-3 ots-einde")
    told = notices(chat, "JT-0001", "tafel_party")
    ref = chat.referral("JT-0001")
    assert ref.lt_id is not None and _name(chat, ref.lt_id) in told
    raad = {n for n in told if n != _name(chat, ref.lt_id)}
    assert raad, "the Raad is told from the start"
    assert "OTS" in chat.say(JEROEN, "status JT-0001")


def test_planned_in_time_tells_nobody_else(tafel: Chat) -> None:
    tafel.refused(WENDY, "gepland JT-0001 3-12", "not_allowed")
    tafel.refused(LARS, "gepland JT-0001 3-12", "not_party")  # another region's tafel
    tafel.refused(ASTRID, "gepland JT-0001 morgen", "tafel_date_usage")
    tafel.refused(ASTRID, "gepland JT-0001 2026-11-01", "tafel_date_range")
    tafel.refused(ASTRID, "gepland JT-0001 31-02", "tafel_date_usage")
    text = tafel.say(ASTRID, "gepland JT-0001 3-12")
    assert "Tafel op do 3 dec 2026" in text
    assert tafel.referral("JT-0001").step == "gesprek"
    assert notices(tafel, "JT-0001", "tafel_late") == set()
    assert tafel.deadlines("JT-0001")["step:plannen"][0].status == "met"


def test_planned_late_tells_the_aanspreekpersoon_and_names_the_neighbour(tafel: Chat) -> None:
    text = tafel.say(ASTRID, "gepland JT-0001 15-12")
    assert "later dan twee weken" in text
    assert "Jeugdbeschermingstafel Centraal Gelderland" in text
    assert notices(tafel, "JT-0001", "tafel_late") == {"Daan van Wijk"}
    (late,) = [o for o in tafel.outbox("JT-0001") if o.template == "tafel_late"]
    rendered = tafel.renderer.render_name("tafel_late", late.payload)
    assert "Centraal Gelderland" in rendered and "wie Ede tafel" in rendered


def test_term_lapsing_without_a_date_tells_the_aanspreekpersoon_once(tafel: Chat) -> None:
    tafel.clock.set(at(8, 9, month=12))
    tafel.bot.sweep_once()  # the reminder before the term
    assert notices(tafel, "JT-0001", "reminder") == {"Astrid van Dijk", "Sanne van Dijk"}
    tafel.clock.set(at(9, 9, month=12))
    tafel.bot.sweep_once()
    tafel.bot.sweep_once()  # once, however often the sweep looks
    assert notices(tafel, "JT-0001", "escalation") == {"Daan van Wijk"}
    assert notices(tafel, "JT-0001", "escalation_told") == {"Astrid van Dijk", "Sanne van Dijk"}
    (esc,) = [o for o in tafel.outbox("JT-0001") if o.template == "escalation"]
    text = tafel.renderer.render_name("escalation", esc.payload)
    assert "buurtafel" in text and "wie Ede tafel" in text
    # The neighbouring tafel by name, from the directory (Food Valley's neighbour).
    assert "ruimte kan hebben: Jeugdbeschermingstafel Centraal Gelderland." in text
    # Nothing escalates further by itself.
    tafel.clock.set(at(9, 9, month=12) + timedelta(weeks=4))
    tafel.bot.sweep_once()
    assert notices(tafel, "JT-0001", "escalation") == {"Daan van Wijk"}
    assert tafel.deadlines("JT-0001")["step:plannen"][0].status == "lapsed"


def test_mine_shows_the_aanspreekpersoon_the_gemeentes_waits(tafel: Chat) -> None:
    """Daan (Ede's eerste aanspreekpersoon) follows Ede's registrations until the
    tafel has decided; Aalten's aanspreekpersoon sees none of Ede's."""
    tafel.ok(WENDY, "tafel Ede T-2")  # JT-0002
    tafel.clock.set(at(9, 9, month=12))
    tafel.bot.sweep_once()  # both terms lapse without a date
    tafel.ok(ASTRID, "gepland JT-0002 14-12")
    text = tafel.say(DAAN, "mijn")
    lines = [line for line in text.splitlines() if "JT-000" in line]
    assert len(lines) == 2 and "JT-0001" in lines[0] and "termijn verstreken" in lines[0]
    assert "U bent aan zet" not in text  # the voorzitter plans; Daan is told
    assert "JT-0001" not in tafel.say(AALTEN, "mijn")
    tafel.clock.set(at(14, 15, month=12))
    tafel.ok(ASTRID, "uitkomst JT-0002 1")
    text = tafel.say(DAAN, "mijn")
    assert "JT-0001" in text and "JT-0002" not in text  # held: no wait any more


def test_outcome_verslag_reaction_and_evaluation(tafel: Chat) -> None:
    tafel.refused(ASTRID, "uitkomst JT-0001 2", "tafel_not_planned")
    tafel.ok(ASTRID, "gepland JT-0001 3-12")
    tafel.refused(ASTRID, "uitkomst JT-0001 5", "tafel_outcome_usage")
    tafel.refused(ASTRID, "uitkomst JT-0001 2 veiligheid misschien", "tafel_outcome_usage")
    tafel.refused(ASTRID, "reactie JT-0001", "tafel_no_verslag")
    tafel.refused(ASTRID, "evaluatie JT-0001 1-3", "tafel_no_outcome")
    tafel.clock.set(at(3, 15, month=12))
    text = tafel.say(ASTRID, "uitkomst JT-0001 3 veiligheid nee")
    assert "raadsonderzoek" in text and "Niet besloten: veiligheidsafspraken" in text
    told = notices(tafel, "JT-0001", "tafel_party")
    assert told and "Astrid van Dijk" not in told  # the Raad, for the raadsonderzoek
    detail = [d for a, _, _, d in tafel.events("JT-0001") if a == "tafel_uitkomst"][0]
    assert detail == {"uitkomst": "3", "route": "ja", "hulp": "ja", "veiligheid": "nee"}
    assert tafel.referral("JT-0001").step == "verslag"
    with Session(tafel.engine) as s:
        ref = s.exec(select(Referral).where(Referral.ref == "JT-0001")).one()
        assert [b["action_id"] for b in buttons_for(ref, tafel.bot.routes, "nl")] == [
            "keten_verslag", "keten_status"]
    tafel.ok(ASTRID, "evaluatie JT-0001 1-3")
    tafel.refused(ASTRID, "verslag JT-0001 de ouders waren boos", "tafel_no_text")
    tafel.ok(ASTRID, "verslag JT-0001")
    assert tafel.referral("JT-0001").status == "closed"
    assert "Wendy Evers" in notices(tafel, "JT-0001", "tafel_party")
    text = tafel.say(ASTRID, "reactie JT-0001")
    assert "1 reactie toegevoegd" in text
    # The evaluation outlives the closing: reminded on 1 March, at the start of the day.
    (moment,) = tafel.deadlines("JT-0001")["moment:evaluatie"]
    assert moment.status == "pending"
    assert moment.remind_at == datetime(2027, 3, 1, 8, 30, tzinfo=AMS)
    tafel.clock.set(datetime(2027, 3, 1, 8, 31, tzinfo=AMS))
    tafel.bot.sweep_once()
    reminded = [o for o in tafel.outbox("JT-0001") if o.template == "reminder"]
    assert {_name(tafel, o.person_id) for o in reminded} == {
        "Astrid van Dijk", "Sanne van Dijk", "Wendy Evers"}
    assert "Evaluatiemoment van de tafel: vandaag" in tafel.renderer.render_name(
        "reminder", reminded[0].payload)


def test_warm_handover_after_an_ots_ends(chat: Chat) -> None:
    chat.ok(JEROEN, "tafel Ede T-4 ots-einde")
    chat.refused(JEROEN, "overdracht JT-0001", "ov_usage")
    chat.refused(WENDY, f"overdracht JT-0001 {JEROEN}", "not_allowed")
    chat.refused(JEROEN, f"overdracht JT-0001 {JEROEN}", "ov_self")
    text = chat.say(JEROEN, f"overdracht JT-0001 {WENDY}")
    assert "OV-0002" in text and "standaard van ketenbot" in text
    assert notices(chat, "OV-0002", "step_inform") == {"Wendy Evers"}
    (term,) = chat.deadlines("OV-0002")["step:gesprek"]
    assert term.due_at == end_of(8, 12)  # 10 werkdagen after Tue 24 Nov
    chat.refused(JEROEN, f"overdracht JT-0001 {WENDY}", "ov_duplicate")
    chat.refused(WENDY, "gezin OV-0002 nee", "ov_family_reason")
    chat.ok(WENDY, "gezin OV-0002 later eerst kennismaken met de ouders")
    chat.ok(WENDY, "gesprek OV-0002")
    assert chat.referral("OV-0002").step == "afspraken"
    chat.ok(JEROEN, "afspraken OV-0002")
    assert chat.referral("OV-0002").status == "closed"
    assert [a for a, *_ in chat.events("OV-0002")] == [
        "ov_gestart", "stap", "ov_gezin", "ov_gesprek", "stap", "ov_afspraken"]


def test_commands_name_their_process(tafel: Chat) -> None:
    tafel.ok(JEROEN, "verwijs 301 Ede K-9")  # KB-0002
    tafel.refused(ASTRID, "status KB-0002", "not_party")  # a voorzitter sees the tafel's cases
    tafel.refused(JEROEN, "verslag KB-0002", "model_ref_usage")  # a verslag is ES's or JT's
    tafel.refused(JEROEN, "gepland KB-0002 3-12", "tafel_not_tafel")
    tafel.refused(JEROEN, "afspraken KB-0002", "ov_not_handover")
    tafel.refused(WENDY, "status KB-0001", "ref_unknown")  # JT-0001 is no referral
    for command in ("ontvangen 1", "afwijzing JT-0001", "escaleer JT-0001", "gesprek JT-0001",
                    "aanbieder JT-0001 x"):
        text = tafel.refused(WENDY, command, "tafel_referral_only")
        assert "zaak van de Jeugdbeschermingstafel" in text and "verwijzing" in text
    assert "Jeugdbeschermingstafel" in tafel.say(WENDY, "status 1")


def test_a_tafel_case_can_be_the_subject_of_the_escalation_model(tafel: Chat) -> None:
    """Bouwsteen 6 is about any case: `escaleer JT-0001 <situatie>` starts it, with
    the registering organisation as a party; step 6 (no situation) stays the routes'."""
    tafel.refused(WENDY, "escaleer JT-0001", "tafel_referral_only")
    tafel.refused(WENDY, "escaleer KB-0001 samenwerking", "ref_unknown")  # JT-0001 is no KB
    tafel.refused(ASTRID, "escaleer JT-0001 samenwerking", "model_not_involved")  # the tafel
    tafel.refused(JEROEN, "escaleer JT-0001 samenwerking", "model_not_involved")  # no party
    reply = tafel.ok(WENDY, "escaleer JT-0001 samenwerking")
    assert reply.data["referral"] == "JT-0001"
    assert reply.data["organisations"] == ["Sociaal Team Ede"]
    tafel.refused(WENDY, "escaleer JT-0001 dilemma", "model_open")
    assert "ES-0001" in tafel.say(WENDY, "status JT-0001")
    # The tafel case itself goes on as before: the escalation moves no step.
    assert tafel.referral("JT-0001").step == "plannen"
    tafel.ok(WENDY, "opgelost JT-0001")
    with Session(tafel.engine) as s:
        esc = s.exec(select(ModelEscalation)).one()
        assert (esc.ref, esc.status) == ("ES-0001", "closed")


def test_referral_figures_count_referrals_only(tafel: Chat) -> None:
    from datetime import date

    from handlers.overview.figures import Period, Scope, figures

    tafel.ok(JEROEN, "verwijs 301 Ede K-9")
    tafel.ok(JEROEN, "tafel Ede T-9 ots-einde")
    with Session(tafel.engine) as s:
        found = figures(s, Scope(Period(date(2026, 11, 1), date(2026, 11, 30))),
                        tafel.bot.calendar(), tafel.bot.routes)
    assert sum(g["started"] for g in found["per_gemeente"]) == 1  # KB-0002, not JT-0001/3


def test_a_tafel_case_is_withdrawn_by_its_aanmelder(tafel: Chat) -> None:
    tafel.refused(JEROEN, "intrekken JT-0001", "not_party")
    tafel.refused(DAAN, "intrekken JT-0001", "not_allowed")  # told, not in charge
    text = tafel.say(WENDY, "intrekken JT-0001 het gezin is verhuisd")
    assert "Ingetrokken" in text and tafel.referral("JT-0001").status == "withdrawn"
    assert all(d.status != "pending" for d in tafel.deadlines("JT-0001")["step:plannen"])
    tafel.refused(ASTRID, "gepland JT-0001 3-12", "referral_closed")


def test_the_process_data_decides_the_steps(chat: Chat, tmp_path: Path) -> None:
    """A region whose tafel has no verslag step of its own: the outcome ends it."""
    from bot.app import KetenBot
    from scheduling.routes import ROUTES_FILE, load_routes

    text = ROUTES_FILE.read_text(encoding="utf-8")
    start = text.index("      - key: verslag\n")
    end = text.index("    moments:")
    path = tmp_path / "routes.yaml"
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    region = Chat(KetenBot(settings=chat.bot.settings, engine=chat.engine, clock=chat.clock,
                           routes=load_routes(path)), chat.clock)
    region.ok(WENDY, "tafel Ede T-5")
    region.ok(ASTRID, "gepland JT-0001 3-12")
    region.ok(ASTRID, "uitkomst JT-0001 1")
    assert region.referral("JT-0001").status == "closed"
    region.refused(ASTRID, "verslag JT-0001", "referral_closed")


def test_in_english(tafel: Chat) -> None:
    text = tafel.say(WENDY, "status JT-0001", lang="en")
    assert "youth protection table" in text and "scheduled JT-0001 <date>" in text
    text = tafel.say(ASTRID, "scheduled JT-0001 15-12", lang="en")
    assert "neighbouring table" in text


@pytest.mark.parametrize(("registered", "last_day"), [
    # Two weeks from Fri 11 Dec 2026 is Christmas Day: the term ends on Mon 28 Dec.
    (datetime(2026, 12, 11, 10, 0, tzinfo=AMS), "ma 28 dec 2026"),
    # Two weeks from Tue 13 Apr 2027 is Koningsdag (Tue 27 Apr): Wed 28 Apr.
    (datetime(2027, 4, 13, 10, 0, tzinfo=AMS), "wo 28 apr 2027"),
])
def test_the_two_weeks_end_on_a_werkdag(chat: Chat, registered: datetime,
                                        last_day: str) -> None:
    chat.clock.set(registered)
    text = chat.say(WENDY, "tafel Ede T-7")
    assert f"uiterlijk {last_day}" in text

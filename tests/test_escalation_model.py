"""Bouwsteen 6 in chat: the escalation model takes no step by itself.

People start it, add organisations, take tiers (with the seed's rights),
record the family's position, and close it by approving a report. Every
refusal says why and changes nothing; the clock moved a year on changes nothing.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.app import KetenBot
from bot.config import Settings
from handlers.core import Reply
from messages import Renderer
from storage.models import Person
from storage.tables import (
    ModelEscalation,
    ModelEscalationEvent,
    ModelEscalationParty,
    Outbox,
    Referral,
)
from tests.conftest import FakeClock, import_file

DATA = Path(__file__).parent / "data"
JEROEN = "jeroen.bakker@jbgld.example.org"  # jeugdbeschermer, JBG Food Valley
TESS = "tess.visser@jbgld.example.org"  # GI teamleider
DENNIS = "dennis.smits@jbgld.example.org"  # GI gedragswetenschapper
BRAM = "bram.devries@sociaalteam-ede.example.org"  # LT Ede worker
CARLA = "carla.smit@sociaalteam-ede.example.org"  # LT Ede teamleider
MONIQUE = "monique.peters@regio-foodvalley.example.org"  # regionale contactpersoon
OLGA = "olga.huisman@jbgld.example.org"  # JB in the Achterhoek (same GI)
KOEN = "koen.vanderwal@jbgld.example.org"  # JB in Food Valley (same GI, serves Ede)
MARIA = "maria.manager@jbgld.example.org"  # GI manager (tests/data/bestuur.yaml)
BAS = "bas.bestuur@jbgld.example.org"  # GI bestuurder
DIRK = "dirk.directeur@sociaalteam-ede.example.org"  # LT Ede directeur
WENDELA = "wendela.wethouder@ede.example.org"  # wethouder Ede
VT_LEADER = "Bart Lammers"  # Veilig Thuis Gelderland-Midden teamleider (sample)


class Chat:
    def __init__(self, bot: KetenBot, clock: FakeClock) -> None:
        self.bot, self.clock, self.engine = bot, clock, bot.engine
        self.renderer = Renderer("text")

    def do(self, who: str, text: str, lang: str = "nl") -> Reply:
        person = self.bot.person_by_email(who)
        assert person is not None, who
        return self.bot.registry.dispatch(self.bot.context("console", person, lang), text)

    def ok(self, who: str, text: str) -> Reply:
        reply = self.do(who, text)
        assert reply.ok, (text, reply.data)
        for lang in ("nl", "en"):
            self.renderer.render(reply, lang)
        return reply

    def say(self, who: str, text: str) -> str:
        return self.renderer.render(self.do(who, text))

    def refused(self, who: str, text: str, code: str) -> str:
        before = self.state()
        reply = self.do(who, text)
        assert not reply.ok and reply.data["code"] == code, (text, reply.data)
        assert self.state() == before, f"{text!r} was refused but changed something"
        nl, en = self.renderer.render(reply, "nl"), self.renderer.render(reply, "en")
        assert "Dat lukte niet" not in nl and "did not work" not in en
        return nl

    def state(self) -> dict[str, Any]:
        with Session(self.engine) as s:
            return {
                "esc": [(e.id, e.tier, e.status, e.family_informed, e.family_reason)
                        for e in s.exec(select(ModelEscalation))],
                "parties": len(s.exec(select(ModelEscalationParty)).all()),
                "events": len(s.exec(select(ModelEscalationEvent)).all()),
                "outbox": len(s.exec(select(Outbox)).all()),
            }

    def esc(self, n: int = 1) -> ModelEscalation:
        with Session(self.engine) as s:
            found = s.get(ModelEscalation, n)
            assert found is not None
            s.expunge(found)
            return found

    def actions(self, n: int = 1) -> list[tuple[str, dict[str, Any]]]:
        with Session(self.engine) as s:
            return [(e.action, dict(e.detail)) for e in s.exec(
                select(ModelEscalationEvent).where(ModelEscalationEvent.escalation_id == n)
                .order_by(col(ModelEscalationEvent.id)))]

    def messages_to(self, email: str) -> list[Outbox]:
        person = self.bot.person_by_email(email)
        assert person is not None
        with Session(self.engine) as s:
            rows = list(s.exec(select(Outbox).where(Outbox.person_id == person.id,
                                                    Outbox.kind == "model")))
            for r in rows:
                s.expunge(r)
            return rows


@pytest.fixture
def chat(db_url: str, sample_engine: Engine, clock: FakeClock) -> Chat:
    import_file(sample_engine, DATA / "bestuur.yaml")
    bot = KetenBot(settings=Settings(database_url=db_url, language="nl"), engine=sample_engine,
                   clock=clock)
    c = Chat(bot, clock)
    c.ok(JEROEN, "verwijs 301 Ede K-1")
    return c


def test_the_model_takes_no_step_by_itself_at_any_time(chat: Chat) -> None:
    reply = chat.ok(JEROEN, "escaleer KB-0001 dilemma")
    assert reply.data["es_ref"] == "ES-0001" and not reply.private
    text = chat.renderer.render(reply)
    assert "Geen termijnen, geen automatische stappen" in text
    assert "Is het gezin vooraf geïnformeerd over dit overleg?" in text
    esc = chat.esc()
    assert (esc.situation, esc.tier, esc.status, esc.kenmerk) == ("dilemma", 0, "open", "K-1")
    with Session(chat.engine) as s:
        assert s.get(Referral, 1).step == "contact"  # type: ignore[union-attr]
    before = chat.state()
    for days in (1, 3, 14, 60, 365):
        chat.clock.set(chat.clock.now + timedelta(days=days))
        chat.bot.tick([])
    after = chat.state()
    # The referral's own deadlines still escalate; the escalation model does not move.
    assert after["esc"] == before["esc"] and after["events"] == before["events"]
    assert not chat.messages_to(DENNIS) and not chat.messages_to(TESS)


def test_tiers_are_taken_by_people_with_the_right_to(chat: Chat) -> None:
    chat.ok(JEROEN, "escaleer KB-0001 dilemma")
    text = chat.refused(JEROEN, "trede ES-0001 2", "model_tier2_after1")
    assert "eerst de gedragswetenschappers" in text
    text = chat.refused(TESS, "trede ES-0001 1", "model_tier_rights")
    assert text.startswith("Trede 1 mag alleen gezet worden door: medewerker, backoffice.")
    reply = chat.ok(JEROEN, "trede ES-0001 1")
    # Every involved organisation's gedragswetenschapper; the LT has none: named, not replaced.
    assert reply.data["brought"] == ["Dennis Smits"]
    assert reply.data["missing"] == [{"role": "gedragswetenschapper",
                                      "where": "Sociaal Team Ede"}]
    assert [m.template for m in chat.messages_to(DENNIS)] == ["model_tier"]
    chat.refused(JEROEN, "trede ES-0001 1", "model_tier_taken")
    chat.refused(MARIA, "trede ES-0001 2", "model_tier_rights")  # a manager: tier 3 only
    reply = chat.ok(DENNIS, "trede ES-0001 2")  # a gedragswetenschapper may
    assert set(reply.data["brought"]) == {"Tess Visser", "Maria Mulder", "Carla Smit",
                                          "Dirk Dijkstra"}
    text = chat.refused(BRAM, "trede ES-0001 3", "model_tier_rights")
    assert "manager, directeur" in text and "medewerker" in text
    reply = chat.ok(DIRK, "trede ES-0001 3")
    assert set(reply.data["brought"]) == {"Bas Bosman", "Wendela Wit", "Ben Beek"}
    assert reply.data["missing"] == [{"role": "bestuurder", "where": "Sociaal Team Ede"}]
    assert chat.esc().tier == 3
    assert [a for a, _ in chat.actions()] == ["gestart", "trede", "trede", "trede"]
    # Those brought in take part, though their organisation is no party.
    assert chat.ok(WENDELA, "status ES-0001").ok


def test_without_anyone_for_a_tier_it_says_who_is_missing(chat: Chat) -> None:
    chat.ok(CARLA, "escaleer kenmerk LT-77 Ede samenwerking")
    chat.ok(CARLA, "partij ES-0001 vt")
    chat.ok(BRAM, "trede ES-0001 2")
    with Session(chat.engine) as s:  # Ede's wethouder and ambtenaar left the directory
        for p in s.exec(select(Person).where(col(Person.email).endswith("@ede.example.org"))):
            p.role = "medewerker"
            s.add(p)
        s.commit()
    text = chat.refused(DIRK, "trede ES-0001 3", "model_tier_nobody")
    assert text.startswith("Voor trede 3 van ES-0001 staat niemand in de contactenlijst. "
                           "Ontbreekt: bestuurder bij Sociaal Team Ede; bestuurder bij Veilig "
                           "Thuis Gelderland-Midden; wethouder bij Ede; beleidsmedewerker "
                           "(ambtelijk) bij Ede.")
    assert "er is niemand anders benaderd" in text


def test_family_position_yes_no_later_never_family_data(chat: Chat) -> None:
    chat.ok(JEROEN, "escaleer KB-0001 samenwerking")
    chat.refused(JEROEN, "gezin ES-0001", "model_family_usage")
    chat.refused(JEROEN, "gezin ES-0001 misschien", "model_family_usage")
    text = chat.refused(JEROEN, "gezin ES-0001 later", "model_family_reason")
    assert "waarom" in text
    chat.refused(JEROEN, "gezin ES-0001 nee 111222333", "bsn")
    chat.ok(JEROEN, "gezin ES-0001 later moeder is opgenomen, uitleg na het overleg")
    assert (chat.esc().family_informed, chat.esc().family_reason) == (
        "later", "moeder is opgenomen, uitleg na het overleg")
    # One answer per tier: nobody overwrites it.
    text = chat.refused(BRAM, "gezin ES-0001 yes", "model_family_done")
    assert "al vastgelegd door Jeroen Bakker" in text and "niet overschreven" in text
    assert [d for a, d in chat.actions() if a == "familie"] == [{"antwoord": "later",
                                                                "tier": 0}]
    assert "Gezin bij de start: wordt achteraf geïnformeerd — moeder is opgenomen" in \
        chat.say(JEROEN, "status ES-0001")


def test_the_report_records_the_meeting_and_the_parties_close_it(chat: Chat) -> None:
    chat.ok(JEROEN, "escaleer KB-0001 samenwerking")
    chat.refused(JEROEN, "akkoord ES-0001", "model_no_report")
    chat.ok(BRAM, "trede ES-0001 2")
    chat.refused(JEROEN, "verslag ES-0001", "model_report_usage")
    reply = chat.ok(JEROEN, "verslag ES-0001 wachtlijst doorbroken <spoed> & plek gevonden")
    assert set(reply.data["pending"]) == {"Bram de Vries", "Tess Visser", "Maria Mulder",
                                          "Carla Smit", "Dirk Dijkstra"}
    assert [m.template for m in chat.messages_to(TESS)][-1] == "model_report"
    assert "▶ Verslag ter goedkeuring: `akkoord ES-0001`" in chat.say(TESS, "mijn")
    chat.refused(JEROEN, "akkoord ES-0001", "model_already_approved")
    chat.refused(OLGA, "akkoord ES-0001", "model_not_party")  # same GI, another region
    chat.refused(MONIQUE, "akkoord ES-0001", "model_not_party")
    for who in (BRAM, TESS, MARIA, CARLA):
        assert chat.ok(who, "akkoord ES-0001").data["status"] == "open"
    reply = chat.ok(DIRK, "akkoord ES-0001")
    # The meeting is recorded; that is not the end of the escalation.
    assert reply.data["status"] == "open" and reply.data["headline"] == "overleg"
    assert "het overleg van trede 2 is vastgelegd" in chat.renderer.render(reply)
    action, detail = chat.actions()[-1]
    assert action == "overleg" and detail["tier"] == 2
    chat.refused(BRAM, "verslag ES-0001 nog een keer", "model_meeting_done")
    assert "ES-0001" in chat.say(TESS, "mijn")
    # Each party says it is resolved; the last one closes it.
    reply = chat.ok(BRAM, "opgelost ES-0001")
    assert reply.data["status"] == "open" and reply.data["resolved_by"] == ["Sociaal Team Ede"]
    chat.refused(CARLA, "opgelost ES-0001", "model_resolved_already")
    reply = chat.ok(TESS, "opgelost ES-0001")
    assert reply.data["status"] == "closed" and chat.esc().closed_at == chat.clock.now
    assert chat.actions()[-1] == ("gesloten", {"hoe": "opgelost"})
    assert "Escalatie gesloten" in chat.renderer.render(reply)
    chat.refused(BRAM, "trede ES-0001 3", "model_closed")
    assert "ES-0001" not in chat.say(TESS, "mijn")
    assert ("Escalatiemodel: ES-0001 (samenwerking verloopt niet volgens afspraak, trede 2, "
            "leidinggevenden, gesloten)") in chat.say(BRAM, "status KB-0001")
    # The approved verslag stays readable by the parties after closing.
    text = chat.say(CARLA, "status ES-0001")
    assert "Vastgelegde verslagen:" in text and "wachtlijst doorbroken" in text


def test_a_leidinggevende_closes_with_a_reason_and_opgelost_still_works(chat: Chat) -> None:
    chat.ok(JEROEN, "escaleer KB-0001 zorgelijk")
    chat.refused(JEROEN, "escaleer KB-0001 samenwerking", "model_open")
    text = chat.refused(JEROEN, "sluit ES-0001 klaar", "model_close_rights")
    assert "leidinggevenden" in text
    chat.refused(CARLA, "sluit ES-0001", "model_close_usage")
    reply = chat.ok(CARLA, "sluit ES-0001 gesprek gevoerd, afspraken gemaakt")
    assert reply.data["how"] == "leidinggevende" and chat.esc().status == "closed"
    # `opgelost` with a referral: its open escalation, for the actor's organisation.
    chat.ok(BRAM, "escaleer KB-0001 samenwerking")
    reply = chat.ok(BRAM, "opgelost KB-0001 samen opgelost")
    assert reply.data["es_ref"] == "ES-0002"
    assert reply.data["status"] == "open"  # the GI has not said so yet
    assert reply.data["resolved_waiting"] == ["Jeugdbescherming Gelderland"]
    assert chat.ok(JEROEN, "opgelost KB-0001").data["status"] == "closed"
    chat.refused(JEROEN, "opgelost KB-0001", "model_none")


def test_starting_from_a_case_reference_and_who_may_start(chat: Chat) -> None:
    chat.refused(MONIQUE, "escaleer KB-0001 dilemma", "model_not_involved")
    chat.refused(OLGA, "escaleer KB-0001 onzin", "model_start_usage")
    chat.refused(MONIQUE, "escaleer kenmerk X-1 Ede dilemma", "model_not_professional")
    chat.refused(CARLA, "escaleer kenmerk X-1 Edde dilemma", "gemeente_unknown")
    reply = chat.ok(CARLA, "escaleer kenmerk X-1 Ede dilemma")
    assert reply.data["organisations"] == ["Sociaal Team Ede"]
    assert reply.data["referral"] is None
    chat.refused(OLGA, "status ES-0001", "model_not_party")
    chat.refused(CARLA, "partij ES-0001 lt", "model_party_already")
    chat.refused(CARLA, "partij ES-0001 niemand", "model_party_unknown")
    text = chat.refused(CARLA, "partij ES-0001 gi", "model_party_ambiguous")
    assert "jbgld, ldh-jr" in text  # two GIs work in Ede: name the one
    chat.ok(CARLA, "partij ES-0001 jbgld")
    chat.ok(KOEN, "status ES-0001")  # his GI is a party now, and he works in Ede
    chat.refused(OLGA, "status ES-0001", "model_not_party")  # she does not
    chat.refused(BRAM, "escaleer kenmerk x-1 Ede samenwerking", "model_open")


def test_english_aliases_and_help(chat: Chat) -> None:
    chat.ok(JEROEN, "escalate KB-0001 cooperation")
    chat.ok(JEROEN, "family ES-0001 no we could not reach them")
    chat.ok(BRAM, "tier ES-0001 2")
    chat.ok(BRAM, "report ES-0001 done")
    assert chat.ok(TESS, "approve ES-0001").ok
    help_text = chat.say(JEROEN, "help")
    for word in ("trede <ES-ref>", "gezin <ES-ref|OV>", "verslag <ES-ref>", "akkoord <ES-ref>",
                 "sluit <ES-ref>", "partij <ES-ref>", "(ook: approve)", "(ook: tier)"):
        assert word in help_text
    reply = chat.do(JEROEN, "status ES-0001", "en")
    assert "Family at the start: not told — we could not reach them (Jeroen Bakker," in \
        chat.renderer.render(reply, "en")


def test_every_escalation_message_renders_on_every_platform(chat: Chat) -> None:
    chat.ok(JEROEN, "escaleer KB-0001 dilemma")
    chat.ok(JEROEN, "partij ES-0001 vt")
    chat.ok(JEROEN, "trede ES-0001 1")
    chat.ok(DENNIS, "trede ES-0001 2")
    chat.ok(MARIA, "trede ES-0001 3")
    chat.ok(JEROEN, "verslag ES-0001 a <b> & c")
    chat.ok(CARLA, "sluit ES-0001 x & y")
    with Session(chat.engine) as s:
        rows = list(s.exec(select(Outbox).where(col(Outbox.template).in_(
            ["model_started", "model_tier", "model_report", "model_closed", "thread_model"]))))
    assert {r.template for r in rows} == {"model_started", "model_tier", "model_report",
                                          "model_closed", "thread_model"}
    for platform in ("text", "slack", "telegram"):
        renderer = Renderer(platform)
        for row in rows:
            for lang in ("nl", "en"):
                out = renderer.render_name(row.template, row.payload, lang)
                assert "ES-0001" in out and "{{" not in out
                if platform == "slack":
                    assert "<b>" not in out and "x & y" not in out
    thread = [r for r in rows if r.template == "thread_model"]
    assert len(thread) == 7 and all(r.referral_id == 1 and r.person_id is None for r in thread)


def test_a_party_added_after_a_tier_has_its_people_brought_in_by_that_command(
        chat: Chat) -> None:
    chat.ok(CARLA, "escaleer kenmerk LT-9 Ede samenwerking")
    chat.ok(BRAM, "trede ES-0001 2")
    reply = chat.ok(BRAM, "partij ES-0001 vt")
    assert reply.data["brought"] == [VT_LEADER]
    assert f"Erbij gehaald voor trede 2, leidinggevenden: {VT_LEADER}." in \
        chat.renderer.render(reply)
    # Brought in: part of the escalation, and asked to approve its report.
    chat.ok(BRAM, "verslag ES-0001 wachtlijst VT besproken")
    assert VT_LEADER in chat.ok(CARLA, "status ES-0001").data["pending"]

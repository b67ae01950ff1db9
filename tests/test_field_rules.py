"""Issue 18's rules read against the seed, played through the console with its
clock (`:als`, `:klok`, and what the worker delivers printed per recipient):

- absent without a (present) koppelgenoot: the team leader gets the reminders,
  the escalation and the new work; nobody absent is sent any; `afwezig` and
  `wie` say so;
- Bouwsteen 6: a verslag per meeting, approved by that meeting's participants;
  the escalation closes when its parties say it is resolved; the approved
  verslagen stay readable after closing; the family asked at each tier;
- the 315 step-1 lapse tells the regional contact person only what is hers
  (the JB–lokaal team contact), and the JB that she was told;
- a 301 asks for the voorkeursaanbieder at `volgende`; no provider step without one;
- `verwijs … [e-mail]` and `herverdeel` name a worker of the gemeente's lokaal team;
- "zorgaanbieder" is the provider's contact for the referral, its team leader
  as fallback, not everyone who works there.
"""

from __future__ import annotations

import io
import json
import re
from datetime import date, datetime
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from bot.app import KetenBot
from bot.config import Settings
from bot.console import ConsoleSession
from bot.console_clock import MovableClock
from storage import db
from storage.models import Person
from storage.tables import (
    ModelEscalation,
    ModelEscalationEvent,
    ModelEscalationFamily,
    Outbox,
    Referral,
)
from tests.conftest import AMS

JEROEN = "jeroen.bakker@jbgld.example.org"  # jeugdbeschermer, JBG Food Valley
TESS = "tess.visser@jbgld.example.org"  # his GI teamleider
DENNIS = "dennis.smits@jbgld.example.org"  # GI gedragswetenschapper
ANOUK = "anouk.jansen@sociaalteam-ede.example.org"  # LT Ede, absent until 2027-01-15
BRAM = "bram.devries@sociaalteam-ede.example.org"  # LT Ede
WENDY = "wendy.evers@sociaalteam-ede.example.org"  # LT Ede, koppelgenoot Iris
IRIS = "iris.vanderwal@sociaalteam-ede.example.org"
CARLA = "carla.smit@sociaalteam-ede.example.org"  # LT Ede teamleider
MONIQUE = "monique.peters@regio-foodvalley.example.org"  # regionale contactpersoon
LOTTE = "lotte.vanvliet@sociaalwijkteam-barneveld.example.org"  # LT Barneveld
SASKIA = "saskia.willems@wilgenhoforthopedagogischcentrum.example.org"  # Wilgenhof
ESTHER = "esther.peeters@wilgenhoforthopedagogischcentrum.example.org"  # Wilgenhof
PETRA = "petra.schouten@wilgenhoforthopedagogischcentrum.example.org"  # Wilgenhof teamleider
WILGENHOF = "wilgenhof-orthopedagogisch-centrum"
ASTRID = "astrid.kramer@zandlopergezinsbegeleiding.example.org"  # Zandloper
FATIMA = "fatima.hendriks@zandlopergezinsbegeleiding.example.org"  # Zandloper
PIETER = "pieter.dehaan@zandlopergezinsbegeleiding.example.org"  # Zandloper teamleider
ZANDLOPER = "zandloper-gezinsbegeleiding"
BACKOFFICE = "bram.yilmaz@backoffice-foodvalley.example.org"


class Console:
    """One `ketenbot console` session with its movable clock, started Tue 24 Nov 2026 10:00."""

    def __init__(self, engine: Engine, db_url: str) -> None:
        self.engine = engine
        self.clock = MovableClock(datetime(2026, 11, 24, 10, 0, tzinfo=AMS))
        self.bot = KetenBot(Settings(database_url=db_url, language="nl"), engine, self.clock)
        self.out = io.StringIO()
        self.session = ConsoleSession(self.bot, None, "nl", self.out)
        self.session.attach_clock(self.clock)

    def run(self, script: str) -> str:
        """Type the lines; every answer and every message delivered on the way."""
        start = len(self.out.getvalue())
        answers = [self.session.handle(line) for line in script.strip().splitlines()]
        return "\n".join(answers) + "\n" + self.out.getvalue()[start:]

    def as_(self, email: str, line: str) -> str:
        return self.run(f":als {email}\n{line}")

    def person(self, email: str) -> Person:
        found = self.bot.person_by_email(email)
        assert found is not None, email
        return found

    def outbox_to(self, email: str, since: int = 0) -> list[Outbox]:
        pid = self.person(email).id
        with Session(self.engine) as s:
            rows = list(s.exec(select(Outbox).where(Outbox.person_id == pid,
                                                    col(Outbox.id) > since)
                               .order_by(col(Outbox.id))))
            for r in rows:
                s.expunge(r)
            return rows

    def last_outbox_id(self) -> int:
        with Session(self.engine) as s:
            return max(s.exec(select(Outbox.id)).all(), default=None) or 0

    def referral(self, ref: str = "KB-0001") -> Referral:
        with Session(self.engine) as s:
            found = s.exec(select(Referral).where(Referral.ref == ref)).one()
            s.expunge(found)
            return found

    def edit(self, email: str, **values: Any) -> None:
        with Session(self.engine) as s:
            p = s.exec(select(Person).where(Person.email == email)).one()
            for k, v in values.items():
                setattr(p, k, v)
            s.add(p)
            s.commit()


@pytest.fixture
def console(db_url: str, sample_engine: Engine) -> Console:
    return Console(sample_engine, db_url)


def delivered_to(out: str, email: str) -> list[str]:
    """The messages the console printed for one recipient (each with its
    indented continuation lines, joined by spaces)."""
    messages: list[str] = []
    for line in out.splitlines():
        if re.match(r"^  \w{2,3} \d\d-\d\d \d\d:\d\d → \[", line):
            messages.append(line)
        elif line.startswith("      ") and messages:
            messages[-1] += " " + line.strip()
        elif messages and not line.startswith(" "):
            messages.append("")  # an answer: the message before it has ended
    return [m for m in messages if f"<{email}>]" in m]


# -- 2. absence without a koppelgenoot ------------------------------------------------


def test_absent_without_a_koppelgenoot_the_team_leader_gets_reminders_and_escalation(
        console: Console) -> None:
    console.edit(BRAM, koppelgenoot_id=None)
    out = console.as_(JEROEN, f"verwijs 301 Ede K-1 {BRAM}")
    assert "Verwijzing gestart: KB-0001" in out
    out = console.as_(BRAM, "afwezig tot 31-12-2026")
    assert ("U heeft geen koppelgenoot: uw teamleider (Carla Smit) krijgt tot dan uw "
            "herinneringen, escalaties en nieuw werk") in out
    since = console.last_outbox_id()

    # Thu 26 Nov: one werkdag before step 1's three werkdagen end.
    out = console.run(":klok 2026-11-26 10:00")
    [reminder] = delivered_to(out, CARLA)
    assert "Herinnering KB-0001" in reminder and "Bram de Vries is afwezig" in reminder
    assert delivered_to(out, JEROEN)  # the JB is reminded as always

    # The JB reaches the lokaal team after all; at step 4 it is the lokaal team's turn.
    console.as_(JEROEN, "contact KB-0001")
    out = console.as_(JEROEN, f"volgende KB-0001 {WILGENHOF}")
    assert console.referral().step == "toewijzing"
    out = console.run(":klok 2026-12-04 10:00")  # the 5 werkdagen lapsed Thursday night
    to_carla = delivered_to(out, CARLA)
    assert any("Herinnering KB-0001" in m for m in to_carla)
    assert any("Termijn verstreken: KB-0001" in m and "Stap 4" in m for m in to_carla)
    # Nobody absent is sent work: not the reminder, the escalation, nor "your turn".
    assert console.outbox_to(BRAM, since) == []
    assert {o.template for o in console.outbox_to(CARLA, since)} >= {
        "reminder", "escalation", "your_turn"}


def test_absent_with_an_absent_koppelgenoot_and_wie_marks_a_team_nobody_can_take(
        console: Console, monkeypatch: pytest.MonkeyPatch) -> None:
    # `wie` sees a change within a second in production; here at once.
    monkeypatch.setattr("handlers.contacts.directory_cache.CHECK_EVERY", 0.0)
    out = console.as_(BRAM, "afwezig tot 31-12-2026")  # his koppelgenoot Anouk is away too
    assert "Uw koppelgenoot Anouk Jansen is ook afwezig: uw teamleider (Carla Smit)" in out
    out = console.as_(WENDY, "afwezig tot 2026-12-31")
    assert "Tot dan gaat nieuw werk naar koppelgenoot Iris van der Wal" in out
    assert "Niemand van dit team is aanwezig" not in console.as_(JEROEN, "wie Ede lt")
    console.as_(IRIS, "afwezig tot 2026-12-31")
    out = console.as_(JEROEN, "wie Ede lt")
    assert "⚠ Niemand van dit team is aanwezig om nieuw werk aan te nemen: bel de " \
           "teamleider." in out
    english = ConsoleSession(console.bot, console.person(JEROEN), "en", io.StringIO())
    assert "⚠ Nobody in this team is present to take new work" in english.handle("wie Ede lt")


# -- 15 and 20. Bouwsteen 6: a verslag per meeting, the family at each tier -------------------


def test_a_tier_1_meeting_that_did_not_bridge_it_leads_to_tier_2_and_closes_when_resolved(
        console: Console) -> None:
    console.as_(JEROEN, "verwijs 301 Ede K-1")
    out = console.as_(JEROEN, "escaleer KB-0001 dilemma")
    assert "Positie van het gezin bij de start: nog niet vastgelegd" in out
    console.as_(JEROEN, "gezin ES-0001 ja")
    out = console.as_(JEROEN, "trede ES-0001 1")
    # A new tier, new people, a new meeting: the family's position is asked again.
    assert "Positie van het gezin bij trede 1: nog niet vastgelegd" in out
    assert "▶ Positie van het gezin vastleggen" in console.as_(JEROEN, "mijn")

    console.run(":klok 2026-11-27 10:00")  # the meeting of the gedragswetenschappers
    console.as_(JEROEN, "gezin ES-0001 later gezin hoort het na het overleg")
    text = console.as_(BRAM, "gezin ES-0001 nee toch niet")
    assert "al vastgelegd door Jeroen Bakker" in text
    out = console.as_(JEROEN, "verslag ES-0001 verschil van inzicht niet overbrugd")
    assert "Verslag ter goedkeuring (overleg van trede 1)" in out
    with Session(console.engine) as s:
        report = s.exec(select(ModelEscalationEvent).where(
            ModelEscalationEvent.action == "verslag")).one()
        who = {s.get(Person, i).email for i in report.detail["deelnemers"]}  # type: ignore[union-attr]
    # That meeting's participants: the professionals and the gedragswetenschapper.
    assert who == {JEROEN, DENNIS}
    out = console.as_(DENNIS, "akkoord ES-0001")
    assert "Overleg vastgelegd: ES-0001" in out
    # Approving the verslag records the meeting; it does not close the escalation.
    assert console_status(console) == "open"
    console.as_(JEROEN, "verslag ES-0001 nog een verslag")  # one per meeting
    assert len(reports_of(console)) == 1

    # Not bridged: the next tier follows, with a meeting of its own.
    console.run(":klok 2026-12-02 10:00")
    console.as_(DENNIS, "trede ES-0001 2")
    console.as_(DENNIS, "gezin ES-0001 ja")
    out = console.as_(TESS, "verslag ES-0001 leidinggevenden: plek via wachtlijstbeheer")
    with Session(console.engine) as s:
        report = s.exec(select(ModelEscalationEvent).where(
            ModelEscalationEvent.action == "verslag")
            .order_by(col(ModelEscalationEvent.id).desc())).first()
        assert report is not None and report.detail["tier"] == 2
        who = {s.get(Person, i).email for i in report.detail["deelnemers"]}  # type: ignore[union-attr]
    assert CARLA in who and TESS in who and JEROEN in who and DENNIS in who
    assert MONIQUE not in who
    for email in sorted(who - {TESS}):
        console.as_(email, "akkoord ES-0001")
    assert console_status(console) == "open"
    out = console.as_(JEROEN, "opgelost ES-0001")
    assert "Opgelost volgens: Jeugdbescherming Gelderland. Wacht nog op: Sociaal Team Ede" in out
    assert delivered_to(console.run(":klok 2026-12-03 09:00"), CARLA)
    out = console.as_(CARLA, "opgelost ES-0001 plek gevonden")
    assert "Escalatie gesloten" in out and console_status(console) == "closed"
    assert "alle partijen zeggen dat het verschil is overbrugd" in out

    # After closing: both meetings' verslagen stay readable by the parties, and
    # every family answer, per tier, with who gave it and when.
    out = console.as_(BRAM, "status ES-0001")
    assert "Vastgelegde verslagen:" in out
    assert "Trede 1 (vr 27 nov 2026" in out and "verschil van inzicht niet overbrugd" in out
    assert "Trede 2 (wo 2 dec 2026" in out and "plek via wachtlijstbeheer" in out
    assert "Gezin bij de start: vooraf geïnformeerd (Jeroen Bakker, di 24 nov 2026" in out
    assert ("Gezin bij trede 1: wordt achteraf geïnformeerd — gezin hoort het na het overleg "
            "(Jeroen Bakker, vr 27 nov 2026") in out
    assert "Gezin bij trede 2: vooraf geïnformeerd (Dennis Smits, wo 2 dec 2026" in out
    with Session(console.engine) as s:
        assert [(f.tier, f.answer) for f in s.exec(select(ModelEscalationFamily).order_by(
            col(ModelEscalationFamily.tier)))] == [(0, "ja"), (1, "later"), (2, "ja")]


def console_status(console: Console) -> str:
    with Session(console.engine) as s:
        return s.exec(select(ModelEscalation.status)).one()


def reports_of(console: Console) -> list[ModelEscalationEvent]:
    with Session(console.engine) as s:
        return list(s.exec(select(ModelEscalationEvent).where(
            ModelEscalationEvent.action == "verslag")))


def test_a_leidinggevende_still_closes_it_with_a_reason(console: Console) -> None:
    console.as_(CARLA, "escaleer kenmerk LT-7 Ede samenwerking")
    console.as_(CARLA, "partij ES-0001 jbgld")
    out = console.as_(CARLA, "sluit ES-0001 afspraken gemaakt met de GI")
    assert "Gesloten door een leidinggevende: afspraken gemaakt met de GI" in out


# -- 16. the 315 step-1 lapse ------------------------------------------------------------------


def test_315_step_1_lapse_with_the_lt_contact_made_is_not_the_contact_persons_business(
        console: Console) -> None:
    console.as_(JEROEN, "verwijs 315 Ede K-1")
    console.as_(BRAM, "ontvangen KB-0001")  # the LT consultation is there
    out = console.run(":klok 2026-12-02 10:00")  # 5 werkdagen ended Tue 1 Dec
    assert not delivered_to(out, MONIQUE)
    [to_jb] = [m for m in delivered_to(out, JEROEN) if "Termijn verstreken" in m]
    assert "Het overleg met een zorgaanbieder is niet binnen de termijn vastgelegd" in to_jb
    assert "`contact KB-0001 za`" in to_jb
    assert any("Termijn verstreken" in m for m in delivered_to(out, TESS))


def test_315_step_1_lapse_without_lt_contact_tells_the_rcp_that_and_the_jb_that_she_was_told(
        console: Console) -> None:
    console.as_(JEROEN, "verwijs 315 Ede K-1")
    console.as_(JEROEN, f"aanbieder KB-0001 {WILGENHOF}")
    console.as_(SASKIA, "ontvangen KB-0001")  # only the provider consultation
    out = console.run(":klok 2026-12-02 10:00")
    [to_rcp] = delivered_to(out, MONIQUE)
    assert "Zorg dat de jeugdbeschermer en de lokaal-teammedewerker contact krijgen" in to_rcp
    assert "zorgaanbieder" not in to_rcp.split("U ontvangt dit")[1]
    [told] = [m for m in delivered_to(out, JEROEN) if "Gemeld bij" in m]
    assert "dit is gemeld bij de regionale contactpersoon" in told
    assert "Ingelicht: Monique Peters" in told
    # The provider consultation was recorded: that tier is not sent at all.
    assert not [m for m in delivered_to(out, JEROEN) if "zorgaanbieder is niet" in m]


def test_301_step_1_lapse_the_jb_hears_the_rcp_was_told(console: Console) -> None:
    console.as_(JEROEN, "verwijs 301 Ede K-1")
    out = console.run(":klok 2026-11-30 09:00")
    assert delivered_to(out, MONIQUE)
    assert any("Gemeld bij regionale contactpersoon: KB-0001" in m
               for m in delivered_to(out, JEROEN))
    with Session(console.engine) as s:
        kinds = {o.kind for o in s.exec(select(Outbox).where(
            Outbox.person_id == console.person(JEROEN).id, col(Outbox.dedupe_key).startswith(
                "told:")))}
    assert kinds == {"notice"}  # the JB is told; the escalation itself is the RCP's


# -- 17. the voorkeursaanbieder at `volgende` -------------------------------------------------


def test_volgende_asks_for_the_voorkeursaanbieder_and_provider_steps_need_one(
        console: Console) -> None:
    console.as_(JEROEN, "verwijs 301 Ede K-1")
    console.as_(BRAM, "ontvangen KB-0001")
    before = console.referral().step
    out = console.as_(JEROEN, "volgende KB-0001")
    assert "Noem de voorkeursaanbieder: `volgende KB-0001 <zorgaanbieder> [e-mail " \
           "contactpersoon]`" in out and "Er is niets veranderd." in out
    assert console.referral().step == before == "bepaling"
    out = console.as_(JEROEN, f"volgende KB-0001 {ZANDLOPER} {SASKIA}")
    assert "Saskia Willems werkt niet bij Zandloper Gezinsbegeleiding" in out
    assert console.referral().zorgaanbieder_id is None
    console.as_(JEROEN, f"volgende KB-0001 {ZANDLOPER} {ASTRID}")
    ref = console.referral()
    assert ref.step == "toewijzing" and ref.zorgaanbieder_contact_id == console.person(ASTRID).id
    out = console.run(":klok 2026-11-24 10:30")
    # The provider hears the 301 is on its way: its contact, not all its staff.
    assert delivered_to(out, ASTRID)
    assert not delivered_to(out, FATIMA) and not delivered_to(out, PIETER)

    # A referral that reached the provider's step without one (older data) is
    # refused there, with what to do.
    console.as_(BRAM, "301 KB-0001")
    with Session(console.engine) as s:
        s.exec(text("UPDATE referral SET zorgaanbieder_id = NULL, "  # type: ignore[call-overload]
                    "zorgaanbieder_contact_id = NULL"))
        s.commit()
    for line in ("acceptatie KB-0001", "afwijzing KB-0001 vol", "gestart KB-0001"):
        out = console.as_(JEROEN, line)
        assert "Voor KB-0001 is geen zorgaanbieder vastgelegd" in out, line
        assert "`aanbieder KB-0001 <zorgaanbieder>`" in out
    assert console.referral().step == "reactie"


# -- 18. naming the LT worker ---------------------------------------------------------------


def test_verwijs_and_herverdeel_name_a_worker_of_the_gemeentes_lokaal_team(
        console: Console) -> None:
    out = console.as_(JEROEN, f"verwijs 301 Ede K-1 {LOTTE}")
    assert "is geen medewerker van het lokaal team van deze gemeente" in out
    out = console.as_(JEROEN, f"verwijs 301 Ede K-1 {CARLA}")  # the team leader: no worker
    assert "is geen medewerker van het lokaal team" in out
    out = console.as_(JEROEN, f"verwijs 301 Ede K-1 {ANOUK}")
    assert "Anouk Jansen is afwezig tot en met vr 15 jan 2027" in out
    with Session(console.engine) as s:
        assert s.exec(select(Referral)).first() is None  # nothing started
    out = console.as_(JEROEN, f"verwijs 301 Ede K-1 {WENDY}")
    ref = console.referral()
    assert (ref.lt_id, ref.lt_backup_id) == (console.person(WENDY).id, console.person(IRIS).id)
    out = console.run(":klok 2026-11-24 10:30")
    assert delivered_to(out, WENDY) and delivered_to(out, IRIS)  # worker and koppelgenoot
    assert not delivered_to(out, BRAM)

    # In step 1 the JB may still name the one who knows the family ...
    out = console.as_(JEROEN, f"herverdeel KB-0001 {LOTTE}")
    assert "kies een medewerker van het lokaal team van deze gemeente" in out
    console.as_(JEROEN, f"herverdeel KB-0001 {BRAM}")
    assert console.referral().lt_id == console.person(BRAM).id
    console.as_(BRAM, "ontvangen KB-0001")
    # ... after it, handing the case on is the team leader's.
    out = console.as_(JEROEN, f"herverdeel KB-0001 {WENDY}")
    assert "Alleen de teamleider" in out and console.referral().lt_id == console.person(BRAM).id
    console.as_(CARLA, f"herverdeel KB-0001 {WENDY}")
    assert console.referral().lt_id == console.person(WENDY).id


# -- 19. the provider's contact, with the team leader as fallback -----------------------


def test_zorgaanbieder_is_the_providers_contact_else_its_team_leader(console: Console) -> None:
    console.as_(JEROEN, "verwijs 301 Ede K-1")
    console.as_(BRAM, "ontvangen KB-0001")
    console.as_(JEROEN, f"volgende KB-0001 {WILGENHOF}")  # no contact named
    out = console.as_(BRAM, "301 KB-0001")  # step 4: the provider's turn
    out = console.run(":klok 2026-11-24 11:00")
    # Nobody at Wilgenhof is the contact yet: its team leader, not all its staff.
    assert delivered_to(out, PETRA)
    assert not delivered_to(out, SASKIA) and not delivered_to(out, ESTHER)
    assert "KB-0001" in console.as_(SASKIA, "mijn")  # her organisation's case still

    console.as_(SASKIA, "status KB-0001")  # looking is no acting
    assert console.referral().zorgaanbieder_contact_id is None
    console.as_(JEROEN, f"aanbieder KB-0001 {WILGENHOF} {ESTHER}")
    assert console.referral().zorgaanbieder_contact_id == console.person(ESTHER).id
    # Esther falls ill: the reminder one werkdag before the provider's five
    # werkdagen end goes to her team leader, who stands in; nobody else there.
    console.edit(ESTHER, absent_until=date(2026, 12, 31))
    since = console.last_outbox_id()
    out = console.run(":klok 2026-11-30 10:00")
    [reminder] = delivered_to(out, PETRA)
    assert "Herinnering KB-0001" in reminder and "Esther Peeters is afwezig" in reminder
    assert not console.outbox_to(ESTHER, since) and not console.outbox_to(SASKIA, since)


def test_the_first_of_the_provider_to_act_becomes_its_contact(console: Console) -> None:
    console.as_(JEROEN, "verwijs 315 Ede K-1")
    console.as_(JEROEN, f"aanbieder KB-0001 {WILGENHOF}")
    console.as_(SASKIA, "ontvangen KB-0001")
    assert console.referral().zorgaanbieder_contact_id == console.person(SASKIA).id
    console.as_(BRAM, "ontvangen KB-0001")
    console.as_(JEROEN, "volgende KB-0001")  # the provider is known: no need to name it
    out = console.run(":klok 2026-11-24 11:00")
    assert delivered_to(out, SASKIA) and not delivered_to(out, ESTHER)
    # Naming another provider drops the old one's contact.
    console.as_(JEROEN, f"aanbieder KB-0001 {ZANDLOPER}")
    assert console.referral().zorgaanbieder_contact_id is None


# -- the migration --------------------------------------------------------------------


def test_0011_carries_contacts_family_answers_and_verslagen_over(
        console: Console, db_url: str) -> None:
    console.as_(JEROEN, "verwijs 301 Ede K-1")
    console.as_(JEROEN, f"aanbieder KB-0001 {WILGENHOF}")
    console.as_(SASKIA, "status KB-0001")
    console.as_(BRAM, "ontvangen KB-0001")
    console.as_(JEROEN, "volgende KB-0001")
    console.as_(BRAM, "301 KB-0001")
    console.as_(ESTHER, "acceptatie KB-0001")  # the first of Wilgenhof to act
    console.as_(JEROEN, "escaleer KB-0001 samenwerking")
    console.as_(BRAM, "trede ES-0001 2")
    console.as_(JEROEN, "gezin ES-0001 later na het overleg")
    console.as_(JEROEN, "verslag ES-0001 oud verslag")
    console.as_(CARLA, "escaleer kenmerk LT-2 Ede samenwerking")
    console.as_(CARLA, "verslag ES-0002 alleen wij")  # the only participant
    console.bot.engine.dispose()

    cfg = db.alembic_config(db_url)
    command.downgrade(cfg, "0010")
    engine = db.make_engine(db_url)
    with engine.begin() as conn:  # what 0010 had written: no tier on a verslag
        for eid, detail in conn.execute(text(
                "SELECT id, detail FROM model_escalation_event WHERE action = 'verslag'")):
            d = detail if isinstance(detail, dict) else json.loads(detail)
            d.pop("tier", None)
            conn.execute(text("UPDATE model_escalation_event SET detail = :d WHERE id = :i"),
                         {"d": json.dumps(d), "i": eid})
        conn.execute(text("DELETE FROM model_escalation_event WHERE action = 'overleg'"))
        conn.execute(text("UPDATE model_escalation SET status = 'closed' WHERE id = 2"))
        conn.execute(text("INSERT INTO model_escalation_event (escalation_id, at, actor_id, "
                          "platform, action, detail) SELECT 2, at, actor_id, platform, "
                          "'gesloten', '{\"hoe\": \"goedgekeurd\"}' FROM model_escalation_event "
                          "WHERE escalation_id = 2 AND action = 'verslag'"))
    engine.dispose()
    command.upgrade(cfg, "head")

    with Session(engine) as s:
        ref = s.exec(select(Referral)).one()
        esther = s.exec(select(Person).where(Person.email == ESTHER)).one()
        assert ref.zorgaanbieder_contact_id == esther.id
        [answer] = s.exec(select(ModelEscalationFamily)).all()
        jeroen = s.exec(select(Person).where(Person.email == JEROEN)).one()
        assert (answer.escalation_id, answer.tier, answer.answer, answer.reason,
                answer.actor_id) == (1, 2, "later", "na het overleg", jeroen.id)
        tiers = [e.detail.get("tier") for e in s.exec(select(ModelEscalationEvent).where(
            ModelEscalationEvent.action == "verslag").order_by(col(ModelEscalationEvent.id)))]
        assert tiers == [2, 0]
        overleg = s.exec(select(ModelEscalationEvent).where(
            ModelEscalationEvent.action == "overleg")).all()
        assert [e.escalation_id for e in overleg] == [2]
    engine.dispose()
    # And the bot goes on with them: ES-0001's meeting waits for approval, ES-0002's
    # closed verslag is readable.
    again = Console(db.make_engine(db_url), db_url)
    assert "Verslag ter goedkeuring (overleg van trede 2): oud verslag" in again.as_(
        CARLA, "status ES-0001")
    assert "alleen wij" in again.as_(CARLA, "status ES-0002")
    again.engine.dispose()

"""Referrals in chat: the 301 and 315 routes, who may do what, and the history.

Every test talks to the bot the way a user does (`registry.dispatch` with the
user as actor) and checks what the user would notice: the reply, its Dutch (or
English) text, the referral's step and deadlines, its history and the messages
it queues. Every refusal also checks that nothing at all changed.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.app import KetenBot
from bot.config import Settings
from handlers.core import Reply
from messages import Renderer
from storage.db import session_scope
from storage.models import Person
from storage.outbox import enqueue
from storage.tables import Deadline, Outbox, Referral, ReferralEvent
from tests.conftest import AMS, FakeClock

JEROEN = "jeroen.bakker@jbgld.example.org"  # jeugdbeschermer, JBG team Food Valley
KOEN = "koen.vanderwal@jbgld.example.org"  # his colleague
TESS = "tess.visser@jbgld.example.org"  # their GI teamleider
DENNIS = "dennis.smits@jbgld.example.org"  # their GI gedragswetenschapper
ANOUK = "anouk.jansen@sociaalteam-ede.example.org"  # LT Ede, absent until 2027-01-15
BRAM = "bram.devries@sociaalteam-ede.example.org"  # her koppelgenoot
WENDY = "wendy.evers@sociaalteam-ede.example.org"  # another LT Ede worker
IRIS = "iris.vanderwal@sociaalteam-ede.example.org"  # Wendy's koppelgenoot
CARLA = "carla.smit@sociaalteam-ede.example.org"  # LT Ede teamleider
MONIQUE = "monique.peters@regio-foodvalley.example.org"  # regionale contactpersoon
OLGA = "olga.huisman@jbgld.example.org"  # jeugdbeschermer in the Achterhoek
SASKIA = "saskia.willems@wilgenhoforthopedagogischcentrum.example.org"  # zorgaanbieder
ESTHER = "esther.peeters@wilgenhoforthopedagogischcentrum.example.org"  # her colleague
WILGENHOF = "wilgenhof-orthopedagogisch-centrum"  # a zorgaanbieder in Food Valley
BACKOFFICE = "bram.yilmaz@backoffice-foodvalley.example.org"  # backoffice Food Valley

BSN = "111222333"  # passes the elfproef


def at(day: int, hour: int = 10, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=AMS)


def end_of(day: int, month: int = 11) -> datetime:
    """A deadline "at the end of" a day: 00:00 Amsterdam the day after."""
    return datetime(2026, month, day, tzinfo=AMS) + timedelta(days=1)


class Chat:
    """Users typing commands at the bot, and what the database says afterwards."""

    def __init__(self, bot: KetenBot, clock: FakeClock) -> None:
        self.bot = bot
        self.clock = clock
        self.engine = bot.engine
        self.renderer = Renderer("text")

    def person(self, email: str) -> Person:
        person = self.bot.person_by_email(email)
        assert person is not None, email
        return person

    def do(self, who: str | None, text: str, lang: str = "nl") -> Reply:
        actor = self.person(who) if who else None
        ctx = self.bot.context("console", actor, lang)
        return self.bot.registry.dispatch(ctx, text)

    def say(self, who: str | None, text: str, lang: str = "nl") -> str:
        return self.render(self.do(who, text, lang), lang)

    def render(self, reply: Reply, lang: str = "nl") -> str:
        return self.renderer.render(reply, lang)

    def ok(self, who: str | None, text: str, lang: str = "nl") -> Reply:
        reply = self.do(who, text, lang)
        assert reply.ok, (text, reply.data)
        self.render(reply, lang)  # every reply renders (StrictUndefined)
        return reply

    def refused(self, who: str | None, text: str, code: str) -> str:
        """The command is refused with `code`, and NOTHING changed. Returns the Dutch text."""
        before = self.state()
        reply = self.do(who, text)
        assert not reply.ok, (text, reply.data)
        assert reply.template == "error" and reply.private
        assert reply.data["code"] == code, (text, reply.data)
        assert self.state() == before, f"{text!r} was refused but changed something"
        nl = self.render(reply, "nl")
        en = self.render(reply, "en")
        assert "Dat lukte niet" not in nl and "did not work" not in en  # a real message
        return nl

    # -- the database, as plain values ---------------------------------------

    def state(self) -> dict[str, Any]:
        with Session(self.engine) as s:
            return {
                "referrals": [(r.id, r.ref, r.route, r.kenmerk, r.status, r.step, r.jb_id,
                               r.lt_id, r.lt_backup_id, r.zorgaanbieder_id)
                              for r in s.exec(select(Referral).order_by(col(Referral.id)))],
                "events": len(s.exec(select(ReferralEvent)).all()),
                "outbox": sorted((o.dedupe_key, o.status) for o in s.exec(select(Outbox))),
                "deadlines": sorted((d.id or 0, d.key, d.status, d.due_at.isoformat())
                                    for d in s.exec(select(Deadline))),
            }

    def referral(self, ref: str = "KB-0001") -> Referral:
        with Session(self.engine) as s:
            found = s.exec(select(Referral).where(Referral.ref == ref)).one()
            s.expunge(found)
            return found

    def events(self, ref: str = "KB-0001") -> list[tuple[str, str | None, str, dict[str, Any]]]:
        """(action, step, who, detail) in order."""
        with Session(self.engine) as s:
            rid = s.exec(select(Referral.id).where(Referral.ref == ref)).one()
            rows = s.exec(select(ReferralEvent).where(ReferralEvent.referral_id == rid)
                          .order_by(col(ReferralEvent.id))).all()
            out = []
            for e in rows:
                who = s.get(Person, e.actor_id).name if e.actor_id else "ketenbot"  # type: ignore[union-attr]
                out.append((e.action, e.step, who, dict(e.detail)))
            return out

    def deadlines(self, ref: str = "KB-0001") -> dict[str, list[Deadline]]:
        """key -> its rows, oldest first."""
        with Session(self.engine) as s:
            rid = s.exec(select(Referral.id).where(Referral.ref == ref)).one()
            rows = s.exec(select(Deadline).where(Deadline.referral_id == rid)
                          .order_by(col(Deadline.id))).all()
            found: dict[str, list[Deadline]] = {}
            for d in rows:
                s.expunge(d)
                found.setdefault(d.key, []).append(d)
            return found

    def pending(self, ref: str = "KB-0001") -> dict[str, datetime]:
        return {k: rows[-1].due_at for k, rows in self.deadlines(ref).items()
                if rows[-1].status == "pending"}

    def outbox(self, ref: str = "KB-0001") -> list[Outbox]:
        with Session(self.engine) as s:
            rid = s.exec(select(Referral.id).where(Referral.ref == ref)).one()
            rows = s.exec(select(Outbox).where(Outbox.referral_id == rid)
                          .order_by(col(Outbox.id))).all()
            for o in rows:
                s.expunge(o)
            return list(rows)

    def notices_to(self, email: str, ref: str = "KB-0001") -> list[Outbox]:
        pid = self.person(email).id
        return [o for o in self.outbox(ref) if o.kind == "notice" and o.person_id == pid]


@pytest.fixture
def chat(db_url: str, sample_engine: Engine, clock: FakeClock) -> Chat:
    bot = KetenBot(settings=Settings(database_url=db_url, language="nl"), engine=sample_engine,
                   clock=clock)
    return Chat(bot, clock)


@pytest.fixture
def started(chat: Chat) -> Chat:
    """KB-0001: a 301 referral in Ede, just started by Jeroen (Tue 24 Nov 10:00)."""
    chat.ok(JEROEN, "verwijs 301 Ede K-1")
    return chat


def to_start(chat: Chat) -> None:
    """The 301 route from step 1 up to 'reactie' (the provider's match or afwijzing)."""
    chat.ok(BRAM, "ontvangen KB-0001")
    chat.ok(JEROEN, f"volgende KB-0001 {WILGENHOF}")
    chat.ok(BRAM, "301 KB-0001")
    assert chat.referral().step == "reactie"


# -- starting a referral -----------------------------------------------------


def test_verwijs_301_starts_with_the_koppelgenoot_and_a_3_werkdagen_term(chat: Chat) -> None:
    reply = chat.do(JEROEN, "verwijs 301 Ede K-1")

    assert reply.ok and reply.template == "referral" and not reply.private  # to the thread
    assert reply.data["ref"] == "KB-0001" and reply.data["headline"] == "started"
    ref = chat.referral()
    assert (ref.route, ref.kenmerk, ref.status, ref.step) == ("301", "K-1", "open", "contact")
    # Anouk is away until January: her koppelgenoot Bram is the first contact.
    assert ref.lt_id == chat.person(BRAM).id
    assert ref.lt_backup_id == chat.person(ANOUK).id
    assert ref.jb_id == chat.person(JEROEN).id
    # Tue 24 Nov + 3 werkdagen: the end of Fri 27 Nov.
    assert chat.pending() == {"step:contact": datetime(2026, 11, 28, 0, 0, tzinfo=AMS)}

    events = chat.events()
    assert [(a, w) for a, _, w, _ in events] == [("aangemaakt", "Jeroen Bakker"),
                                                 ("stap", "Jeroen Bakker")]
    assert events[0][3]["lokaal_team"] == "Bram de Vries"
    assert events[0][3]["koppelgenoot"] == "Anouk Jansen"

    box = chat.outbox()
    assert [(o.kind, o.template) for o in box] == [("thread", "thread_step"),
                                                   ("notice", "step_inform")]
    notice = box[1]
    assert notice.person_id == chat.person(BRAM).id and notice.status == "pending"
    assert not chat.notices_to(JEROEN)
    # What Bram and the thread will read: the JB makes the contact, either records it.
    told = chat.renderer.render_name("step_inform", notice.payload)
    assert told.startswith("Bram de Vries: KB-0001 · 301-route · Ede · kenmerk K-1")
    assert "De jeugdbeschermer zoekt contact met u over de beoogde hulp" in told
    assert "uiterlijk vr 27 nov 2026" in told and "`ontvangen KB-0001`" in told
    # Anouk, the koppelgenoot now, is away herself: no message waits for her
    # (tests/test_route_walk.py: a present koppelgenoot is told at once).
    assert chat.notices_to(ANOUK) == []
    assert chat.renderer.render_name("thread_step", box[0].payload) == (
        "KB-0001 staat nu op stap 1: JB en lokaal-teammedewerker hebben contact over de "
        "beoogde hulp (uiterlijk vr 27 nov 2026).")

    text = chat.render(reply)
    assert text.startswith("Verwijzing gestart: KB-0001 · 301-route · Ede · kenmerk K-1")
    assert "Stap 1: JB en lokaal-teammedewerker hebben contact over de beoogde hulp" in text
    assert "Aan zet: jeugdbeschermer · afronden met `ontvangen KB-0001` · " \
           "uiterlijk vr 27 nov 2026" in text
    assert "Overleg met lokaal team: nog niet vastgelegd (`contact KB-0001 lt`)" in text
    assert "lokaal team: Bram de Vries (koppelgenoot Anouk Jansen)" in text


def test_verwijs_315_starts_with_the_consultation_and_5_werkdagen(chat: Chat) -> None:
    reply = chat.ok(JEROEN, "verwijs 315 GM0228 JB-2026-0042")

    assert reply.data["route"] == "315" and reply.data["step_number"] == "1"
    ref = chat.referral()
    assert (ref.route, ref.step, ref.kenmerk) == ("315", "consult", "JB-2026-0042")
    # Tue 24 Nov + 5 werkdagen: Wed 25, Thu 26, Fri 27, Mon 30, Tue 1 Dec.
    assert chat.pending() == {"step:consult": datetime(2026, 12, 2, 0, 0, tzinfo=AMS)}
    text = chat.render(reply)
    assert "315-route" in text and "uiterlijk di 1 dec 2026" in text
    assert "JB stemt af met lokaal-teammedewerker en zorgaanbieder" in text
    assert "Overleg met zorgaanbieder: nog niet vastgelegd" in text


def test_numbers_count_up_and_the_same_kenmerk_may_run_elsewhere(chat: Chat) -> None:
    chat.ok(JEROEN, "verwijs 301 Ede K-1")
    second = chat.ok(JEROEN, "verwijs 301 Barneveld K-1")
    assert second.data["ref"] == "KB-0002" and second.data["gemeente"] == "Barneveld"
    assert chat.referral("KB-0002").lt_id == chat.person(
        "lotte.vanvliet@sociaalwijkteam-barneveld.example.org").id


# -- refusals when starting ----------------------------------------------------


def test_only_a_jeugdbeschermer_may_start(chat: Chat) -> None:
    for who in (BRAM, CARLA, MONIQUE, TESS, SASKIA):
        text = chat.refused(who, "verwijs 301 Ede K-1", "only_jeugdbeschermer")
    assert text == "Alleen een jeugdbeschermer van een gecertificeerde instelling kan een " \
                   "verwijzing starten."
    assert chat.state()["referrals"] == []


def test_an_unlinked_user_may_not_start(chat: Chat) -> None:
    text = chat.refused(None, "verwijs 301 Ede K-1", "not_linked")
    assert "niet gekoppeld" in text
    # ... nor do anything else with a referral.
    chat.ok(JEROEN, "verwijs 301 Ede K-1")
    for command in ("status KB-0001", "ontvangen KB-0001", "mijn", "intrekken KB-0001"):
        chat.refused(None, command, "not_linked")


def test_bad_route_or_missing_arguments(chat: Chat) -> None:
    text = chat.refused(JEROEN, "verwijs 302 Ede K-1", "unknown_route")
    assert text.startswith("Route 302 bestaat niet; er zijn twee routes: 301 en 315")
    for command in ("verwijs Ede K-1",  # no route
                    "verwijs 301 Ede",  # no kenmerk
                    "verwijs 301",
                    "verwijs"):
        text = chat.refused(JEROEN, command, "verwijs_usage")
        assert text.startswith("Gebruik: `verwijs 301|315 <gemeente> <kenmerk> [e-mail]`")


def test_invalid_kenmerk(chat: Chat) -> None:
    for kenmerk in ("K#1", "K1!", "-K1", "K1" * 21, "Jan,Jansen"):
        text = chat.refused(JEROEN, f"verwijs 301 Ede {kenmerk}", "kenmerk_invalid")
        assert text.startswith("Dit is geen zaakkenmerk. Er is niets opgeslagen.")
        assert kenmerk not in text  # never echoed: it may be family data
        assert "Geen naam, geboortedatum, telefoonnummer of e-mailadres." in text
    chat.ok(JEROEN, "verwijs 301 Ede " + "K1" * 20)  # 40 characters is fine


def test_unknown_gemeente_gets_suggestions(chat: Chat) -> None:
    text = chat.refused(JEROEN, "verwijs 301 Edde K-1", "gemeente_unknown")
    assert text.startswith('Gemeente "Edde" ken ik niet. Bedoelde u: Ede')
    text = chat.refused(JEROEN, "verwijs 301 Xyzzyplaats K-1", "gemeente_unknown")
    assert "Probeer de naam of de CBS-code" in text


def test_the_same_open_kenmerk_in_the_same_gemeente_is_refused(chat: Chat) -> None:
    chat.ok(JEROEN, "verwijs 301 Ede K-1")
    text = chat.refused(KOEN, "verwijs 315 Ede K-1", "referral_duplicate")
    assert text == "Er loopt al een open verwijzing KB-0001 met kenmerk K-1 in deze gemeente."
    # Once withdrawn, the case may be referred again.
    chat.ok(JEROEN, "intrekken KB-0001")
    assert chat.ok(KOEN, "verwijs 315 Ede K-1").data["ref"] == "KB-0002"


def test_a_bsn_is_refused_and_nothing_is_stored(chat: Chat) -> None:
    for command in (f"verwijs 301 Ede {BSN}", "verwijs 301 Ede 111.222.333",
                    "verwijs 301 Ede 111 22 2333", f"verwijs 301 Ede JB-{BSN}",
                    f"verwijs 301 {BSN} K-1"):
        text = chat.refused(JEROEN, command, "bsn")
        assert "lijkt een BSN te bevatten" in text and "niet bewaard" in text
    assert chat.state()["referrals"] == [] and chat.state()["events"] == 0


def test_a_bsn_in_any_command_on_a_referral_is_refused(started: Chat) -> None:
    chat = started
    to_start(chat)
    for who, command in [(JEROEN, f"afwijzing KB-0001 kind {BSN} past niet"),
                         (JEROEN, f"intrekken KB-0001 {BSN}"),
                         (JEROEN, f"escaleer KB-0001 dilemma {BSN}"),
                         (JEROEN, f"aanbieder KB-0001 {BSN}"),
                         (BRAM, f"status KB-0001 {BSN}")]:
        chat.refused(who, command, "bsn")
    assert chat.referral().step == "reactie" and chat.referral().status == "open"
    with Session(chat.engine) as s:
        stored = json.dumps([e.detail for e in s.exec(select(ReferralEvent))])
        stored += json.dumps([o.payload for o in s.exec(select(Outbox))])
        stored += json.dumps([r.kenmerk for r in s.exec(select(Referral))])
    assert "111" not in stored


# -- who may do what -----------------------------------------------------------


def test_the_lokaal_team_cannot_record_the_providers_consultation(chat: Chat) -> None:
    chat.ok(JEROEN, "verwijs 315 Ede K-315")
    text = chat.refused(BRAM, "contact KB-0001 za", "contact_side")
    assert text == "Het overleg met de zorgaanbieder in KB-0001 legt de jeugdbeschermer vast, " \
                   "of de zorgaanbieder zelf. Er is niets veranderd."
    chat.refused(OLGA, "contact KB-0001 lt", "not_party")
    assert chat.referral().step == "consult"


def test_the_wrong_action_for_the_step(started: Chat) -> None:
    text = started.refused(BRAM, "volgende KB-0001", "wrong_action")
    assert text == "KB-0001 staat op stap 1; die rondt u af met `ontvangen KB-0001`, niet met " \
                   "`volgende`. Er is niets veranderd."
    started.refused(JEROEN, "gestart KB-0001", "wrong_action")
    started.refused(JEROEN, "301 KB-0001", "wrong_action")
    started.refused(JEROEN, "acceptatie KB-0001", "wrong_action")


def test_someone_from_another_region_is_no_party(started: Chat) -> None:
    for command in ("status KB-0001", "ontvangen KB-0001", "escaleer KB-0001",
                    "intrekken KB-0001", "afwijzing KB-0001", "opgelost KB-0001"):
        text = started.refused(OLGA, command, "not_party")
    assert text == "U bent geen partij in KB-0001; daarom ziet of wijzigt u deze " \
                   "verwijzing niet."
    # A provider is only a party once the JB has named it.
    started.refused(SASKIA, "status KB-0001", "not_party")
    started.ok(JEROEN, f"aanbieder KB-0001 {WILGENHOF}")
    assert started.ok(SASKIA, "status KB-0001").data["zorgaanbieder"] == \
        "Wilgenhof Orthopedagogisch Centrum"


def test_the_lokaal_team_colleagues_may_stand_in(started: Chat) -> None:
    # Anouk is the backup, Wendy a colleague in the same lokaal team: both may act.
    assert started.ok(WENDY, "status KB-0001").ok
    reply = started.ok(ANOUK, "ontvangen KB-0001")
    assert reply.data["step_key"] == "bepaling"
    assert started.events()[-2][:3] == ("ontvangen", "contact", "Anouk Jansen")


def test_unknown_and_malformed_refs(started: Chat) -> None:
    for command in ("status KB-0099", "ontvangen 99", "intrekken KB-0002"):
        text = started.refused(JEROEN, command, "ref_unknown")
        assert text.startswith("Verwijzing ") and text.endswith(" bestaat niet.")
    assert started.refused(JEROEN, "status KB-0099", "ref_unknown") == \
        "Verwijzing KB-0099 bestaat niet."
    for command in ("status foo", "status KB-00x1", "status", "ontvangen", "intrekken KB_0001",
                    "escaleer", "opgelost Ede"):
        text = started.refused(JEROEN, command, "ref_usage")
        # The example is the command that was typed.
        word = command.split()[0]
        assert text == f"Noem de verwijzing, bijvoorbeeld `{word} KB-0001`."
    # Loosely typed refs are fine.
    for typed in ("KB-0001", "kb-1", "KB1", "1"):
        assert started.ok(JEROEN, f"status {typed}").data["ref"] == "KB-0001"


# -- the whole 301 route --------------------------------------------------------


def test_the_happy_301_path(started: Chat, clock: FakeClock) -> None:
    chat = started

    clock.set(at(25, 9))  # Wed: Bram has had contact with Jeroen
    reply = chat.ok(BRAM, "ontvangen KB-0001")
    assert reply.data["step_key"] == "bepaling" and reply.data["step_number"] == "2-3"
    assert chat.render(reply).startswith("Ontvangst bevestigd: KB-0001")
    # 5 werkdagen after Wed 25 Nov: Wed 2 Dec. Steps 2-4 together: 3 weeks.
    assert chat.pending() == {"step:bepaling": end_of(2, 12), "span:2-4": end_of(16, 12)}
    assert [d.status for d in chat.deadlines()["step:contact"]] == ["met"]
    assert chat.notices_to(JEROEN)[-1].template == "your_turn"  # now Jeroen's turn

    clock.set(at(30, 11))  # Mon
    reply = chat.ok(JEROEN, f"volgende KB-0001 {WILGENHOF}")
    assert reply.data["step_key"] == "toewijzing" and reply.data["step_number"] == "4"
    assert chat.pending() == {"step:toewijzing": end_of(7, 12), "span:2-4": end_of(16, 12)}

    clock.set(at(2, 14, month=12))  # Wed
    reply = chat.ok(BRAM, "301 KB-0001")
    assert reply.data["step_key"] == "reactie"
    assert chat.render(reply).startswith("301-bericht vastgelegd: KB-0001")
    # The provider's match or afwijzing within 5 werkdagen; steps 2-4 still run.
    assert chat.pending() == {"step:reactie": end_of(9, 12), "span:2-4": end_of(16, 12)}

    reply = chat.ok(JEROEN, f"aanbieder KB-0001 {WILGENHOF}")
    assert reply.data["zorgaanbieder"] == "Wilgenhof Orthopedagogisch Centrum"
    assert chat.referral().step == "reactie"  # naming the provider (again) is no step

    clock.set(at(3, 10, month=12))  # Thu: the provider can help in time
    reply = chat.ok(SASKIA, "acceptatie KB-0001")
    assert reply.data["step_key"] == "zorg" and reply.data["due_at"] is None
    assert chat.render(reply).startswith("Match vastgelegd: KB-0001")
    # Acceptance ends steps 2-4 (in time); care has not started yet.
    assert [d.status for d in chat.deadlines()["span:2-4"]] == ["met"]
    assert chat.pending() == {} and chat.referral().status == "open"

    clock.set(at(4, 10, month=12))  # Fri
    reply = chat.ok(JEROEN, "gestart KB-0001")
    assert reply.data["status"] == "closed" and reply.data["due_at"] is None
    assert reply.data["can_act"] is False
    text = chat.render(reply)
    assert text.startswith("Zorg gestart: KB-0001 · 301-route · Ede · kenmerk K-1")
    assert "Afgerond: de zorg is gestart." in text
    assert "zorgaanbieder: Wilgenhof Orthopedagogisch Centrum" in text

    ref = chat.referral()
    assert ref.status == "closed" and ref.closed_at == at(4, 10, month=12)
    assert chat.pending() == {}
    assert {d.status for rows in chat.deadlines().values() for d in rows} == {"met"}
    assert [(a, s, w) for a, s, w, _ in chat.events()] == [
        ("aangemaakt", "contact", "Jeroen Bakker"),
        ("stap", "contact", "Jeroen Bakker"),
        ("ontvangen", "contact", "Bram de Vries"),
        ("stap", "bepaling", "Bram de Vries"),
        ("zorgaanbieder", "bepaling", "Jeroen Bakker"),  # the voorkeursaanbieder, at `volgende`
        ("volgende", "bepaling", "Jeroen Bakker"),
        ("stap", "toewijzing", "Jeroen Bakker"),
        ("301", "toewijzing", "Bram de Vries"),
        ("stap", "reactie", "Bram de Vries"),
        ("zorgaanbieder", "reactie", "Jeroen Bakker"),
        ("acceptatie", "reactie", "Saskia Willems"),
        ("stap", "zorg", "Saskia Willems"),
        ("zorg_gestart", "zorg", "Jeroen Bakker"),
    ]
    assert chat.events()[2][3] == {"met": "lt", "number": "1"}  # who recorded step 1, and when
    thread = [o.template for o in chat.outbox() if o.kind == "thread"]
    assert thread == ["thread_step"] * 5 + ["thread_closed"]
    closed = next(o for o in chat.outbox() if o.template == "thread_closed")
    assert chat.renderer.render_name("thread_closed", closed.payload) == \
        "KB-0001 is afgerond: de zorg is gestart."

    # A closed referral is history: nothing more may happen to it.
    for who, command in [(BRAM, "ontvangen KB-0001"), (JEROEN, "gestart KB-0001"),
                         (JEROEN, "afwijzing KB-0001"), (JEROEN, "escaleer KB-0001"),
                         (JEROEN, "intrekken KB-0001"),
                         (CARLA, f"herverdeel KB-0001 {WENDY}"),
                         (JEROEN, f"aanbieder KB-0001 {WILGENHOF}")]:
        text = chat.refused(who, command, "referral_closed")
    assert text == "KB-0001 is al afgerond; er is niets veranderd."
    # ... but it can still be looked at.
    assert "Afgerond: de zorg is gestart." in chat.say(BRAM, "status KB-0001")
    assert "KB-0001" not in chat.say(BRAM, "mijn")


def test_the_provider_may_report_the_start_of_care(started: Chat) -> None:
    to_start(started)
    started.refused(KOEN, "gestart KB-0001", "not_party")
    # Care starting at once says the provider accepted: both are recorded, in order.
    started.ok(SASKIA, "gestart KB-0001")
    assert started.referral().status == "closed"
    assert [e[:3] for e in started.events()[-3:]] == [
        ("acceptatie", "reactie", "Saskia Willems"), ("stap", "zorg", "Saskia Willems"),
        ("zorg_gestart", "zorg", "Saskia Willems")]
    assert started.events()[-3][3]["via"] == "gestart"


def test_aanbieder_refusals(started: Chat) -> None:
    started.refused(JEROEN, "aanbieder KB-0001", "aanbieder_usage")
    text = started.refused(JEROEN, "aanbieder KB-0001 Nergens Zorg", "provider_unknown")
    assert text.startswith('Zorgaanbieder "Nergens Zorg" staat niet in de contactenlijst.')
    started.refused(BRAM, f"aanbieder KB-0001 {WILGENHOF}", "not_allowed")
    # Wildcards are no wildcards: "%" is no provider (it used to pick any at all),
    # and "_" stands for no letter.
    for typed in ("%", "_ilgenhof Orthopedagogisch Centrum"):
        started.refused(JEROEN, f"aanbieder KB-0001 {typed}", "provider_unknown")
    # Like a gemeente: a part of the name that fits one provider, or suggestions.
    assert started.ok(JEROEN, "aanbieder KB-0001 Wilgenhof").data["zorgaanbieder"] == \
        "Wilgenhof Orthopedagogisch Centrum"
    text = started.refused(JEROEN, "aanbieder KB-0001 Wilgenhoof", "provider_unknown")
    assert text.endswith("Bedoelde u: Wilgenhof Orthopedagogisch Centrum?")
    # The name works as well as the key, in any case.
    reply = started.ok(JEROEN, "aanbieder KB-0001 wilgenhof orthopedagogisch centrum")
    assert reply.data["zorgaanbieder"] == "Wilgenhof Orthopedagogisch Centrum"


# -- afwijzing ---------------------------------------------------------------


def test_afwijzing_goes_to_step_5_and_informs_backoffice_jb_and_lt(started: Chat) -> None:
    chat = started
    to_start(chat)
    chat.refused(BRAM, "afwijzing KB-0001", "not_allowed")

    reply = chat.ok(SASKIA, "afwijzing KB-0001 wachtlijst van 12 weken")
    assert reply.data["step_key"] == "alternatief" and reply.data["step_number"] == "5"
    # Step 5 has no term of its own; the afwijzing ended steps 2-4 (in time).
    assert chat.pending() == {}
    assert [d.status for d in chat.deadlines()["span:2-4"]] == ["met"]
    assert chat.deadlines()["step:reactie"][-1].status == "met"
    action, step, who, detail = chat.events()[-2]
    assert (action, step, who) == ("afwijzing", "reactie", "Saskia Willems")
    assert detail == {"reden": "wachtlijst", "toelichting": "van 12 weken", "number": "4"}
    text = chat.render(reply)
    assert text.startswith("Afwijzing vastgelegd: KB-0001")
    assert "Stap 5: JB en zorgaanbieder schakelen het netwerk van zorgaanbieders en/of " \
           "het RET in" in text
    # Backoffice, JB and LT worker are told of the afwijzing; the LT worker once.
    for email in (BACKOFFICE, JEROEN, BRAM):
        assert [o.template for o in chat.notices_to(email)][-1:] == ["afwijzing"], email
    assert "wachtlijst" not in json.dumps([o.payload for o in chat.outbox()])
    # The provider is co-owner from now on: Saskia, its contact for the referral
    # (the first of Wilgenhof to act on it), not each of her colleagues.
    assert chat.referral().zorgaanbieder_contact_id == chat.person(SASKIA).id
    assert not [o for o in chat.notices_to(ESTHER) if o.template == "step_inform"]
    assert "KB-0001" in chat.say(SASKIA, "mijn")


def test_no_afwijzing_at_step_1(started: Chat) -> None:
    text = started.refused(JEROEN, "afwijzing KB-0001", "no_afwijzing")
    assert text == ("KB-0001 staat op stap 1: JB en lokaal-teammedewerker hebben contact over "
                    "de beoogde hulp. Een afwijzing kan alleen bij stap 4: Zorgaanbieder neemt "
                    "de jeugdige in zorg (match) of wijst af. Er is niets veranderd.")


def test_afwijzing_in_the_315_route_at_step_3(chat: Chat) -> None:
    chat.ok(JEROEN, "verwijs 315 Ede K-315")
    chat.ok(BRAM, "ontvangen KB-0001")
    chat.ok(JEROEN, "contact KB-0001 za")
    chat.refused(JEROEN, "afwijzing KB-0001", "no_afwijzing")  # at 'bepaling'
    reply = chat.ok(JEROEN, f"volgende KB-0001 {WILGENHOF}")
    assert reply.data["step_key"] == "reactie" and reply.data["step_number"] == "3"
    # No term of its own: steps 2-3 together run two weeks from step 1.
    assert chat.pending() == {"span:2-3": end_of(8, 12)}

    reply = chat.ok(JEROEN, "afwijzing KB-0001")
    assert reply.data["step_key"] == "alternatief"
    assert chat.deadlines()["span:2-3"][-1].status == "met"  # clear in time: no help
    assert chat.pending() == {}
    assert [o.template for o in chat.notices_to(BACKOFFICE)] == ["afwijzing"]


def test_the_315_route_to_the_end(chat: Chat) -> None:
    chat.ok(JEROEN, "verwijs 315 Ede K-315")
    chat.ok(BRAM, "ontvangen KB-0001")
    chat.ok(JEROEN, "contact KB-0001 za")
    chat.ok(JEROEN, f"volgende KB-0001 {WILGENHOF}")
    chat.refused(JEROEN, "301 KB-0001", "wrong_action")
    # Sending the 315 is the provider's match too: the span ends, step 4 begins.
    assert chat.ok(JEROEN, "315 KB-0001").data["step_key"] == "toewijzing"
    assert [e[0] for e in chat.events()[-4:]] == ["acceptatie", "stap", "315", "stap"]
    assert chat.deadlines()["span:2-3"][-1].status == "met"
    assert chat.ok(BACKOFFICE, "301 KB-0001").data["step_key"] == "zorg"
    chat.ok(JEROEN, "gestart KB-0001")
    assert chat.referral().status == "closed" and chat.pending() == {}


# -- escalation --------------------------------------------------------------


def test_escaleer_refusals(started: Chat) -> None:
    # With a word after the reference it is the escalation model (tests/test_escalation_model.py).
    started.refused(JEROEN, "escaleer KB-0001 onzin", "model_start_usage")
    started.refused(JEROEN, "opgelost KB-0001", "model_none")
    # The regional contact person is a party, but does not escalate.
    text = started.refused(MONIQUE, "escaleer KB-0001", "not_allowed")
    # The refusal names everyone who may, the lokaal team too.
    assert text == "`escaleer` op KB-0001 mag alleen door: jeugdbeschermer, teamleider GI, " \
                   "lokaal-teammedewerker, teamleider lokaal team. Er is niets veranderd."
    # The escalation model is for professionals of an involved organisation.
    started.refused(MONIQUE, "escaleer KB-0001 samenwerking", "model_not_involved")
    # Step 6 on step 1 is refused: that is the step-1 rule (the regional contact person).
    started.refused(CARLA, "escaleer KB-0001", "escalate_step1")


# -- herverdeel --------------------------------------------------------------


def test_the_lt_teamleider_reassigns_to_another_worker(started: Chat) -> None:
    chat = started
    reply = chat.ok(CARLA, f"herverdeel KB-0001 {WENDY}")
    assert reply.data["lokaal_team"] == "Wendy Evers"
    assert reply.data["koppelgenoot"] == "Iris van der Wal"
    ref = chat.referral()
    assert ref.lt_id == chat.person(WENDY).id and ref.lt_backup_id == chat.person(IRIS).id
    assert ref.step == "contact"
    action, step, who, detail = chat.events()[-1]
    assert (action, step, who) == ("herverdeeld", "contact", "Carla Smit")
    assert detail == {"rol": "lokaal_team", "naar": "Wendy Evers", "van": "Bram de Vries"}
    assert [o.template for o in chat.notices_to(WENDY)] == ["your_turn"]
    assert "Herverdeeld: KB-0001" in chat.render(reply)
    assert "herverdeeld (stap 1) — Carla Smit via console" in chat.say(
        WENDY, "status KB-0001")
    # Wendy now sees it as her turn.
    assert "▶ U bent aan zet: KB-0001" in chat.say(WENDY, "mijn")


def test_the_gi_teamleider_reassigns_the_jeugdbeschermer(started: Chat) -> None:
    started.ok(TESS, f"herverdeel KB-0001 {KOEN}")
    assert started.referral().jb_id == started.person(KOEN).id
    text = started.refused(TESS, f"herverdeel KB-0001 {WENDY}", "target_wrong_team")
    assert text == "Wendy Evers (Sociaal Team Ede) kan KB-0001 niet overnemen als " \
                   "jeugdbeschermer: kies een medewerker van uw eigen team. Er is niets veranderd."


def test_herverdeel_refusals(started: Chat) -> None:
    text = started.refused(BRAM, f"herverdeel KB-0001 {WENDY}", "only_teamleider")
    assert text.startswith("Alleen de teamleider van het lokaal team of van de GI")
    # Carla's team is the lokaal team: she cannot hand the case to a GI worker...
    started.refused(CARLA, f"herverdeel KB-0001 {KOEN}", "target_wrong_team")
    # ... nor to a worker of another gemeente's lokaal team ...
    text = started.refused(CARLA, "herverdeel KB-0001 lotte.vanvliet@sociaalwijkteam-"
                                  "barneveld.example.org", "target_wrong_team")
    assert "kies een medewerker van het lokaal team van deze gemeente" in text
    # ... nor to someone who is away.
    text = started.refused(CARLA, f"herverdeel KB-0001 {ANOUK}", "target_absent")
    assert text == "Anouk Jansen is afwezig tot en met vr 15 jan 2027 en kan KB-0001 nu " \
                   "niet overnemen. Er is niets veranderd."
    text = started.refused(CARLA, "herverdeel KB-0001 niemand@example.org", "person_unknown")
    assert text == "niemand@example.org staat niet in de contactenlijst."
    started.refused(CARLA, "herverdeel KB-0001", "herverdeel_usage")
    started.refused(CARLA, f"herverdeel KB-0001 {WENDY} nu", "herverdeel_usage")


# -- intrekken ---------------------------------------------------------------


def test_intrekken_closes_it_and_drops_what_was_still_to_be_sent(started: Chat) -> None:
    chat = started
    # The sweep has queued a reminder and an escalation that are not sent yet.
    step = chat.deadlines()["step:contact"][0]
    ref = chat.referral()
    with session_scope(chat.engine) as s:
        for kind, key in (("reminder", f"rem:{step.id}:{ref.lt_id}"),
                          ("escalation", f"esc:{step.id}:0:{ref.lt_id}")):
            enqueue(s, dedupe_key=key, kind=kind, template="your_turn", payload={},
                    now=at(24), deliver_after=at(26, 9), person_id=ref.lt_id,
                    referral_id=ref.id)
    chat.refused(BRAM, "intrekken KB-0001", "not_allowed")

    reply = chat.ok(JEROEN, "intrekken KB-0001 ouders verhuisd")
    assert reply.data["status"] == "withdrawn"
    text = chat.render(reply)
    assert text.startswith("Verwijzing ingetrokken: KB-0001")
    assert "Ingetrokken." in text
    ref = chat.referral()
    assert ref.status == "withdrawn" and ref.closed_at == at(24)
    assert chat.pending() == {}
    assert chat.deadlines()["step:contact"][0].status == "cancelled"
    statuses = {o.kind: o.status for o in chat.outbox() if o.kind in ("reminder", "escalation")}
    assert statuses == {"reminder": "dropped", "escalation": "dropped"}
    assert chat.events()[-1][:3] == ("ingetrokken", "contact", "Jeroen Bakker")
    assert chat.events()[-1][3] == {"reden": "ouders verhuisd"}
    assert chat.outbox()[-1].template == "thread_closed"

    text = chat.refused(BRAM, "ontvangen KB-0001", "referral_closed")
    assert text == "KB-0001 is al ingetrokken; er is niets veranderd."
    assert "KB-0001" not in chat.say(JEROEN, "mijn")


def test_notices_waiting_for_working_hours_are_dropped_once_out_of_date(
        chat: Chat, clock: FakeClock) -> None:
    clock.set(at(24, 18))  # after hours: notices wait for Wed 08:30
    chat.ok(JEROEN, "verwijs 301 Ede K-1")
    morning = datetime(2026, 11, 25, 8, 30, tzinfo=AMS)
    [to_bram] = chat.notices_to(BRAM)
    assert (to_bram.status, to_bram.deliver_after) == ("pending", morning)

    clock.set(at(24, 19))
    chat.ok(BRAM, "ontvangen KB-0001")
    # "U bent aan zet, stap 1" would reach Bram after he did step 1.
    assert [o.status for o in chat.notices_to(BRAM)] == ["dropped"]
    [to_jeroen] = chat.notices_to(JEROEN)
    assert (to_jeroen.status, to_jeroen.deliver_after) == ("pending", morning)

    clock.set(at(24, 20))
    chat.ok(JEROEN, "intrekken KB-0001")
    # Nobody is told it is their turn in a withdrawn referral.
    assert [o.status for o in chat.notices_to(JEROEN)] == ["dropped"]
    assert [o.status for o in chat.outbox() if o.kind == "notice"] == ["dropped"] * 2
    assert chat.outbox()[-1].template == "thread_closed" and chat.outbox()[-1].status == "pending"


def test_the_gi_teamleider_may_withdraw(started: Chat) -> None:
    started.refused(CARLA, "intrekken KB-0001", "not_allowed")
    started.ok(TESS, "intrekken KB-0001")
    assert started.referral().status == "withdrawn"


# -- status and mijn ---------------------------------------------------------


def test_status_shows_the_state_and_the_history(started: Chat, clock: FakeClock) -> None:
    clock.set(at(25, 9))
    started.ok(BRAM, "ontvangen KB-0001")
    reply = started.ok(MONIQUE, "status KB-0001")  # the regional contact is a party too
    assert reply.private and reply.data["headline"] is None
    text = started.render(reply)
    assert text.startswith("KB-0001 · 301-route · Ede · kenmerk K-1")
    assert "Stap 2-3: JB stuurt bepaling en aanmeldformulier" in text
    assert "Aan zet: jeugdbeschermer · afronden met `volgende KB-0001` · " \
           "uiterlijk wo 2 dec 2026" in text
    history = text.split("Geschiedenis:")[1]
    assert "di 24 nov 2026 10:00  verwijzing gestart (stap 1) — Jeroen Bakker via console" \
        in history
    assert "wo 25 nov 2026 09:00  contact bevestigd (stap 1) — Bram de Vries via console" \
        in history
    assert history.index("verwijzing gestart") < history.index("contact bevestigd")


def test_mijn_shows_whose_turn_it_is(started: Chat) -> None:
    bram = started.say(BRAM, "mijn")
    assert bram.startswith("Open verwijzingen voor Bram de Vries:")
    assert "▶ U bent aan zet: KB-0001 (301, Ede, K-1) stap 1 — `ontvangen KB-0001`, " \
           "uiterlijk vr 27 nov 2026" in bram
    # Step 1 is the JB's contact with the LT worker: either side records it.
    assert "▶ U bent aan zet: KB-0001" in started.say(JEROEN, "mijn")
    assert started.say(OLGA, "mijn") == "Geen open verwijzingen voor Olga Huisman."

    started.ok(BRAM, "ontvangen KB-0001")  # step 2-3 is Jeroen's alone
    assert "▶ U bent aan zet: KB-0001" in started.say(JEROEN, "mijn")
    bram = started.say(BRAM, "mijn")
    assert "▶" not in bram and "· wacht op jeugdbeschermer: KB-0001" in bram


# -- deadlines over several steps -----------------------------------------------


def test_the_span_of_steps_2_to_4(started: Chat, clock: FakeClock) -> None:
    chat = started
    assert "span:2-4" not in chat.deadlines()
    chat.ok(BRAM, "ontvangen KB-0001")
    span = chat.deadlines()["span:2-4"]
    # Steps 2-4 together: 3 weeks after step 1, the end of Tue 15 Dec.
    assert len(span) == 1 and span[0].status == "pending" and span[0].due_at == end_of(15, 12)
    assert span[0].step == "bepaling"

    chat.ok(JEROEN, f"volgende KB-0001 {WILGENHOF}")
    assert chat.deadlines()["span:2-4"][0].status == "pending"  # still running at step 4
    chat.ok(BRAM, "301 KB-0001")
    # Entering step 4's reaction is not the end: the provider's match or afwijzing is.
    assert chat.deadlines()["span:2-4"][0].status == "pending"
    chat.ok(JEROEN, "acceptatie KB-0001")
    assert [d.status for d in chat.deadlines()["span:2-4"]] == ["met"]
    assert "span:2-4" not in chat.pending()


# -- English -------------------------------------------------------------------


def test_english(chat: Chat) -> None:
    reply = chat.ok(JEROEN, "verwijs 301 Ede K-1", lang="en")
    text = chat.render(reply, "en")
    assert text.startswith("Referral started: KB-0001 · 301 route · Ede · case ref K-1")
    assert "Step 1: JB and local-team worker discuss the intended help" in text
    assert "To act: youth protection worker · finish with `ack KB-0001` · " \
           "due Fri 27 Nov 2026" in text
    assert "Consultation with local team: not recorded yet (`consulted KB-0001 lt`)" in text
    assert "Verwijzing" not in text and "uiterlijk" not in text
    status = chat.say(JEROEN, "status KB-0001", lang="en")
    assert "History:" in status and "Tue 24 Nov 2026 10:00  referral started (step 1)" in status
    assert "Your turn: KB-0001" in chat.say(BRAM, "mijn", lang="en")
    refusal = chat.say(OLGA, "ontvangen KB-0001", lang="en")
    assert refusal == "You are not a party to KB-0001, so you cannot see or change it."


def test_a_duplicate_kenmerk_is_found_whatever_its_case(started: Chat) -> None:
    text = started.refused(JEROEN, "verwijs 301 Ede k-1", "referral_duplicate")
    assert "KB-0001" in text


def test_status_says_when_older_history_is_left_out(started: Chat) -> None:
    to_start(started)  # 8 events: exactly what chat shows
    started.ok(JEROEN, "aanbieder KB-0001 wilgenhof-orthopedagogisch-centrum")  # the 9th
    text = started.render(started.ok(JEROEN, "status KB-0001"))
    header = text.split("Geschiedenis")[1].splitlines()[0]
    assert "eerdere: `ketenbot referral show KB-0001`" in header
    assert text.count(" via console") == 8

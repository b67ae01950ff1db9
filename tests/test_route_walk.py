"""Both routes walked through every branch Bouwsteen 5 writes, with the clock moved.

Step 1 by either side (315: both consultations), the regional contact person
on a step-1 lapse, the koppelgenoot, an incorrect 315, step 5A and 5B, step 6
only after step 5 with its week, the talk and a bestuurlijke escalatie taken by
command (never by the clock), and `mijn` for every party. Every refusal says
why and changes nothing (`Chat.refused`).
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.app import KetenBot
from bot.config import Settings
from storage.models import Organisation, Person, Team
from tests.conftest import AMS, FakeClock
from tests.test_referrals import (
    BACKOFFICE,
    BRAM,
    CARLA,
    ESTHER,
    IRIS,
    JEROEN,
    MONIQUE,
    OLGA,
    SASKIA,
    TESS,
    WENDY,
    WILGENHOF,
    Chat,
    at,
    end_of,
)

OTHER_PROVIDER = "zandloper-gezinsbegeleiding"


@pytest.fixture
def chat(db_url: str, sample_engine: Engine, clock: FakeClock) -> Chat:
    bot = KetenBot(settings=Settings(database_url=db_url, language="nl"), engine=sample_engine,
                   clock=clock)
    return Chat(bot, clock)


def tick(chat: Chat) -> None:
    chat.bot.tick([])


def ret_member(chat: Chat) -> str:
    with Session(chat.engine) as s:
        person = s.exec(select(Person).join(Team).join(Organisation).where(
            Organisation.key == "ret-food-valley")).first()
        assert person is not None
        return person.email


def to_step5(chat: Chat, route: str = "301") -> None:
    """KB-0001 in Ede, through its steps to the provider's afwijzing."""
    chat.ok(JEROEN, f"verwijs {route} Ede K-1")
    chat.ok(JEROEN, f"aanbieder KB-0001 {WILGENHOF}")
    chat.ok(BRAM, "ontvangen KB-0001")
    if route == "315":
        chat.ok(SASKIA, "ontvangen KB-0001")
    chat.ok(JEROEN, "volgende KB-0001")
    if route == "301":
        chat.ok(BRAM, "301 KB-0001")
    chat.ok(SASKIA, "afwijzing KB-0001 geen plek")
    assert chat.referral().step == "alternatief"


# -- step 1 -----------------------------------------------------------------------


def test_301_step_1_recorded_by_the_jb_says_who_and_when(chat: Chat, clock: FakeClock) -> None:
    chat.ok(JEROEN, "verwijs 301 Ede K-1")
    chat.refused(JEROEN, "contact KB-0001 za", "contact_which")  # no provider in 301's step 1
    chat.refused(JEROEN, "contact KB-0001 iemand", "contact_usage")
    clock.set(at(25, 11))
    reply = chat.ok(JEROEN, "contact KB-0001")
    assert reply.data["step_key"] == "bepaling"
    assert chat.render(reply).startswith("Contact vastgelegd: KB-0001")
    action, step, who, detail = chat.events()[2]
    assert (action, step, who, detail) == ("contact", "contact", "Jeroen Bakker",
                                           {"met": "lt", "number": "1"})
    assert "wo 25 nov 2026 11:00  overleg vastgelegd (stap 1) — Jeroen Bakker" in chat.say(
        BRAM, "status KB-0001")
    assert [d.status for d in chat.deadlines()["step:contact"]] == ["met"]
    chat.refused(BRAM, "ontvangen KB-0001", "wrong_action")
    text = chat.refused(BRAM, "contact KB-0001", "contact_step")
    assert text == "KB-0001 staat op stap 2-3; het contact van stap 1 is al vastgelegd. " \
                   "Er is niets veranderd."


@pytest.mark.parametrize("first", ["lt", "za"])
def test_315_step_1_needs_both_consultations_in_either_order(chat: Chat, first: str) -> None:
    chat.ok(JEROEN, "verwijs 315 Ede K-1")
    chat.ok(JEROEN, f"aanbieder KB-0001 {WILGENHOF}")
    text = chat.refused(JEROEN, "contact KB-0001", "contact_which")
    assert "`contact KB-0001 lt`" in text and "`contact KB-0001 za`" in text
    # The provider's own record counts for the provider; the LT worker's for the LT.
    one, other = (BRAM, SASKIA) if first == "lt" else (SASKIA, BRAM)
    reply = chat.ok(one, "ontvangen KB-0001")
    assert reply.data["step_key"] == "consult"  # the other consultation is still open
    status = chat.say(JEROEN, "status KB-0001")
    side_done = "lokaal team" if first == "lt" else "zorgaanbieder"
    side_open = "zorgaanbieder" if first == "lt" else "lokaal team"
    assert f"Overleg met {side_done}: vastgelegd door" in status
    assert f"Overleg met {side_open}: nog niet vastgelegd" in status
    thread = [o for o in chat.outbox() if o.template == "thread_event"]
    assert "stap 1 wacht nog op het andere overleg" in chat.renderer.render_name(
        "thread_event", thread[-1].payload)
    text = chat.refused(JEROEN, f"contact KB-0001 {first}", "contact_done")
    assert "is al vastgelegd door" in text
    # Whoever records the second one completes step 1.
    assert chat.ok(other, "ontvangen KB-0001").data["step_key"] == "bepaling"
    mets = [d.get("met") for a, _, _, d in chat.events() if a in ("contact", "ontvangen")]
    assert mets == [first, "za" if first == "lt" else "lt"]


def test_a_step_1_lapse_goes_to_the_regional_contact_person_only(
        chat: Chat, clock: FakeClock) -> None:
    chat.ok(JEROEN, "verwijs 301 Ede K-1")
    clock.set(at(30, 9))  # Monday: the 3 werkdagen ended Friday night
    tick(chat)
    escalations = [o for o in chat.outbox() if o.kind == "escalation"]
    assert [o.person_id for o in escalations] == [chat.person(MONIQUE).id]
    text = chat.renderer.render_name("escalation", escalations[0].payload)
    assert "Zorg dat de jeugdbeschermer en de lokaal-teammedewerker contact krijgen. " \
           "U neemt geen taken van hen over." in text
    en = chat.renderer.render_name("escalation", escalations[0].payload, "en")
    assert "You take over none of their tasks." in en
    # Not the RET, not the escalation model, not the team leaders.
    assert not any(o.person_id in (chat.person(CARLA).id, chat.person(TESS).id)
                   for o in chat.outbox() if o.kind == "escalation")
    # She sees the region's step-1 case in `mijn`.
    assert "KB-0001" in chat.say(MONIQUE, "mijn")


# -- koppelgenoot and absence ---------------------------------------------------------


def test_the_koppelgenoot_is_told_and_gets_the_absent_workers_reminders(
        chat: Chat, clock: FakeClock) -> None:
    chat.ok(JEROEN, "verwijs 301 Ede K-1")
    reply = chat.ok(CARLA, f"herverdeel KB-0001 {WENDY}")
    assert reply.data["koppelgenoot"] == "Iris van der Wal"
    assert [o.template for o in chat.notices_to(IRIS)] == ["koppelgenoot"]
    # Wendy falls ill: her reminder goes to Iris.
    with Session(chat.engine) as s:
        wendy = s.exec(select(Person).where(Person.email == WENDY)).one()
        wendy.absent_until = date(2026, 12, 31)
        s.add(wendy)
        s.commit()
    clock.set(datetime(2026, 11, 26, 8, 30, tzinfo=AMS))  # one werkdag before
    tick(chat)
    reminded = {o.person_id for o in chat.outbox() if o.kind == "reminder"}
    assert chat.person(IRIS).id in reminded and chat.person(WENDY).id not in reminded
    # Iris may record step 1 for her.
    assert chat.ok(IRIS, "ontvangen KB-0001").data["step_key"] == "bepaling"


# -- 315 step 4: an incorrect 315 ------------------------------------------------------


def test_an_incorrect_315_goes_back_to_the_provider_with_a_new_term(
        chat: Chat, clock: FakeClock) -> None:
    chat.ok(JEROEN, "verwijs 315 Ede K-1")
    chat.ok(JEROEN, f"aanbieder KB-0001 {WILGENHOF}")
    chat.ok(BRAM, "ontvangen KB-0001")
    chat.ok(JEROEN, "contact KB-0001 za")
    chat.ok(JEROEN, "volgende KB-0001")
    chat.refused(BACKOFFICE, "onjuist KB-0001", "onjuist_step")
    chat.ok(SASKIA, "acceptatie KB-0001")
    assert chat.pending() == {"step:verzoek": end_of(1, 12)}
    chat.ok(SASKIA, "315 KB-0001")
    chat.refused(JEROEN, "onjuist KB-0001", "not_allowed")

    clock.set(at(26, 10))
    reply = chat.ok(BACKOFFICE, "onjuist KB-0001 productcode klopt niet")
    assert reply.data["step_key"] == "verzoek"
    # A new 5 werkdagen from the JW319 answer: Thu 26 Nov -> end of Thu 3 Dec.
    assert chat.pending() == {"step:verzoek": end_of(3, 12)}
    assert [e[0] for e in chat.events()[-2:]] == ["onjuist_315", "stap"]
    assert chat.events()[-2][1] == "toewijzing"
    assert chat.notices_to(SASKIA)[-1].template == "your_turn"
    chat.ok(SASKIA, "315 KB-0001")
    assert chat.ok(BACKOFFICE, "301 KB-0001").data["step_key"] == "zorg"


# -- step 5A ----------------------------------------------------------------------------


@pytest.mark.parametrize(("route", "found_step", "actor"), [
    ("301", "toewijzing", "lokaal_team"), ("315", "verzoek", "zorgaanbieder")])
def test_5a_the_found_provider_and_the_backoffice_get_the_terms_again(
        chat: Chat, clock: FakeClock, route: str, found_step: str, actor: str) -> None:
    to_step5(chat, route)
    chat.refused(BRAM, f"gevonden KB-0001 {OTHER_PROVIDER}", "not_allowed")
    chat.refused(JEROEN, "gevonden KB-0001", "gevonden_usage")
    chat.refused(JEROEN, "gevonden KB-0001 Nergens Zorg", "provider_unknown")
    clock.set(at(30, 10))
    reply = chat.ok(SASKIA, f"gevonden KB-0001 {OTHER_PROVIDER}")
    assert reply.data["step_key"] == found_step and reply.data["actor_party"] == actor
    assert reply.data["zorgaanbieder"] == "Zandloper Gezinsbegeleiding"
    # 5 werkdagen from Mon 30 Nov: the end of Mon 7 Dec.
    assert chat.pending() == {f"step:{found_step}": end_of(7, 12)}
    if route == "301":
        assert chat.notices_to(BACKOFFICE)[-1].template == "step_inform"
        chat.ok(BACKOFFICE, "301 KB-0001")
        chat.ok(JEROEN, "gestart KB-0001")
    else:
        chat.ok(JEROEN, "315 KB-0001")
        assert chat.pending() == {"step:toewijzing": end_of(7, 12)}
        chat.ok(BACKOFFICE, "301 KB-0001")
        chat.ok(JEROEN, "gestart KB-0001")
    assert chat.referral().status == "closed"


# -- step 5B and step 6 ------------------------------------------------------------------


def test_5b_two_weeks_from_ret_then_step_6_with_a_manual_bestuurlijke_escalatie(
        chat: Chat, clock: FakeClock) -> None:
    to_step5(chat)
    member = ret_member(chat)
    # The LT worker is told of step 5; the provider becomes co-owner.
    [told] = [o for o in chat.notices_to(BRAM) if o.template == "afwijzing"]
    assert "De verwijzing gaat naar stap 5" in chat.renderer.render_name("afwijzing", told.payload)
    assert "KB-0001" in chat.say(ESTHER, "mijn")
    # Step 6 before step 5 has run its course: refused, with the reason.
    text = chat.refused(JEROEN, "escaleer KB-0001", "escalate_need_ret")
    assert "`ret KB-0001`" in text and "`uitkomst KB-0001 nee`" in text
    chat.refused(JEROEN, "uitkomst KB-0001 nee", "ret_none")

    clock.set(at(26, 14))  # Thursday: put to the RET
    chat.refused(BRAM, "ret KB-0001", "not_allowed")
    reply = chat.ok(JEROEN, "ret KB-0001")
    # Two weeks from `ret`: Thu 10 Dec.
    assert chat.pending() == {"ret": end_of(10, 12)}
    assert reply.data["due_at"] == end_of(10, 12).isoformat()
    chat.refused(JEROEN, "ret KB-0001", "ret_open")
    assert chat.notices_to(member)[-1].template == "ret_request"
    assert "KB-0001" in chat.say(member, "mijn")  # the RET sees what waits for it

    clock.set(datetime(2026, 12, 9, 8, 30, tzinfo=AMS))  # one werkdag before
    tick(chat)
    reminded = {o.person_id for o in chat.outbox() if o.kind == "reminder"}
    assert {chat.person(member).id, chat.person(JEROEN).id} <= reminded

    clock.set(at(9, 15, month=12))
    chat.refused(JEROEN, "uitkomst KB-0001 misschien", "uitkomst_usage")
    chat.refused(BRAM, "uitkomst KB-0001 nee", "not_allowed")
    chat.ok(member, "uitkomst KB-0001 nee")
    assert chat.deadlines()["ret"][-1].status == "met"
    assert chat.events()[-1][3] == {"hulp": "nee"}
    chat.refused(JEROEN, "uitkomst KB-0001 ja", "ret_done")

    # Step 6: only the JB or the GI team leader starts it.
    chat.refused(BRAM, "escaleer KB-0001", "not_allowed")
    chat.refused(TESS, "gesprek KB-0001", "step6_only")
    reply = chat.ok(JEROEN, "escaleer KB-0001")
    assert reply.data["step_key"] == "escalatie" and reply.data["actor_party"] == "gi_teamleider"
    # One week for the talk (and a bestuurlijke escalatie if needed): Wed 16 Dec.
    assert chat.pending() == {"step:escalatie": end_of(16, 12)}
    assert [e[0] for e in chat.events()[-2:]] == ["stap6", "stap"]
    assert chat.notices_to(TESS)[-1].template == "your_turn"
    told = chat.notices_to(MONIQUE)[-1]
    assert told.template == "step_inform"
    assert "De teamleider GI neemt contact met u op" in chat.renderer.render_name(
        "step_inform", told.payload)
    assert "KB-0001" in chat.say(MONIQUE, "mijn")  # the region's step-6 case
    chat.refused(JEROEN, "escaleer KB-0001", "already_escalated")
    chat.refused(JEROEN, "bestuurlijk KB-0001", "not_allowed")

    # The clock runs on: nothing becomes bestuurlijk by itself.
    clock.set(at(15, 10, month=12))
    tick(chat)
    assert not [e for e in chat.events() if e[0] == "bestuurlijk"]
    reply = chat.ok(MONIQUE, "bestuurlijk KB-0001 wachtlijst in de hele regio")
    assert chat.render(reply).startswith("Bestuurlijke escalatie vastgelegd: KB-0001")
    assert chat.events()[-1][:3] == ("bestuurlijk", "escalatie", "Monique Peters")
    assert [d.status for d in chat.deadlines()["step:escalatie"]] == ["met"]
    assert chat.notices_to(TESS)[-1].template == "bestuurlijk"
    assert chat.notices_to(JEROEN)[-1].template == "bestuurlijk"
    chat.refused(TESS, "bestuurlijk KB-0001", "bestuurlijk_done")
    chat.ok(TESS, "gesprek KB-0001")
    chat.refused(MONIQUE, "gesprek KB-0001", "gesprek_done")

    # Help is found after all: the route's terms run again.
    assert chat.ok(TESS, f"gevonden KB-0001 {OTHER_PROVIDER}").data["step_key"] == "toewijzing"


def test_step_6_week_lapses_and_both_are_told_nothing_automatic(
        chat: Chat, clock: FakeClock) -> None:
    to_step5(chat)
    chat.ok(JEROEN, "ret KB-0001")
    clock.set(at(10, 10, month=12))  # the RET let its two weeks pass (end of Tue 8 Dec)
    tick(chat)
    assert chat.deadlines()["ret"][-1].status == "lapsed"
    chat.ok(TESS, "escaleer KB-0001")  # a RET that did not discuss it: step 5 gave no help
    clock.set(at(21, 10, month=12))  # the week lapsed with no talk recorded
    tick(chat)
    lapse = [o for o in chat.outbox() if o.kind == "escalation"
             and o.payload["step_key"] == "escalatie"]
    assert {o.person_id for o in lapse} == {chat.person(TESS).id, chat.person(MONIQUE).id}
    assert all(o.payload["bestuurlijk"] is False for o in lapse)
    assert not [e for e in chat.events() if e[0] == "bestuurlijk"]
    assert chat.referral().step == "escalatie"
    # Team leaders see their team's lapsed referrals first (GI and lokaal team alike).
    chat.ok(JEROEN, "verwijs 301 Ede K-2")  # on time, and newer
    for leader in (TESS, CARLA):
        lines = chat.say(leader, "mijn").splitlines()
        assert lines[1].lstrip().startswith("⚠ termijn verstreken") and "KB-0001" in lines[1]
        assert "KB-0002" in lines[2] and "⚠" not in lines[2]


def test_escaleer_is_refused_before_step_5_with_the_reason(chat: Chat) -> None:
    chat.ok(JEROEN, "verwijs 301 Ede K-1")
    text = chat.refused(JEROEN, "escaleer KB-0001", "escalate_step1")
    assert "regelt de regionale contactpersoon dat contact" in text
    chat.ok(BRAM, "ontvangen KB-0001")
    text = chat.refused(JEROEN, "escaleer KB-0001", "escalate_too_early")
    assert text.startswith("KB-0001 staat op stap 2-3. Stap 6 (escalatie) volgt pas na stap 5")
    chat.ok(JEROEN, f"volgende KB-0001 {WILGENHOF}")
    chat.refused(TESS, "escaleer KB-0001", "escalate_too_early")
    chat.refused(OLGA, "escaleer KB-0001", "not_party")


# -- mijn ----------------------------------------------------------------------------------


def test_mijn_for_backoffice_provider_and_team_leaders(chat: Chat) -> None:
    chat.ok(JEROEN, "verwijs 301 Ede K-1")
    chat.ok(JEROEN, "verwijs 301 Ede K-2")
    assert "KB-0001" not in chat.say(BACKOFFICE, "mijn")  # nothing for the backoffice yet
    chat.ok(BRAM, "ontvangen KB-0001")
    assert "KB-0001" not in chat.say(SASKIA, "mijn")  # no provider yet
    chat.ok(JEROEN, f"volgende KB-0001 {WILGENHOF}")
    # Step 4: the backoffice sends the 301 — it is its turn.
    assert "▶ U bent aan zet: KB-0001" in chat.say(BACKOFFICE, "mijn")
    assert "KB-0002" not in chat.say(BACKOFFICE, "mijn")
    assert "KB-0001" in chat.say(SASKIA, "mijn")
    for leader in (CARLA, TESS):  # their team's open referrals
        text = chat.say(leader, "mijn")
        assert "KB-0001" in text and "KB-0002" in text
    assert "KB-0001" not in chat.say(OLGA, "mijn")

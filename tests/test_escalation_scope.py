"""Who may see and act on a Bouwsteen 6 escalation (issue 17, item 2).

A GI works in every region; its people in another region are no party to this
region's escalation. Each attack below was reproduced before the fix: people
of the same GI elsewhere changed the family position of a closed escalation,
read the family's reason, took tier 2 (pinging managers), replaced the report,
and a Food Valley team leader closed an Arnhem escalation. Now each is refused
and changes nothing; a closed escalation is read-only; `mijn` and the buttons
follow the same rule.
"""

from __future__ import annotations

from sqlmodel import Session, select

from storage.db import session_scope
from storage.models import Person, Team
from tests.test_escalation_model import (
    BRAM,
    CARLA,
    DENNIS,
    JEROEN,
    KOEN,
    MARIA,
    OLGA,
    TESS,
    WENDELA,
    Chat,
    chat,  # noqa: F401  (fixture)
)
from tests.test_slack import Slack, start_referral
from tests.test_slack import fake as fake  # noqa: F401  (fixture)
from tests.test_slack import slack as slack  # noqa: F401  (fixture)

HESTER = "hester.prins@jbgld.example.org"  # GI teamleider, Centraal Gelderland (Arnhem)
LIEKE = "lieke.bos@jbgld.example.org"  # JB, Centraal Gelderland
ARNHEM_LT = "carla.peeters@buurtteam-arnhem.example.org"
HANNEKE = "hanneke.vanbeek@ldh-jr.example.org"  # JB of another GI (Leger des Heils), Food Valley


def _move(c: Chat, email: str, team_key: str) -> None:
    """The directory changed: the person now works in another team."""
    with session_scope(c.engine) as s:
        person = s.exec(select(Person).where(Person.email == email)).one()
        person.team_id = s.exec(select(Team.id).where(Team.key == team_key)).one() or 0
        s.add(person)


def test_a_food_valley_team_leader_cannot_close_an_arnhem_escalation(chat: Chat) -> None:  # noqa: F811
    chat.ok(LIEKE, "verwijs 301 Arnhem K-2")
    chat.ok(LIEKE, "escaleer KB-0002 samenwerking")
    text = chat.refused(TESS, "sluit ES-0001 opgelost", "model_not_party")
    assert "in Arnhem werken" in text
    assert chat.esc().status == "open"
    # The Arnhem team leader of the same GI may.
    assert chat.ok(HESTER, "sluit ES-0001 gesprek gevoerd").data["status"] == "closed"


def test_the_same_gi_in_another_region_can_neither_read_nor_act(chat: Chat) -> None:  # noqa: F811
    chat.ok(JEROEN, "escaleer KB-0001 samenwerking")
    chat.ok(JEROEN, "gezin ES-0001 later moeder is opgenomen")
    chat.ok(BRAM, "trede ES-0001 2")
    chat.ok(JEROEN, "verslag ES-0001 eerste overleg gevoerd")
    for command in ("status ES-0001",  # would show the family's reason
                    "gezin ES-0001 ja",
                    "trede ES-0001 3",  # would ping every bestuurder and wethouder
                    "verslag ES-0001 vervangen verslag",
                    "akkoord ES-0001",
                    "partij ES-0001 vt",
                    "sluit ES-0001 klaar"):
        # (`refused` also checks that no row and no message was written.)
        text = chat.refused(OLGA, command, "model_not_party")
        assert "moeder" not in text and "overleg gevoerd" not in text
    assert chat.esc().status == "open" and chat.esc().tier == 2
    # A colleague of the same GI who works in Ede is a party, and reads it.
    assert "moeder is opgenomen" in chat.say(KOEN, "status ES-0001")


def test_a_closed_escalation_is_read_only(chat: Chat) -> None:  # noqa: F811
    chat.ok(JEROEN, "escaleer KB-0001 zorgelijk")
    chat.ok(JEROEN, "gezin ES-0001 later wordt na het overleg uitgelegd")
    chat.ok(CARLA, "sluit ES-0001 afspraken gemaakt")
    for command in ("gezin ES-0001 ja", "gezin ES-0001 nee toch niet", "trede ES-0001 2",
                    "verslag ES-0001 achteraf", "partij ES-0001 vt"):
        chat.refused(JEROEN, command, "model_closed")
    assert chat.esc().family_informed == "later"
    assert "gesloten" in chat.say(JEROEN, "status ES-0001")  # still readable by its parties


def test_people_in_it_by_name_stay_parties_others_leave_with_their_team(chat: Chat) -> None:  # noqa: F811
    chat.ok(JEROEN, "escaleer KB-0001 dilemma")
    chat.ok(JEROEN, "trede ES-0001 1")
    chat.ok(DENNIS, "trede ES-0001 2")
    chat.ok(KOEN, "gezin ES-0001 ja")  # a party by his team (JBG Food Valley serves Ede)
    # The tier-2 meeting's verslag goes to that meeting's people, Koen among them.
    chat.ok(JEROEN, "verslag ES-0001 overleg gevoerd")
    assert "akkoord ES-0001" in chat.say(KOEN, "mijn")
    chat.ok(MARIA, "trede ES-0001 3")
    # Brought in by a tier: parties, though a wethouder's organisation is none.
    assert chat.ok(WENDELA, "status ES-0001").ok
    # Koen moves to the Achterhoek team: the escalation is no longer his to see.
    _move(chat, KOEN, "jbgld-achterhoek")
    assert "ES-0001" not in chat.say(KOEN, "mijn")
    chat.refused(KOEN, "akkoord ES-0001", "model_not_party")
    # Tess, brought in by name for tier 2, stays in it when her team changes.
    _move(chat, TESS, "jbgld-achterhoek")
    assert "akkoord ES-0001" in chat.say(TESS, "mijn")
    # The referral's own people are in it by name, wherever their team works.
    _move(chat, BRAM, "jbgld-achterhoek")
    assert chat.ok(BRAM, "status ES-0001").ok
    # Removed from the directory (the archive team): no party at all.
    with Session(chat.engine) as s:
        assert s.exec(select(Team).where(Team.key == "uit-dienst")).first() is None
    from handlers.contacts.admin import _archive

    with session_scope(chat.engine) as s:
        archive = _archive(s).id
        wendela = s.exec(select(Person).where(Person.email == WENDELA)).one()
        wendela.team_id = archive or 0
        s.add(wendela)
    chat.refused(WENDELA, "status ES-0001", "model_not_party")


def test_starting_needs_a_team_that_works_in_the_gemeente(chat: Chat) -> None:  # noqa: F811
    text = chat.refused(OLGA, "escaleer kenmerk Z-1 Ede samenwerking", "model_not_gemeente")
    assert "niet in Ede" in text
    chat.refused(ARNHEM_LT, "escaleer kenmerk Z-1 Ede samenwerking", "model_not_gemeente")
    # On a referral: its organisations' people who work in the gemeente, or its own people.
    chat.refused(OLGA, "escaleer KB-0001 samenwerking", "model_not_involved")
    chat.refused(LIEKE, "escaleer KB-0001 samenwerking", "model_not_involved")
    assert chat.ok(KOEN, "escaleer KB-0001 samenwerking").ok


def test_escaleer_kenmerk_does_not_tell_of_another_organisations_escalation(
        chat: Chat) -> None:  # noqa: F811
    chat.ok(CARLA, "escaleer kenmerk X-1 Ede dilemma")  # the lokaal team's, ES-0001
    # A GI worker in Ede, no party to it: the answer is the one for a new kenmerk.
    reply = chat.ok(JEROEN, "escaleer kenmerk X-1 Ede dilemma")
    text = chat.renderer.render(reply) + chat.renderer.render(reply, "en")
    assert reply.data["es_ref"] == "ES-0002" and "ES-0001" not in text
    assert reply.data["organisations"] == ["Jeugdbescherming Gelderland"]
    # A party of the first is told where to go on.
    text = chat.refused(BRAM, "escaleer kenmerk x-1 Ede samenwerking", "model_open")
    assert "ES-0001" in text


def test_verwijs_does_not_tell_of_another_organisations_referral(chat: Chat) -> None:  # noqa: F811
    # KB-0001 has kenmerk K-1 in Ede (JBG). Another GI's worker with the same kenmerk:
    # no duplicate of theirs, and nothing about KB-0001.
    reply = chat.ok(HANNEKE, "verwijs 301 Ede K-1")
    text = chat.renderer.render(reply) + chat.renderer.render(reply, "en")
    assert reply.data["ref"] == "KB-0002" and "KB-0001" not in text
    # A colleague of the same organisation is told it is a duplicate, and which one.
    text = chat.refused(KOEN, "verwijs 301 Ede K-1", "referral_duplicate")
    assert "KB-0001" in text


async def test_a_button_of_someone_elses_escalation_is_refused(slack: Slack) -> None:  # noqa: F811
    await start_referral(slack)
    await slack.command("UJEROEN", "escaleer KB-0001 samenwerking")
    await slack.command("UJEROEN", "verslag ES-0001 plek gevonden")
    slack.fake.users["UOLGA"] = OLGA
    refused = await slack.press("UOLGA", "akkoord", "ES-0001")
    assert refused["response_type"] == "ephemeral" and "geen partij" in refused["text"]
    shown = await slack.press("UOLGA", "status", "ES-0001")
    assert "geen partij" in shown["text"] and "plek gevonden" not in shown["text"]


def test_a_tier_never_pings_the_same_gi_in_other_regions(chat: Chat) -> None:  # noqa: F811
    # The Food Valley team has no team leader for a while: tier 2 must not fall
    # back on every team leader of the GI in the other six regions.
    with session_scope(chat.engine) as s:
        tess = s.exec(select(Person).where(Person.email == TESS)).one()
        tess.role = "medewerker"
        s.add(tess)
    chat.ok(JEROEN, "escaleer KB-0001 samenwerking")
    reply = chat.ok(BRAM, "trede ES-0001 2")
    assert "Hester Prins" not in reply.data["brought"]
    assert "Maria Mulder" in reply.data["brought"]  # the GI's own staff (directie) still are
    assert not chat.messages_to(HESTER)
    chat.refused(HESTER, "status ES-0001", "model_not_party")

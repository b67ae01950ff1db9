"""Everyone keeps their own entry; team leaders and contactbeheerders may help.

Each test types commands as a user would and checks what they would notice:
the reply, the entry afterwards, `wie`, and the audit trail. Every refusal
says why (and who may) and changes nothing at all.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.app import KetenBot
from bot.config import Settings
from storage.contact_tables import DirectoryChange, KoppelProposal
from storage.models import ChatIdentity, Person, Team
from storage.tables import Outbox, Referral
from tests.conftest import FakeClock
from tests.test_referrals import ANOUK, BRAM, CARLA, IRIS, JEROEN, TESS, WENDY, Chat

FV_BEHEERDER = "youssef.vandam@regio-foodvalley.example.org"  # Food Valley (gemeente Ede)
VT_BEHEERDER = "monique.vanleeuwen@vtnog.example.org"  # Noord- en Oost-Gelderland


class Keeper(Chat):
    def entry(self, email: str) -> Person:
        with Session(self.engine) as s:
            p = s.exec(select(Person).where(Person.email == email)).one()
            s.expunge(p)
            return p

    def team_key(self, email: str) -> str:
        with Session(self.engine) as s:
            return s.exec(select(Team.key).join(Person, col(Person.team_id) == Team.id)
                          .where(Person.email == email)).one()

    def audit(self, subject: str | None = None) -> list[DirectoryChange]:
        with Session(self.engine) as s:
            stmt = select(DirectoryChange).where(DirectoryChange.platform != "import")
            if subject:
                stmt = stmt.where(DirectoryChange.subject == subject)
            rows = s.exec(stmt.order_by(col(DirectoryChange.id))).all()
            for r in rows:
                s.expunge(r)
            return list(rows)

    def everything(self) -> dict[str, Any]:
        with Session(self.engine) as s:
            return {
                "people": sorted((p.email, p.name, p.role, p.team_id, p.phone, p.koppelgenoot_id,
                                  p.absent_until, p.verified_on)
                                 for p in s.exec(select(Person))),
                "audit": len(s.exec(select(DirectoryChange)).all()),
                "proposals": len(s.exec(select(KoppelProposal)).all()),
                "outbox": len(s.exec(select(Outbox)).all()),
                "identities": len(s.exec(select(ChatIdentity)).all()),
                "referrals": [(r.id, r.lt_id, r.lt_backup_id, r.jb_id)
                              for r in s.exec(select(Referral))],
            }

    def refuse(self, who: str, text: str, code: str) -> str:
        before = self.everything()
        reply = self.do(who, text)
        assert not reply.ok and reply.private, (text, reply.data)
        assert reply.template == "contact_error" and reply.data["code"] == code, reply.data
        assert self.everything() == before, f"{text!r} was refused but changed something"
        nl, en = self.render(reply, "nl"), self.render(reply, "en")
        assert "Dat lukte niet" not in nl and "did not work" not in en
        return nl


@pytest.fixture
def chat(db_url: str, sample_engine: Engine, clock: FakeClock) -> Keeper:
    bot = KetenBot(settings=Settings(database_url=db_url, language="nl"), engine=sample_engine,
                   clock=clock)
    return Keeper(bot, clock)


def test_ik_shows_my_entry_with_its_buttons_and_who_keeps_the_list(chat: Keeper) -> None:
    reply = chat.ok(WENDY, "ik")
    assert reply.template == "contact_entry"
    assert reply.data["buttons"][:2] == ["klopt", "telefoon"]
    text = chat.render(reply)
    assert "Wendy Evers" in text and "koppelgenoot: Iris van der Wal" in text
    assert "Contactbeheer van uw regio: Youssef van Dam" in text
    assert "Your region's contact list keepers" in chat.render(chat.ok(WENDY, "me"), "en")


def test_klopt_sets_the_verification_date_and_is_audited(chat: Keeper, clock: FakeClock) -> None:
    before = chat.entry(WENDY).verified_on
    reply = chat.ok(WENDY, "ik klopt")
    assert chat.entry(WENDY).verified_on == date(2026, 11, 24)
    assert "gegevens zijn bevestigd" in chat.render(reply)
    [change] = chat.audit(WENDY)
    assert (change.action, change.actor, change.platform) == ("bevestigd", WENDY, "console")
    assert change.detail["verified_on"] == [before.isoformat() if before else None, "2026-11-24"]
    assert change.at == clock.now and change.team == "lt-ede"


def test_change_phone_shows_in_wie_at_once(chat: Keeper) -> None:
    old = chat.entry(BRAM).phone
    chat.ok(BRAM, "ik telefoon +31 6 9999 0000")
    assert chat.entry(BRAM).phone == "+31 6 9999 0000"
    assert chat.audit(BRAM)[-1].detail == {"phone": [old, "+31 6 9999 0000"]}
    assert "+31 6 9999 0000" in chat.render(chat.ok(JEROEN, "wie Ede lt"))
    chat.refuse(WENDY, "ik telefoon bel-me-maar", "phone_invalid")


def test_absence_set_by_myself_ends_by_itself_and_lookups_honour_it(chat: Keeper,
                                                                   clock: FakeClock) -> None:
    # Bram stands in for Anouk (absent) in Ede; once Bram is absent too the
    # lookup still starts with someone present, and the absence ends by itself.
    chat.ok(BRAM, "ik")
    reply = chat.ok(BRAM, "afwezig tot 2026-11-27")
    assert "afwezig t/m" in chat.render(reply)
    assert chat.entry(BRAM).absent_until == date(2026, 11, 27)
    assert chat.audit(BRAM)[-1].action == "afwezig"
    wie = chat.render(chat.ok(JEROEN, "wie Ede lt"))
    assert "Bram de Vries — AFWEZIG t/m" in wie
    clock.set(clock.now.replace(day=30))  # Monday after
    assert "Bram de Vries — AFWEZIG" not in chat.render(chat.ok(JEROEN, "wie Ede lt"))


def test_new_assignments_pass_over_the_absent(chat: Keeper) -> None:
    # Anouk is absent in the sample: the referral goes to her koppelgenoot Bram.
    chat.ok(ANOUK, "terug")
    assert chat.entry(ANOUK).absent_until is None
    chat.ok(ANOUK, "afwezig tot 15-01-2027")
    chat.ok(JEROEN, "verwijs 301 Ede K-9")
    assert chat.referral().lt_id == chat.person(BRAM).id


def test_bad_absence_dates_are_refused(chat: Keeper) -> None:
    chat.refuse(WENDY, "afwezig tot morgen", "date_invalid")
    chat.refuse(WENDY, "afwezig tot 2026-11-01", "date_range")
    chat.refuse(WENDY, "afwezig tot 2028-11-01", "date_range")
    assert chat.ok(WENDY, "afwezig").template == "contact_usage"


def test_my_team_leader_may_set_my_absence_a_colleague_may_not(chat: Keeper) -> None:
    chat.ok(CARLA, f"afwezig tot 2026-12-04 {WENDY}")
    assert chat.entry(WENDY).absent_until == date(2026, 12, 4)
    assert chat.audit(WENDY)[-1].actor == CARLA
    text = chat.refuse(IRIS, f"afwezig tot 2026-12-11 {WENDY}", "not_yours")
    assert "U mag alleen uw eigen gegevens wijzigen" in text
    assert "teamleider van Sociaal Team Ede (Carla Smit)" in text
    assert "Youssef van Dam" in text  # and who else may
    # A team leader of another team may not either.
    chat.refuse(TESS, f"terug {WENDY}", "not_yours")


def test_the_regions_contactbeheerder_may_edit_another_regions_may_not(chat: Keeper) -> None:
    chat.ok(FV_BEHEERDER, f"afwezig tot 2026-12-04 {WENDY}")
    assert chat.entry(WENDY).absent_until == date(2026, 12, 4)
    chat.refuse(VT_BEHEERDER, f"terug {WENDY}", "not_yours")


def test_koppelgenoot_is_proposed_and_confirmed_by_the_other(chat: Keeper) -> None:
    chat.ok(WENDY, f"koppelgenoot {BRAM}")
    # Nothing changes until Bram says yes; he hears of it by message.
    assert chat.entry(WENDY).koppelgenoot_id == chat.person(IRIS).id
    with Session(chat.engine) as s:
        [note] = s.exec(select(Outbox).where(Outbox.template == "koppel_proposal")).all()
    assert note.person_id == chat.person(BRAM).id
    assert "koppelgenoot ja" in chat.render(chat.ok(BRAM, "ik"))
    chat.ok(BRAM, "koppelgenoot ja")
    wendy, bram = chat.entry(WENDY), chat.entry(BRAM)
    assert wendy.koppelgenoot_id == bram.id and bram.koppelgenoot_id == wendy.id
    # Their former partners are not left pointing at them.
    assert chat.entry(IRIS).koppelgenoot_id is None and chat.entry(ANOUK).koppelgenoot_id is None
    assert {c.subject for c in chat.audit() if c.action == "koppelgenoot"} == {
        WENDY, BRAM, IRIS, ANOUK}
    chat.refuse(BRAM, "koppelgenoot ja", "no_proposal")


def test_koppelgenoot_comes_from_the_same_team(chat: Keeper) -> None:
    chat.refuse(WENDY, f"koppelgenoot {JEROEN}", "buddy_team")
    chat.refuse(WENDY, f"koppelgenoot {WENDY}", "buddy_self")
    chat.refuse(IRIS, f"koppelgenoot {WENDY} {BRAM}", "not_yours")
    chat.ok(CARLA, f"koppelgenoot {WENDY} {BRAM}")
    assert chat.entry(WENDY).koppelgenoot_id == chat.person(BRAM).id


def test_nobody_edits_anothers_phone(chat: Keeper) -> None:
    # `ik` only ever changes the asker's own entry.
    chat.ok(IRIS, "ik telefoon +31 6 1111 2222")
    assert chat.entry(WENDY).phone != "+31 6 1111 2222"
    assert [c.subject for c in chat.audit()] == [IRIS]


# -- contactbeheerders and team leaders administer ----------------------------------


def test_a_team_leader_adds_a_new_colleague_to_her_own_team_only(chat: Keeper) -> None:
    new = "sanne.bos@sociaalteam-ede.example.org"
    chat.ok(CARLA, f"teamlid lt-ede {new} medewerker Sanne Bos")
    assert chat.team_key(new) == "lt-ede" and chat.entry(new).verified_on == date(2026, 11, 24)
    [created] = chat.audit(new)
    assert (created.action, created.actor) == ("aangemaakt", CARLA)
    text = chat.refuse(CARLA, "teamlid lt-barneveld iemand@example.org medewerker Iemand",
                       "not_your_team")
    assert "Alleen de teamleider van" in text
    chat.refuse(WENDY, "teamlid lt-ede iemand@example.org medewerker Iemand", "not_your_team")
    assert chat.ok(CARLA, f"teamlid lt-ede {new}").data["what"] == "al_in_team"
    chat.refuse(CARLA, "teamlid lt-nergens x@example.org medewerker X", "team_unknown")


def test_the_contactbeheerder_moves_someone_within_the_region(chat: Keeper) -> None:
    chat.ok(FV_BEHEERDER, f"teamlid lt-barneveld {WENDY}")
    assert chat.team_key(WENDY) == "lt-barneveld"
    # Her koppelgenoot in the old team is not left pointing at her.
    assert chat.entry(WENDY).koppelgenoot_id is None
    assert chat.entry(IRIS).koppelgenoot_id is None
    moved = [c for c in chat.audit(WENDY) if c.action == "verplaatst"]
    assert moved[0].detail == {"team": ["lt-ede", "lt-barneveld"]}
    # Carla leads the old team, not the new one: she cannot move Wendy back.
    chat.refuse(CARLA, f"teamlid lt-ede {WENDY}", "not_yours")
    # Another region's beheerder cannot move people into their region's teams.
    chat.refuse(VT_BEHEERDER, f"teamlid lt-ede {IRIS}", "not_your_team")


def test_remove_offers_open_referrals_for_herverdeel_first(chat: Keeper) -> None:
    chat.ok(JEROEN, "verwijs 301 Ede K-1")  # to Bram (Anouk is absent)
    assert chat.referral().lt_id == chat.person(BRAM).id
    text = chat.refuse(CARLA, f"verwijder {BRAM}", "still_owner")
    assert "KB-0001" in text and "herverdeel KB-0001" in text
    chat.ok(CARLA, f"herverdeel KB-0001 {WENDY}")
    chat.ok(CARLA, f"verwijder {BRAM}")
    assert chat.team_key(BRAM) == "uit-dienst"
    # Gone from lookups and from new assignments; the history still names him.
    assert "Bram de Vries" not in chat.render(chat.ok(JEROEN, "wie Ede alle"))
    assert chat.events()[0][2] == "Jeroen Bakker"
    assert chat.audit(BRAM)[-1].action == "verwijderd"
    chat.refuse(WENDY, f"verwijder {IRIS}", "not_yours")
    chat.refuse(CARLA, f"verwijder {CARLA}", "remove_self")
    chat.refuse(CARLA, "verwijder niemand@example.org", "person_unknown")


def test_every_kind_of_change_is_in_the_history(chat: Keeper) -> None:
    new = "sanne.bos@sociaalteam-ede.example.org"
    chat.ok(WENDY, "ik klopt")
    chat.ok(WENDY, "ik telefoon +31 6 5555 0000")
    chat.ok(WENDY, "afwezig tot 2026-12-01")
    chat.ok(WENDY, "terug")
    chat.ok(WENDY, f"koppelgenoot {BRAM}")
    chat.ok(BRAM, "koppelgenoot nee")
    chat.ok(CARLA, f"koppelgenoot {WENDY} {BRAM}")
    chat.ok(CARLA, f"teamlid lt-ede {new} medewerker Sanne Bos")
    chat.ok(FV_BEHEERDER, f"teamlid lt-barneveld {new}")
    chat.ok(FV_BEHEERDER, f"verwijder {new}")
    actions = {c.action for c in chat.audit()}
    assert actions == {"bevestigd", "telefoon", "afwezig", "terug", "koppelgenoot_voorstel",
                       "koppelgenoot_afgewezen", "koppelgenoot", "aangemaakt", "verplaatst",
                       "verwijderd"}
    assert all(c.platform == "console" and c.actor and c.at for c in chat.audit())


def test_a_new_persons_name_is_a_name_not_markup(chat: Keeper) -> None:
    chat.refuse(CARLA, "teamlid lt-ede x@example.org medewerker <!channel> Bos", "name_invalid")
    chat.ok(CARLA, "teamlid lt-ede x@example.org medewerker Anne-Marie van 't Hof")
    assert chat.entry("x@example.org").name == "Anne-Marie van 't Hof"


def test_proposing_twice_sends_one_message(chat: Keeper) -> None:
    chat.ok(WENDY, f"koppelgenoot {BRAM}")
    chat.ok(WENDY, f"koppelgenoot {BRAM}")
    with Session(chat.engine) as s:
        assert len(s.exec(select(Outbox).where(Outbox.template == "koppel_proposal")).all()) == 1

"""The Jeugdbeschermingstafel in the contact directory (Bouwsteen 4; issue 20, item 1).

A tafel is an organisation of kind jbt whose team serves the region; its
people are voorzitters. Per gemeente the voorzitter's eerste aanspreekpersoon
sits in the gemeente's own organisation. A tafel names the neighbouring
tafels that may take its families when it is full (`neighbours:`).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session, col, select

from bot.app import KetenBot
from bot.config import Settings
from handlers.core import Context, Reply
from handlers.registry import build_registry
from messages import Renderer
from scheduling.delivery.contract import Outgoing
from storage import db
from storage.contact_tables import TafelNeighbour
from storage.db import session_scope
from storage.directory.export import dump, export_doc
from storage.models import Gemeente, Organisation, Person, Team
from storage.tables import Outbox
from storage.tafels import neighbour_tafels, tafels_for
from tests.conftest import AMS, FakeClock
from tests.test_contact_selfservice import FV_BEHEERDER, VT_BEHEERDER
from tests.test_directory_import import run_import

# Two regions, each with a tafel; the tafels name each other. Line numbers matter
# below: `neighbours:` of jbt-fv is on line 29.
TAFELS = """\
regions:
  - code: fv
    name: Food Valley
    gemeenten:
      - {cbs: GM0228, name: Ede}
      - {cbs: GM0203, name: Barneveld}
  - code: cg
    name: Centraal Gelderland
    gemeenten:
      - {cbs: GM0202, name: Arnhem}
  - code: ah
    name: Achterhoek
    gemeenten:
      - {cbs: GM0197, name: Aalten}
organisations:
  - key: rvdk
    name: Raad voor de Kinderbescherming
    kind: raad
    teams:
      - key: rvdk-gld
        name: Raad Gelderland
        serves: [regio:fv, regio:cg, regio:ah]
        people:
          - {email: rita.raad@rvdk.example.org, name: Rita Raad, role: medewerker}
  - key: jbt-fv
    name: Jeugdbeschermingstafel Food Valley
    kind: jbt
    region: fv
    neighbours: [jbt-cg]
    teams:
      - key: jbt-fv
        name: Jeugdbeschermingstafel Food Valley
        serves: [regio:fv]
        people:
          - {email: vera.voorzitter@jbt-fv.example.org, name: Vera Voorzitter,
             role: jbt_voorzitter, koppelgenoot: victor.vz@jbt-fv.example.org}
          - {email: victor.vz@jbt-fv.example.org, name: Victor Vos, role: jbt_voorzitter,
             koppelgenoot: vera.voorzitter@jbt-fv.example.org}
  - key: jbt-cg
    name: Jeugdbeschermingstafel Centraal Gelderland
    kind: jbt
    region: cg
    neighbours: [jbt-fv]
    teams:
      - key: jbt-cg
        name: Jeugdbeschermingstafel Centraal Gelderland
        serves: [regio:cg]
        people:
          - {email: carlijn.chair@jbt-cg.example.org, name: Carlijn Claes, role: jbt_voorzitter}
  - key: jbt-ah
    name: Jeugdbeschermingstafel Achterhoek
    kind: jbt
    region: ah
    teams:
      - key: jbt-ah
        name: Jeugdbeschermingstafel Achterhoek
        serves: [regio:ah]
  - key: gemeente-ede
    name: Gemeente Ede
    kind: gemeente
    region: fv
    teams:
      - key: gemeente-ede
        name: Gemeente Ede
        serves: [GM0228]
        people:
          - {email: anna.aanspreek@ede.example.org, name: Anna Aanspreek,
             role: jbt_aanspreekpersoon}
"""
NEIGHBOURS_LINE = 29  # `    neighbours: [jbt-cg]` of jbt-fv


def write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def links(engine: Engine) -> set[tuple[str, str]]:
    """(tafel, neighbour) by organisation key."""
    with Session(engine) as s:
        key = {o.id: o.key for o in s.exec(select(Organisation)).all()}
        return {(key[n.organisation_id], key[n.neighbour_id])
                for n in s.exec(select(TafelNeighbour)).all()}


def table_counts(engine: Engine) -> dict[str, int]:
    names = [t for t in inspect(engine).get_table_names()
             if t not in ("alembic_version", "directory_version", "directory_change")]
    with engine.connect() as conn:
        return {t: conn.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar_one() for t in names}


def gemeente_id(engine: Engine, name: str) -> int:
    with Session(engine) as s:
        return s.exec(select(Gemeente.id).where(Gemeente.name == name)).one() or 0


def names(orgs: list[Organisation]) -> list[str]:
    return [o.name for o in orgs]


@pytest.fixture
def tafel_engine(engine: Engine, tmp_path: Path) -> Engine:
    result = run_import(engine, write(tmp_path, "tafels.yaml", TAFELS))
    assert result.ok, result.problems
    return engine


# --- import and export -------------------------------------------------------------


def test_yaml_tafel_with_neighbours_imports(tafel_engine: Engine) -> None:
    assert links(tafel_engine) == {("jbt-fv", "jbt-cg"), ("jbt-cg", "jbt-fv")}
    with Session(tafel_engine) as s:
        ede = gemeente_id(tafel_engine, "Ede")
        assert names(tafels_for(s, ede)) == ["Jeugdbeschermingstafel Food Valley"]
        assert names(neighbour_tafels(s, ede)) == ["Jeugdbeschermingstafel Centraal Gelderland"]
        arnhem = gemeente_id(tafel_engine, "Arnhem")
        assert names(neighbour_tafels(s, arnhem)) == ["Jeugdbeschermingstafel Food Valley"]
        aalten = gemeente_id(tafel_engine, "Aalten")  # a tafel without neighbours
        assert names(tafels_for(s, aalten)) == ["Jeugdbeschermingstafel Achterhoek"]
        assert neighbour_tafels(s, aalten) == []


def test_reimport_changes_nothing_and_removing_a_neighbour_removes_the_link(
        tafel_engine: Engine, tmp_path: Path) -> None:
    again = run_import(tafel_engine, write(tmp_path, "again.yaml", TAFELS))
    assert again.ok and not again.created and not again.updated

    without = TAFELS.replace("    neighbours: [jbt-cg]\n", "")
    result = run_import(tafel_engine, write(tmp_path, "without.yaml", without))
    assert result.ok, result.problems
    assert result.updated["tafel_neighbour"] == 1
    assert links(tafel_engine) == {("jbt-cg", "jbt-fv")}  # Centraal still names Food Valley
    with Session(tafel_engine) as s:
        assert neighbour_tafels(s, gemeente_id(tafel_engine, "Ede")) == []

    back = run_import(tafel_engine, write(tmp_path, "back.yaml", TAFELS))
    assert back.ok and back.created["tafel_neighbour"] == 1
    assert links(tafel_engine) == {("jbt-fv", "jbt-cg"), ("jbt-cg", "jbt-fv")}


@pytest.mark.parametrize(("neighbours", "message"), [
    ("[jbt-xx]", "onbekende organisatie 'jbt-xx'"),
    ("[rvdk]", "'rvdk' is geen Jeugdbeschermingstafel (kind jbt)"),
    ("[jbt-fv]", "een tafel kan niet haar eigen buur zijn"),
    ("[jbt-cg, jbt-cg]", "buur 'jbt-cg' staat twee keer in de lijst"),
])
def test_a_bad_neighbour_is_refused_with_its_line_and_nothing_is_written(
        tafel_engine: Engine, tmp_path: Path, neighbours: str, message: str) -> None:
    before = table_counts(tafel_engine)
    bad = TAFELS.replace("    neighbours: [jbt-cg]\n", f"    neighbours: {neighbours}\n")
    # Another change in the same file is not written either.
    bad = bad.replace("name: Rita Raad", "name: Rita Anders")
    result = run_import(tafel_engine, write(tmp_path, "bad.yaml", bad))
    assert not result.ok
    assert [str(p) for p in result.problems] == \
        [f"bad.yaml:{NEIGHBOURS_LINE}: neighbours: {message}"]
    assert table_counts(tafel_engine) == before
    assert links(tafel_engine) == {("jbt-fv", "jbt-cg"), ("jbt-cg", "jbt-fv")}
    with Session(tafel_engine) as s:
        assert s.exec(select(Person.name).where(
            Person.email == "rita.raad@rvdk.example.org")).one() == "Rita Raad"


def test_only_a_tafel_has_neighbours(engine: Engine, tmp_path: Path) -> None:
    bad = TAFELS.replace("    kind: raad\n", "    kind: raad\n    neighbours: [jbt-fv]\n")
    result = run_import(engine, write(tmp_path, "raad.yaml", bad))
    assert [str(p) for p in result.problems] == [
        "raad.yaml:19: neighbours: alleen een Jeugdbeschermingstafel (kind jbt) heeft buren"]
    assert table_counts(engine)["organisation"] == 0


def test_a_misspelt_neighbours_field_is_reported(engine: Engine, tmp_path: Path) -> None:
    bad = TAFELS.replace("    neighbours: [jbt-cg]\n", "    neighbors: [jbt-cg]\n")
    result = run_import(engine, write(tmp_path, "typo.yaml", bad))
    assert [(p.line, p.field) for p in result.problems] == [(NEIGHBOURS_LINE, "neighbors")]


CSV_HEADER = ("email,name,role,team,team_name,organisation,organisation_name,kind,region,"
              "serves,neighbours\n")


def test_csv_tafel_with_neighbours(tafel_engine: Engine, tmp_path: Path) -> None:
    # A third tafel in the Achterhoek's place, from a spreadsheet: its neighbours
    # separated by ";" as `serves` is.
    rows = CSV_HEADER + (
        "nina@jbt-ah.example.org,Nina Noord,jbt_voorzitter,jbt-ah,Jeugdbeschermingstafel "
        "Achterhoek,jbt-ah,Jeugdbeschermingstafel Achterhoek,jbt,ah,regio:ah,jbt-fv;jbt-cg\n"
        "niels@jbt-ah.example.org,Niels Oost,jbt_voorzitter,jbt-ah,Jeugdbeschermingstafel "
        "Achterhoek,jbt-ah,Jeugdbeschermingstafel Achterhoek,jbt,ah,regio:ah,jbt-fv;jbt-cg\n")
    result = run_import(tafel_engine, write(tmp_path, "tafel.csv", rows))
    assert result.ok, result.problems
    assert result.created == {"person": 2, "tafel_neighbour": 2}
    assert {("jbt-ah", "jbt-fv"), ("jbt-ah", "jbt-cg")} <= links(tafel_engine)
    with Session(tafel_engine) as s:
        aalten = gemeente_id(tafel_engine, "Aalten")
        assert names(neighbour_tafels(s, aalten)) == [
            "Jeugdbeschermingstafel Centraal Gelderland", "Jeugdbeschermingstafel Food Valley"]

    # The same file again: nothing. In a spreadsheet's ";" CSV the list is quoted.
    again = run_import(tafel_engine, write(tmp_path, "again.csv", rows))
    assert again.ok and not again.created and not again.updated
    semi = rows.replace(",", ";").replace("regio:ah;jbt-fv;jbt-cg", 'regio:ah;"jbt-fv;jbt-cg"')
    assert run_import(tafel_engine, write(tmp_path, "semi.csv", semi)).ok
    assert {("jbt-ah", "jbt-fv"), ("jbt-ah", "jbt-cg")} <= links(tafel_engine)

    # Without the column a CSV says nothing about neighbours; an empty cell removes them.
    no_column = "\n".join(line.rsplit(",", 1)[0] for line in rows.splitlines()) + "\n"
    assert run_import(tafel_engine, write(tmp_path, "nocol.csv", no_column)).ok
    assert ("jbt-ah", "jbt-fv") in links(tafel_engine)
    empty = rows.replace(",jbt-fv;jbt-cg\n", ",\n")
    result = run_import(tafel_engine, write(tmp_path, "empty.csv", empty))
    assert result.ok and result.updated["tafel_neighbour"] == 2
    assert not {link for link in links(tafel_engine) if link[0] == "jbt-ah"}


def test_csv_bad_neighbour_is_refused_with_its_line(tafel_engine: Engine,
                                                    tmp_path: Path) -> None:
    before = table_counts(tafel_engine)
    rows = CSV_HEADER + (
        "nina@jbt-ah.example.org,Nina Noord,jbt_voorzitter,jbt-ah,Tafel,jbt-ah,"
        "Jeugdbeschermingstafel Achterhoek,jbt,ah,regio:ah,jbt-fv\n"
        "niels@jbt-ah.example.org,Niels Oost,jbt_voorzitter,jbt-ah,Tafel,jbt-ah,"
        "Jeugdbeschermingstafel Achterhoek,jbt,ah,regio:ah,gemeente-ede\n")
    result = run_import(tafel_engine, write(tmp_path, "bad.csv", rows))
    # The rows disagree, and the first row's list is the organisation's.
    assert [str(p) for p in result.problems] == [
        "bad.csv:3: neighbours: wijkt af van regel 2 voor 'jbt-ah'"]
    one = CSV_HEADER + rows.splitlines()[2] + "\n"
    result = run_import(tafel_engine, write(tmp_path, "bad1.csv", one))
    assert [str(p) for p in result.problems] == [
        "bad1.csv:2: neighbours: 'gemeente-ede' is geen Jeugdbeschermingstafel (kind jbt)"]
    assert table_counts(tafel_engine) == before


def test_export_round_trip_keeps_the_neighbours(tafel_engine: Engine, tmp_path: Path) -> None:
    with Session(tafel_engine) as s:
        first = dump(export_doc(s))
    assert "  neighbours:\n  - jbt-cg\n" in first and "  neighbours:\n  - jbt-fv\n" in first
    # Into an empty database: the same export back.
    url = f"sqlite:///{tmp_path / 'copy.sqlite'}"
    db.upgrade(url)
    copy = db.make_engine(url)
    try:
        result = run_import(copy, write(tmp_path, "export.yaml", first))
        assert result.ok, result.problems
        assert links(copy) == links(tafel_engine)
        with Session(copy) as s:
            assert dump(export_doc(s)) == first
    finally:
        copy.dispose()
    # And into the database it came from: nothing changes.
    again = run_import(tafel_engine, tmp_path / "export.yaml")
    assert again.ok and not again.created and not again.updated


def test_the_sample_exports_food_valley_and_centraal_as_neighbours(
        sample_engine: Engine) -> None:
    assert links(sample_engine) == {("jbt-food-valley", "jbt-centraal-gelderland"),
                                    ("jbt-centraal-gelderland", "jbt-food-valley")}
    with Session(sample_engine) as s:
        orgs = {o["key"]: o for o in export_doc(s)["organisations"]}
        tafels = sorted(k for k, o in orgs.items() if o["kind"] == "jbt")
    assert tafels == [f"jbt-{c}" for c in (
        "achterhoek", "centraal-gelderland", "food-valley", "midden-ijssel-oost-veluwe",
        "noord-veluwe", "rijk-van-nijmegen", "rivierenland")]
    assert orgs["jbt-food-valley"]["neighbours"] == ["jbt-centraal-gelderland"]
    assert "neighbours" not in orgs["jbt-achterhoek"]
    voorzitters = orgs["jbt-food-valley"]["teams"][0]["people"]
    assert [p["role"] for p in voorzitters] == ["jbt_voorzitter", "jbt_voorzitter"]
    assert voorzitters[0]["koppelgenoot"] == voorzitters[1]["email"]
    assert voorzitters[1]["koppelgenoot"] == voorzitters[0]["email"]


# --- wie <gemeente> tafel ----------------------------------------------------------


def ask(engine: Engine, clock: FakeClock, words: str, lang: str = "nl") -> tuple[Reply, str]:
    ctx = Context(engine=engine, clock=clock, platform="console", lang=lang)
    reply = build_registry().dispatch(ctx, words)
    return reply, Renderer("text").render(reply, lang)


def people_of(engine: Engine, team: str, role: str | None = None) -> list[Person]:
    with Session(engine) as s:
        query = select(Person).join(Team, col(Team.id) == Person.team_id).where(Team.key == team)
        if role:
            query = query.where(Person.role == role)
        found = list(s.exec(query.order_by(col(Person.id))).all())
        for p in found:
            s.expunge(p)
        return found


def test_wie_ede_tafel_names_everyone_the_voorzitter_needs(sample_engine: Engine,
                                                           clock: FakeClock) -> None:
    reply, out = ask(sample_engine, clock, "wie Ede tafel")
    assert reply.ok and reply.template == "lookup_tafel"
    assert out.splitlines()[0] == \
        "Ede (GM0228) — Jeugdbeschermingstafel, jeugdhulpregio Food Valley"
    first, second = people_of(sample_engine, "jbt-food-valley")
    assert f"Tafel: Jeugdbeschermingstafel Food Valley\n  • voorzitter: {first.name}" in out
    assert f"  • koppelgenoot: {second.name}" in out
    assert f"{first.phone} · {first.email} · " in out
    raad = people_of(sample_engine, "rvdk-gelderland", "medewerker")
    assert raad and all(f"  • medewerker: {p.name}" in out for p in raad)
    [aanspreek] = people_of(sample_engine, "gemeente-ede", "jbt_aanspreekpersoon")
    assert f"  • eerste aanspreekpersoon: {aanspreek.name}" in out
    section = out[out.index("Buurtafel met mogelijk ruimte"):]
    assert "Jeugdbeschermingstafel Centraal Gelderland" in section
    cg = people_of(sample_engine, "jbt-centraal-gelderland")
    assert f"voorzitter: {cg[0].name}" in section
    assert "Jeugdbeschermingstafel Food Valley" not in section  # not its own neighbour
    # Nobody of another region's tafel, nor the lokaal team.
    assert "Sociaal Team" not in out and "Achterhoek" not in out


def test_who_ede_table_in_english(sample_engine: Engine, clock: FakeClock) -> None:
    reply, out = ask(sample_engine, clock, "who Ede table", "en")
    assert reply.template == "lookup_tafel"
    first, _ = people_of(sample_engine, "jbt-food-valley")
    assert "youth-care region Food Valley" in out
    assert f"Table: Jeugdbeschermingstafel Food Valley\n  • chair (voorzitter): {first.name}" in out
    assert "Child Protection Board (Raad):" in out
    assert "First contact at the municipality" in out
    assert "Neighbouring table that may have room when this one is full:\n" \
           "  Jeugdbeschermingstafel Centraal Gelderland" in out
    assert "verified" in out and "dagen" not in out


def test_a_tafel_without_neighbours_says_none(sample_engine: Engine, clock: FakeClock) -> None:
    _, out = ask(sample_engine, clock, "wie Apeldoorn tafel")
    assert "Jeugdbeschermingstafel Midden-IJssel/Oost-Veluwe" in out
    assert "Buurtafel" not in out
    [aanspreek] = people_of(sample_engine, "gemeente-apeldoorn", "jbt_aanspreekpersoon")
    assert f"eerste aanspreekpersoon: {aanspreek.name}" in out


def test_an_absent_voorzitter_sends_the_caller_to_the_koppelgenoot(
        sample_engine: Engine, clock: FakeClock) -> None:
    first, second = people_of(sample_engine, "jbt-food-valley")
    with session_scope(sample_engine) as s:
        p = s.get(Person, first.id)
        assert p is not None
        p.absent_until = date(2026, 12, 31)
        s.add(p)
        s.execute(text("UPDATE directory_version SET n = n + 1"))
    _, out = ask(sample_engine, clock, "wie Ede tafel")
    tafel = out[out.index("Tafel:"):out.index("Raad voor")]
    assert tafel.index(f"vervangt (koppelgenoot): {second.name}") < \
        tafel.index(f"voorzitter: {first.name} — AFWEZIG t/m")


def test_a_gemeente_without_a_tafel_or_aanspreekpersoon_says_so(
        tafel_engine: Engine, clock: FakeClock) -> None:
    _, out = ask(tafel_engine, clock, "wie Barneveld tafel")
    assert "Tafel: Jeugdbeschermingstafel Food Valley" in out
    assert "Eerste aanspreekpersoon bij de gemeente" in out and "nog niet bekend" in out
    _, aalten = ask(tafel_engine, clock, "wie Aalten tafel")
    assert "nog geen voorzitter bekend" in aalten  # the Achterhoek's tafel has nobody yet


def test_wie_ede_alle_includes_the_tafel_and_its_neighbour(sample_engine: Engine,
                                                           clock: FakeClock) -> None:
    _, out = ask(sample_engine, clock, "wie Ede alle")
    first, _ = people_of(sample_engine, "jbt-food-valley")
    assert ": Jeugdbeschermingstafel Food Valley" in out and first.name in out
    assert "Buurtafel(s) als de Jeugdbeschermingstafel vol is: " \
           "Jeugdbeschermingstafel Centraal Gelderland (`wie Ede tafel`)" in out
    _, plain = ask(sample_engine, clock, "wie Ede")  # the default answer stays short
    assert "Jeugdbeschermingstafel" not in plain


def test_tafel_is_a_listed_role_word(sample_engine: Engine, clock: FakeClock) -> None:
    reply, out = ask(sample_engine, clock, "wie")
    assert "tafel" in reply.data["roles"] and "table" in reply.data["roles_en"]
    for platform in ("slack", "telegram"):  # rendered on every platform
        tafel = ask(sample_engine, clock, "wie Ede tafel")[0]
        assert "Jeugdbeschermingstafel Food Valley" in Renderer(platform).render(tafel, "nl")


# --- freshness rounds and grants ----------------------------------------------------


class Recorder:
    platform = "console"

    def __init__(self) -> None:
        self.renderer = Renderer("text")
        self.sent: list[tuple[str, str, str]] = []  # (to, template, text)

    def deliver(self, message: Outgoing) -> None:
        assert message.person is not None
        self.sent.append((message.person.email, message.template,
                          self.renderer.render_name(message.template, message.payload, "nl")))


@pytest.fixture
def bot(db_url: str, sample_engine: Engine, clock: FakeClock) -> KetenBot:
    return KetenBot(settings=Settings(database_url=db_url, language="nl"), engine=sample_engine,
                    clock=clock)


def test_the_freshness_round_asks_a_stale_voorzitter(bot: KetenBot, clock: FakeClock) -> None:
    first, second = people_of(bot.engine, "jbt-food-valley")
    [aanspreek] = people_of(bot.engine, "gemeente-ede", "jbt_aanspreekpersoon")
    with session_scope(bot.engine) as s:
        for pid in (first.id, aanspreek.id):
            p = s.get(Person, pid)
            assert p is not None
            p.verified_on = date(2026, 6, 1)
            s.add(p)
    rec = Recorder()
    clock.set(datetime(2026, 12, 7, 8, 30, tzinfo=AMS))  # Food Valley's first round
    bot.tick([rec])
    clock.set(datetime(2026, 12, 7, 9, 0, tzinfo=AMS))
    bot.tick([rec])
    with Session(bot.engine) as s:
        asked = set(s.exec(select(Person.email).join(Outbox, col(Outbox.person_id) == Person.id)
                           .where(Outbox.template == "freshness_ask")).all())
    assert first.email in asked and aanspreek.email in asked
    assert second.email not in asked  # confirmed recently: not asked
    [question] = [t for who, tpl, t in rec.sent if who == first.email]
    assert first.name in question and "Jeugdbeschermingstafel Food Valley" in question
    assert "ik klopt" in question


def teamlid(bot: KetenBot, actor: str, team: str, email: str, role: str) -> Reply:
    person = bot.person_by_email(actor)
    assert person is not None
    return bot.registry.dispatch(bot.context("console", person),
                                 f"teamlid {team} {email} {role} Nieuwe Collega")


def test_the_regions_contactbeheerder_gives_the_tafel_roles(bot: KetenBot,
                                                            clock: FakeClock) -> None:
    done = teamlid(bot, FV_BEHEERDER, "jbt-food-valley", "nieuw@jbt-foodvalley.example.org",
                   "jbt_voorzitter")
    assert done.template == "contact_done", done.data
    done = teamlid(bot, FV_BEHEERDER, "gemeente-ede", "nieuw@gemeente-ede.example.org",
                   "jbt_aanspreekpersoon")
    assert done.template == "contact_done", done.data
    _, out = ask(bot.engine, clock, "wie Ede tafel")
    assert "eerste aanspreekpersoon: Nieuwe Collega" in out
    assert out.count("voorzitter: Nieuwe Collega") == 1  # the tafel's third voorzitter

    # Another region's contactbeheerder may not.
    refused = teamlid(bot, VT_BEHEERDER, "jbt-food-valley", "ander@jbt-foodvalley.example.org",
                      "jbt_voorzitter")
    assert refused.template == "contact_error" and refused.data["code"] == "not_your_team"
    assert bot.person_by_email("ander@jbt-foodvalley.example.org") is None


def test_a_team_leader_gives_the_team_roles_but_not_the_tafel_roles(bot: KetenBot) -> None:
    with session_scope(bot.engine) as s:
        team = s.exec(select(Team).where(Team.key == "gemeente-ede")).one()
        s.add(Person(email="leider@gemeente-ede.example.org", name="Lotte Leider",
                     role="teamleider", team_id=team.id or 0))
    leader = "leider@gemeente-ede.example.org"
    refused = teamlid(bot, leader, "gemeente-ede", "ap@gemeente-ede.example.org",
                      "jbt_aanspreekpersoon")
    assert refused.template == "contact_error" and refused.data["code"] == "role_not_yours"
    text_out = Renderer("text").render(refused, "nl")
    assert "kunt u in Gemeente Ede niet geven" in text_out and "Er is niets veranderd." in text_out
    assert bot.person_by_email("ap@gemeente-ede.example.org") is None
    ok = teamlid(bot, leader, "gemeente-ede", "mw@gemeente-ede.example.org", "medewerker")
    assert ok.template == "contact_done"
    # Nor in a tafel's team, which is not theirs.
    refused = teamlid(bot, leader, "jbt-food-valley", "vz@jbt-foodvalley.example.org",
                      "jbt_voorzitter")
    assert refused.data["code"] == "not_your_team"

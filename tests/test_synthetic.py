"""The shipped Gelderland sample and the country-sized synthetic directory."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, SQLModel, create_engine, select

from bench.directories.country import country
from bench.directories.synthetic import dump_yaml, gelderland, sample_text
from storage.directory.importer import import_doc, validate
from storage.directory.read import load
from storage.directory.records import DirectoryDoc, PersonRec
from storage.directory.yaml_reader import load_yaml
from storage.models import Gemeente, Person
from storage.search_keys import search_key

SAMPLE = Path(__file__).resolve().parent.parent / "storage" / "sample" / "gelderland.yaml"
SAMPLE_DAY = date(2026, 11, 20)

# The spec (DOMAIN.md, "Gelderland: 51 gemeenten in 7 jeugdhulpregio's").
EXPECTED: dict[str, dict[str, str]] = {
    "Achterhoek": {
        "GM0197": "Aalten", "GM1859": "Berkelland", "GM1876": "Bronckhorst",
        "GM0222": "Doetinchem", "GM1955": "Montferland", "GM1586": "Oost Gelre",
        "GM1509": "Oude IJsselstreek", "GM0294": "Winterswijk",
    },
    "Centraal Gelderland": {
        "GM0202": "Arnhem", "GM0221": "Doesburg", "GM0226": "Duiven", "GM1705": "Lingewaard",
        "GM1734": "Overbetuwe", "GM0274": "Renkum", "GM0275": "Rheden", "GM0277": "Rozendaal",
        "GM0289": "Wageningen", "GM0293": "Westervoort", "GM0299": "Zevenaar",
    },
    "Food Valley": {
        "GM0203": "Barneveld", "GM0228": "Ede", "GM0267": "Nijkerk", "GM0279": "Scherpenzeel",
    },
    "Midden-IJssel/Oost-Veluwe": {
        "GM0200": "Apeldoorn", "GM0213": "Brummen", "GM0232": "Epe", "GM0244": "Hattem",
        "GM0246": "Heerde", "GM0262": "Lochem", "GM0285": "Voorst", "GM0301": "Zutphen",
    },
    "Noord-Veluwe": {
        "GM0230": "Elburg", "GM0233": "Ermelo", "GM0243": "Harderwijk", "GM0302": "Nunspeet",
        "GM0269": "Oldebroek", "GM0273": "Putten",
    },
    "Rijk van Nijmegen": {
        "GM1945": "Berg en Dal", "GM0209": "Beuningen", "GM0225": "Druten", "GM0252": "Heumen",
        "GM0268": "Nijmegen", "GM0296": "Wijchen",
    },
    "Rivierenland": {
        "GM0214": "Buren", "GM0216": "Culemborg", "GM0263": "Maasdriel",
        "GM1740": "Neder-Betuwe", "GM0281": "Tiel", "GM1960": "West Betuwe",
        "GM0668": "West Maas en Waal", "GM0297": "Zaltbommel",
    },
}


@pytest.fixture(scope="module")
def doc() -> DirectoryDoc:
    return load(SAMPLE)


def people_by_team(doc: DirectoryDoc) -> dict[str, list[PersonRec]]:
    out: dict[str, list[PersonRec]] = {}
    for p in doc.people:
        out.setdefault(p.team, []).append(p)
    return out


def served_by(doc: DirectoryDoc, kind: str) -> dict[str, list[str]]:
    """CBS code -> keys of the teams of organisations of `kind` that serve it."""
    kinds = {o.key: o.kind for o in doc.organisations}
    region_of = {g.cbs: g.region for g in doc.gemeenten}
    out: dict[str, list[str]] = {}
    for t in doc.teams:
        if kinds[t.organisation] != kind:
            continue
        for s in t.serves:
            codes = ([c for c, r in region_of.items() if r == s[6:]]
                     if s.startswith("regio:") else [s])
            for c in codes:
                out.setdefault(c, []).append(t.key)
    return out


def test_sample_loads_without_problems(doc: DirectoryDoc) -> None:
    assert doc.problems == []


def test_sample_is_what_the_generator_makes() -> None:
    assert SAMPLE.read_text(encoding="utf-8") == sample_text(), (
        "regenerate: python -m bench.directories.synthetic > storage/sample/gelderland.yaml"
    )


def test_gemeenten_and_regions_match_the_spec(doc: DirectoryDoc) -> None:
    region_name = {r.code: r.name for r in doc.regions}
    assert len(doc.regions) == 7
    assert len(doc.gemeenten) == 51
    got: dict[str, dict[str, str]] = {}
    for g in doc.gemeenten:
        got.setdefault(region_name[g.region], {})[g.cbs] = g.name
    assert got == EXPECTED


def test_aliases_point_at_one_gemeente(doc: DirectoryDoc) -> None:
    keys = Counter(search_key(k) for g in doc.gemeenten for k in [g.name, g.cbs, *g.aliases])
    assert [k for k, n in keys.items() if n > 1] == []
    aliases = {g.name: g.aliases for g in doc.gemeenten}
    assert "Groesbeek" in aliases["Berg en Dal"]
    assert "WMW" in aliases["West Maas en Waal"]


def test_every_gemeente_has_a_lokaal_team_with_koppelgenoten(doc: DirectoryDoc) -> None:
    lt = served_by(doc, "lokaal_team")
    by_team = people_by_team(doc)
    for g in doc.gemeenten:
        assert len(lt.get(g.cbs, [])) == 1, g.name
        people = by_team[lt[g.cbs][0]]
        workers = {p.email: p for p in people if p.role == "medewerker"}
        assert len(workers) >= 2, g.name
        assert any(p.role == "teamleider" for p in people), g.name
        for p in workers.values():
            assert p.koppelgenoot in workers, (g.name, p.email)
            assert workers[p.koppelgenoot].koppelgenoot == p.email, (g.name, p.email)


def test_every_gemeente_has_the_chain_partners(doc: DirectoryDoc) -> None:
    for kind in ("gi", "regio", "backoffice", "ret", "zorgaanbieder", "veilig_thuis", "raad",
                 "jbt", "gemeente"):
        served = served_by(doc, kind)
        missing = [g.name for g in doc.gemeenten if g.cbs not in served]
        assert missing == [], kind
    roles = Counter(p.role for p in doc.people)
    assert set(roles) == {"medewerker", "teamleider", "regionale_contactpersoon",
                          "gedragswetenschapper", "backoffice", "contactbeheerder",
                          "jbt_voorzitter", "jbt_aanspreekpersoon"}


def test_people_are_fictional_and_unique(doc: DirectoryDoc) -> None:
    emails = [p.email for p in doc.people]
    assert all(e.endswith(".example.org") for e in emails)
    assert len(set(emails)) == len(emails)
    phones = [p.phone for p in doc.people]
    assert all(ph and ph.startswith("+31 6 0000 ") for ph in phones)
    assert len(set(phones)) == len(phones)


def test_verified_on_mostly_fresh_some_stale(doc: DirectoryDoc) -> None:
    ages = [(SAMPLE_DAY - p.verified_on).days for p in doc.people if p.verified_on]
    assert len(ages) == len(doc.people)
    assert min(ages) >= 0
    stale = sum(a > 90 for a in ages)
    assert 0.02 * len(ages) <= stale <= 0.10 * len(ages)
    assert sum(a <= 60 for a in ages) == len(ages) - stale


def test_demo_people(doc: DirectoryDoc) -> None:
    by_email = {p.email: p for p in doc.people}
    ede = people_by_team(doc)["lt-ede"]
    anouk, bram = [p for p in ede if p.role == "medewerker"][:2]
    assert (anouk.email, anouk.name) == ("anouk.jansen@sociaalteam-ede.example.org",
                                         "Anouk Jansen")
    assert anouk.absent_until == date(2027, 1, 15)
    assert anouk.koppelgenoot == bram.email == "bram.devries@sociaalteam-ede.example.org"
    assert bram.name == "Bram de Vries" and bram.absent_until is None
    assert [p.email for p in ede if p.role == "teamleider"] == [
        "carla.smit@sociaalteam-ede.example.org"]
    jb = people_by_team(doc)["jbgld-food-valley"]
    assert [p.email for p in jb if p.role == "medewerker"][0] == "jeroen.bakker@jbgld.example.org"
    assert [p.email for p in jb if p.role == "teamleider"] == ["tess.visser@jbgld.example.org"]
    rcp = by_email["monique.peters@regio-foodvalley.example.org"]
    assert (rcp.role, rcp.team) == ("regionale_contactpersoon", "regio-food-valley")
    fixed = [anouk, bram, by_email["carla.smit@sociaalteam-ede.example.org"], rcp,
             by_email["jeroen.bakker@jbgld.example.org"], by_email["tess.visser@jbgld.example.org"]]
    assert all(p.verified_on and (SAMPLE_DAY - p.verified_on).days <= 60 for p in fixed)


def test_sample_imports_into_an_empty_database(doc: DirectoryDoc) -> None:
    engine = create_engine("sqlite://")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        assert validate(doc, session) == []
        assert import_doc(doc, session).ok
        assert len(session.exec(select(Gemeente)).all()) == 51
        assert len(session.exec(select(Person)).all()) == len(doc.people)


def test_gelderland_is_deterministic_and_follows_today() -> None:
    assert gelderland(SAMPLE_DAY) == gelderland(SAMPLE_DAY)
    later = load_yaml(dump_yaml(gelderland(date(2027, 3, 1))), "later.yaml")
    assert later.problems == []
    assert max(p.verified_on for p in later.people if p.verified_on) <= date(2027, 3, 1)


def test_country_size() -> None:
    c = load_yaml(dump_yaml(country()), "country.yaml")
    assert c.problems == []
    assert len(c.gemeenten) == 342
    assert len({g.cbs for g in c.gemeenten}) == 342
    assert 20 <= len(c.regions) <= 30
    assert 3500 <= len(c.people) <= 4500
    emails = [p.email for p in c.people]
    assert len(set(emails)) == len(emails)
    assert all(e.endswith(".example.org") for e in emails)
    assert len({p.phone for p in c.people}) == len(c.people)
    lt = served_by(c, "lokaal_team")
    assert all(g.cbs in lt for g in c.gemeenten)
    assert len({search_key(g.name) for g in c.gemeenten}) == 342
    assert country() == country()

"""Directory import: all or nothing, idempotent, every problem with its line."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, MetaData, inspect, text
from sqlmodel import Session, select

from storage import db
from storage.directory.export import dump, export_doc
from storage.directory.importer import ImportResult, import_doc
from storage.directory.read import load
from storage.models import Gemeente, GemeenteKey, Organisation, Person, Team, TeamGemeente
from tests.conftest import SAMPLE, import_file

DATA = Path(__file__).parent / "data"
SMALL = DATA / "small.yaml"
BAD = DATA / "bad.yaml"
PEOPLE = DATA / "people.csv"


def run_import(engine: Engine, path: Path) -> ImportResult:
    with db.session_scope(engine) as session:
        result = import_doc(load(path), session)
        if not result.ok:
            session.rollback()
    return result


def table_counts(engine: Engine) -> dict[str, int]:
    # (bookkeeping tables left out: the schema version, the directory version,
    # and the audit trail, which grows by one row per change by design)
    names = [t for t in inspect(engine).get_table_names()
             if t not in ("alembic_version", "directory_version", "directory_change")]
    with engine.connect() as conn:
        return {t: conn.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar_one() for t in names}


def exported(engine: Engine) -> str:
    with Session(engine) as session:
        return dump(export_doc(session))


def person(engine: Engine, email: str) -> Person:
    with Session(engine) as session:
        p = session.exec(select(Person).where(Person.email == email)).one()
        session.expunge(p)
        return p


def write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


@pytest.fixture
def small_engine(engine: Engine) -> Engine:
    import_file(engine, SMALL)
    return engine


# --- a good file -------------------------------------------------------------------


def test_small_directory_imports_everything(engine: Engine) -> None:
    result = run_import(engine, SMALL)

    assert result.ok
    assert dict(result.created) == {
        "region": 1, "gemeente": 2, "organisation": 2, "team": 2, "person": 5,
    }
    counts = table_counts(engine)
    assert counts["gemeente"] == 2
    assert counts["person"] == 5
    # Ede is served by the lokaal team and the GI (whole region); Barneveld by the GI only.
    assert counts["team_gemeente"] == 3
    anna = person(engine, "anna@lt-ede.example.org")
    bert = person(engine, "bert@lt-ede.example.org")
    assert anna.koppelgenoot_id == bert.id and bert.koppelgenoot_id == anna.id
    assert anna.phone == "+31 6 0000 0001"
    assert str(anna.verified_on) == "2026-11-01"


def test_first_import_reports_no_zero_updates(engine: Engine) -> None:
    """A first import only creates: nothing may be reported as 'bijgewerkt: 0 …'."""
    result = run_import(engine, SMALL)
    assert result.ok
    assert not result.updated, result.updated


def test_importing_twice_changes_nothing(small_engine: Engine) -> None:
    before_counts, before = table_counts(small_engine), exported(small_engine)

    result = run_import(small_engine, SMALL)

    assert result.ok
    assert not result.created and not result.updated
    assert table_counts(small_engine) == before_counts
    assert exported(small_engine) == before


def test_changed_phone_updates_in_place(small_engine: Engine, tmp_path: Path) -> None:
    anna_before = person(small_engine, "anna@lt-ede.example.org")
    counts = table_counts(small_engine)
    changed = write(tmp_path, "small.yaml",
                    SMALL.read_text().replace("+31 6 0000 0001", "+31 6 9999 0001"))

    result = run_import(small_engine, changed)

    assert result.ok
    assert not result.created
    assert dict(result.updated) == {"person": 1}
    assert table_counts(small_engine) == counts  # updated, never duplicated
    anna = person(small_engine, "anna@lt-ede.example.org")
    assert anna.id == anna_before.id
    assert anna.phone == "+31 6 9999 0001"
    assert anna.koppelgenoot_id == anna_before.koppelgenoot_id


def test_unquoted_international_phone_keeps_its_plus(engine: Engine, tmp_path: Path) -> None:
    # Unquoted, YAML would read +31612345678 as the number 31612345678.
    source = SMALL.read_text().replace('phone: "+31 6 0000 0001"', "phone: +31612345678")
    assert "phone: +31612345678" in source
    assert run_import(engine, write(tmp_path, "small.yaml", source)).ok
    assert person(engine, "anna@lt-ede.example.org").phone == "+31612345678"
    # … and the export quotes it, so the round trip keeps it too.
    assert "phone: '+31612345678'" in exported(engine)


def test_email_case_does_not_create_a_second_person(small_engine: Engine,
                                                    tmp_path: Path) -> None:
    counts = table_counts(small_engine)
    shouting = write(tmp_path, "small.yaml",
                     SMALL.read_text().replace("email: anna@lt-ede", "email: ANNA@LT-EDE"))
    result = run_import(small_engine, shouting)
    assert result.ok
    assert table_counts(small_engine) == counts


def test_team_that_starts_serving_a_gemeente_counts_as_a_change(
    small_engine: Engine, tmp_path: Path
) -> None:
    # A team imported without gemeenten, then given one: the import must say so.
    base = (
        "organisations:\n"
        "  - key: vt-gld\n    name: Veilig Thuis Gelderland\n    kind: veilig_thuis\n"
        "    teams:\n      - key: vt-gld\n        name: Veilig Thuis Gelderland\n"
        "        serves: []\n"
    )
    assert run_import(small_engine, write(tmp_path, "vt.yaml", base)).ok
    result = run_import(small_engine, write(
        tmp_path, "vt2.yaml", base.replace("serves: []", "serves: [GM0228]")))
    assert result.ok
    assert result.updated["team_gemeente"] == 1
    with Session(small_engine) as session:
        team = session.exec(select(Team).where(Team.key == "vt-gld")).one()
        served = session.exec(
            select(TeamGemeente).where(TeamGemeente.team_id == team.id)).all()
    assert len(served) == 1


def test_alias_change_updates_search_keys(small_engine: Engine, tmp_path: Path) -> None:
    changed = write(tmp_path, "small.yaml",
                    SMALL.read_text().replace("aliases: [Bennekom]", "aliases: [Lunteren]"))
    result = run_import(small_engine, changed)
    assert result.ok and result.updated["gemeente_key"] == 1
    with Session(small_engine) as session:
        keys = set(session.exec(select(GemeenteKey.key)).all())
    assert "lunteren" in keys and "bennekom" not in keys


# --- a bad file ----------------------------------------------------------------------


def test_bad_file_reports_every_problem_with_line_and_field(engine: Engine) -> None:
    result = run_import(engine, BAD)

    assert not result.ok
    found = [(p.file, p.line, p.field) for p in result.problems]
    assert found == [
        ("bad.yaml", 5, "cbs"),
        ("bad.yaml", 18, "role"),
        ("bad.yaml", 22, "verified_on"),
    ]
    text_ = "\n".join(str(p) for p in result.problems)
    assert "GM228" in text_ and "medewerkster" in text_ and "2026-13-01" in text_
    assert str(result.problems[0]).startswith("bad.yaml:5: cbs:")


def test_bad_file_leaves_the_database_exactly_unchanged(small_engine: Engine) -> None:
    counts, before = table_counts(small_engine), exported(small_engine)

    result = run_import(small_engine, BAD)

    assert len(result.problems) == 3
    assert table_counts(small_engine) == counts
    # bad.yaml names Anna and Bert too: their rows must be untouched.
    assert exported(small_engine) == before


def test_bad_file_on_empty_database_writes_nothing(engine: Engine) -> None:
    run_import(engine, BAD)
    assert set(table_counts(engine).values()) == {0}


REFERENCE_ERRORS = {
    "koppelgenoot": ("bad-ref.yaml", "koppelgenoot: bert@", "koppelgenoot: nobody@",
                     "onbekende koppelgenoot 'nobody@lt-ede.example.org'"),
    "serves": ("bad-ref.yaml", "serves: [GM0228]", "serves: [GM0999]",
               "onbekende gemeente 'GM0999'"),
    "serves-regio": ("bad-ref.yaml", "serves: [regio:food-valley]",
                     "serves: [regio:achterhoek]", "onbekende regio 'achterhoek'"),
    "region": ("bad-ref.yaml", "    region: food-valley\n", "    region: twente\n",
               "onbekende regio 'twente'"),
}


@pytest.mark.parametrize("case", sorted(REFERENCE_ERRORS))
def test_reference_errors_refuse_the_whole_file(engine: Engine, tmp_path: Path,
                                                case: str) -> None:
    name, old, new, message = REFERENCE_ERRORS[case]
    source = SMALL.read_text()
    assert old in source
    path = write(tmp_path, name, source.replace(old, new, 1))

    result = run_import(engine, path)

    assert not result.ok
    assert [p.message for p in result.problems] == [message]
    assert result.problems[0].file == name and result.problems[0].line > 0
    assert set(table_counts(engine).values()) == {0}


def test_unknown_team_in_people_csv_is_refused(small_engine: Engine, tmp_path: Path) -> None:
    counts = table_counts(small_engine)
    path = write(tmp_path, "people.csv",
                 "email,name,role,team\n"
                 "nina@lt-ede.example.org,Nina Noord,medewerker,lt-ede\n"
                 "otto@elders.example.org,Otto Oost,medewerker,lt-nergens\n")

    result = run_import(small_engine, path)

    assert [(p.line, p.field, p.message) for p in result.problems] == [
        (3, "team", "onbekend team 'lt-nergens'")
    ]
    assert table_counts(small_engine) == counts  # Nina, who was fine, is not written either


def test_duplicate_email_in_one_file_is_refused(engine: Engine, tmp_path: Path) -> None:
    source = SMALL.read_text().replace("email: bert@", "email: anna@", 1)
    result = run_import(engine, write(tmp_path, "dup.yaml", source))
    assert any(p.field == "email" and "staat ook op regel" in p.message
               for p in result.problems)
    assert set(table_counts(engine).values()) == {0}


def test_yaml_syntax_error_is_a_problem_not_a_crash(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, "broken.yaml", "regions:\n  - code: x\n   name: [unclosed\n")
    result = run_import(engine, path)
    assert not result.ok
    assert result.problems[0].field == "yaml" and result.problems[0].line > 0


# --- CSV -----------------------------------------------------------------------------


def test_people_csv_on_top_of_small_gives_barneveld_its_lokaal_team(
    small_engine: Engine,
) -> None:
    result = run_import(small_engine, PEOPLE)

    assert result.ok, result.problems
    assert dict(result.created) == {"organisation": 1, "team": 1, "person": 2}
    with Session(small_engine) as session:
        barneveld = session.exec(select(Gemeente).where(Gemeente.cbs_code == "GM0203")).one()
        kinds = session.exec(
            select(Organisation.kind)
            .join(Team, Team.organisation_id == Organisation.id)
            .join(TeamGemeente, TeamGemeente.team_id == Team.id)
            .where(TeamGemeente.gemeente_id == barneveld.id)
        ).all()
    assert sorted(kinds) == ["gi", "lokaal_team"]
    dirk = person(small_engine, "dirk@lt-barneveld.example.org")
    eva = person(small_engine, "eva@lt-barneveld.example.org")
    assert dirk.koppelgenoot_id == eva.id and eva.koppelgenoot_id == dirk.id
    assert str(eva.absent_until) == "2026-12-31"
    assert dirk.absent_until is None and eva.phone is None

    again = run_import(small_engine, PEOPLE)
    assert again.ok and not again.created and not again.updated


def test_semicolon_csv_from_a_spreadsheet_imports(small_engine: Engine,
                                                  tmp_path: Path) -> None:
    path = write(tmp_path, "people.csv", PEOPLE.read_text().replace(",", ";"))
    result = run_import(small_engine, path)
    assert result.ok, result.problems
    assert result.created["person"] == 2


def test_csv_rows_disagreeing_on_a_team_name_are_refused(small_engine: Engine,
                                                         tmp_path: Path) -> None:
    counts = table_counts(small_engine)
    lines = PEOPLE.read_text().splitlines()
    lines[2] = lines[2].replace(",Sociaal Team Barneveld,lt-barneveld,",
                                ",Sociaal team Barneveld-Oost,lt-barneveld,", 1)
    assert "Barneveld-Oost" in lines[2]
    path = write(tmp_path, "people.csv", "\n".join(lines) + "\n")

    result = run_import(small_engine, path)

    assert not result.ok
    assert [(p.file, p.line, p.field) for p in result.problems] == [("people.csv", 3, "name")]
    assert "regel 2" in result.problems[0].message
    assert "lt-barneveld" in result.problems[0].message
    assert table_counts(small_engine) == counts


def test_csv_with_unknown_header_is_refused(engine: Engine, tmp_path: Path) -> None:
    result = run_import(engine, write(tmp_path, "x.csv", "naam,telefoon\nA,1\n"))
    assert [(p.line, p.field) for p in result.problems] == [(1, "kopregel")]


def test_gemeenten_csv_imports(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, "gemeenten.csv",
                 "cbs,name,region,region_name,aliases\n"
                 "GM0202,Arnhem,centraal,Centraal Gelderland,\n"
                 "gm0274,Renkum,centraal,Centraal Gelderland,Oosterbeek;Doorwerth\n")
    result = run_import(engine, path)
    assert result.ok, result.problems
    assert dict(result.created) == {"region": 1, "gemeente": 2}
    with Session(engine) as session:
        keys = set(session.exec(select(GemeenteKey.key)).all())
    assert {"arnhem", "0202", "renkum", "0274", "oosterbeek", "doorwerth"} <= keys


# --- files that are not a directory ----------------------------------------------------


def test_missing_file_gives_a_clear_problem(engine: Engine, tmp_path: Path) -> None:
    result = run_import(engine, tmp_path / "nergens.yaml")
    assert [str(p) for p in result.problems] == ["nergens.yaml:1: bestand: bestaat niet"]


def test_unknown_extension_gives_a_clear_problem(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, "contacten.xlsx", "whatever")
    result = run_import(engine, path)
    assert len(result.problems) == 1
    assert result.problems[0].field == "bestand"
    assert ".yaml" in result.problems[0].message and ".csv" in result.problems[0].message


# --- export and round trip -------------------------------------------------------------


def empty_all_tables(engine: Engine) -> None:
    meta = MetaData()
    meta.reflect(engine)
    with engine.begin() as conn:
        for table in reversed(meta.sorted_tables):
            if table.name != "alembic_version":
                conn.execute(table.delete())


def test_export_reimports_to_the_same_export(sample_engine: Engine, tmp_path: Path) -> None:
    first = exported(sample_engine)
    counts = table_counts(sample_engine)
    out = write(tmp_path, "export.yaml", first)

    # Importing the export over the directory it came from changes nothing …
    same = run_import(sample_engine, out)
    assert same.ok and not same.created and not same.updated

    # … and into an empty database it rebuilds the same directory.
    empty_all_tables(sample_engine)
    assert set(table_counts(sample_engine).values()) == {0}
    again = run_import(sample_engine, out)
    assert again.ok, again.problems[:3]
    assert table_counts(sample_engine) == counts
    assert exported(sample_engine) == first


def test_export_keeps_what_the_sample_says(sample_engine: Engine, tmp_path: Path) -> None:
    text_ = exported(sample_engine)
    assert "email: anouk.jansen@sociaalteam-ede.example.org" in text_
    assert "koppelgenoot: bram.devries@sociaalteam-ede.example.org" in text_
    assert "absent_until: 2027-01-15" in text_
    # The sample has 51 gemeenten; every one comes back.
    sample_codes = {ln.split(":")[1].strip() for ln in SAMPLE.read_text().splitlines()
                    if ln.strip().startswith("- cbs:")}
    export_codes = {ln.split(":")[1].strip() for ln in text_.splitlines()
                    if ln.strip().startswith("- cbs:")}
    assert len(sample_codes) == 51 and export_codes == sample_codes


def test_a_misspelt_field_is_reported_with_its_line(tmp_path: Path) -> None:
    """`koppelgenot:` must not silently leave a worker without a backup."""
    text = (Path(__file__).parent / "data" / "small.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "typo.yaml"
    bad.write_text(text.replace("koppelgenoot: bert@", "koppelgenot: bert@", 1), encoding="utf-8")
    from storage.directory.read import load as load_file

    problems = load_file(bad).problems
    assert [(p.line, p.field) for p in problems] == [(25, "koppelgenot")]
    assert "onbekend veld" in problems[0].message

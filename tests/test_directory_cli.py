"""`ketenbot db upgrade` and `ketenbot directory import|export|check`."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text
from typer.testing import CliRunner, Result

import bot.app
from bot.cli.main import app
from storage import db
from tests.conftest import FakeClock, import_file

DATA = Path(__file__).parent / "data"
SMALL = DATA / "small.yaml"
runner = CliRunner()


def ketenbot(*args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args])


def table_counts(engine: Engine) -> dict[str, int]:
    # The audit trail (directory_change) grows by one row per change by design.
    names = [t for t in inspect(engine).get_table_names()
             if t not in ("alembic_version", "directory_change")]
    with engine.connect() as conn:
        return {t: conn.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar_one() for t in names}


@pytest.fixture
def fixed_clock(monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> FakeClock:
    """The command line's 'now' is the test clock (24 Nov 2026)."""
    monkeypatch.setattr(bot.app, "system_clock", lambda tz: clock)
    return clock


def test_db_upgrade_on_fresh_and_current_database(env_db: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # env_db is already at head: upgrading again is harmless.
    result = ketenbot("db", "upgrade")
    assert result.exit_code == 0
    assert f"Database bijgewerkt tot versie {db.head_revision()}." in result.stdout

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    assert ketenbot("directory", "import", SMALL).exit_code != 0  # no schema yet
    assert ketenbot("db", "upgrade").exit_code == 0
    assert ketenbot("directory", "import", SMALL).exit_code == 0


def test_import_then_import_again(env_db: str, engine: Engine) -> None:
    first = ketenbot("directory", "import", SMALL)
    assert first.exit_code == 0, first.output
    assert first.stdout.splitlines() == [
        "nieuw: 2 gemeenten, 2 organisaties, 5 personen, 1 regio, 2 teams"
    ]
    counts = table_counts(engine)

    second = ketenbot("directory", "import", SMALL)
    assert second.exit_code == 0
    assert second.stdout.strip() == "Niets veranderd: de contactenlijst was al zo."
    assert table_counts(engine) == counts


def test_import_of_a_changed_row_says_what_was_updated(env_db: str, engine: Engine,
                                                       tmp_path: Path) -> None:
    import_file(engine, SMALL)
    counts = table_counts(engine)
    changed = tmp_path / "small.yaml"
    changed.write_text(SMALL.read_text().replace("+31 6 0000 0001", "+31 6 1234 0001"))

    result = ketenbot("directory", "import", changed)

    assert result.exit_code == 0
    assert result.stdout.strip() == "bijgewerkt: 1 persoon"
    assert table_counts(engine) == counts


def test_bad_file_is_refused_with_every_problem(env_db: str, engine: Engine) -> None:
    import_file(engine, SMALL)
    counts = table_counts(engine)

    result = ketenbot("directory", "import", DATA / "bad.yaml")

    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("bad.yaml:5: cbs: ")
    assert lines[1].startswith("bad.yaml:18: role: ")
    assert lines[2].startswith("bad.yaml:22: verified_on: ")
    assert lines[3] == "3 probleem/problemen gevonden; er is niets opgeslagen."
    assert result.stdout == ""
    assert table_counts(engine) == counts


def test_missing_file_and_unknown_format(env_db: str, tmp_path: Path) -> None:
    # A file that cannot be read at all is a wrong argument: status 2, like every command.
    missing = ketenbot("directory", "import", tmp_path / "weg.yaml")
    assert missing.exit_code == 2
    assert f"{tmp_path / 'weg.yaml'}: bestaat niet" in missing.stderr
    assert "Traceback" not in missing.output

    odd = tmp_path / "contacten.json"
    odd.write_text("{}")
    unknown = ketenbot("directory", "import", odd)
    assert unknown.exit_code == 2
    assert "onbekend formaat: gebruik .yaml, .yml of .csv" in unknown.stderr


def test_spreadsheet_and_folder_are_refused_without_traceback(env_db: str,
                                                              tmp_path: Path) -> None:
    xlsx = tmp_path / "contacten.xlsx"
    xlsx.write_bytes(b"PK\x03\x04\x14\x00\x06\x00\xff\xfe\x00binary")
    result = ketenbot("directory", "import", xlsx)
    assert result.exit_code == 2
    assert "contacten.xlsx: onbekend formaat" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)

    result = ketenbot("directory", "import", tmp_path)
    assert result.exit_code == 2
    assert f"{tmp_path}: is geen bestand" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_csv_saved_by_excel_in_ansi_names_the_line(env_db: str, engine: Engine,
                                                   tmp_path: Path) -> None:
    import_file(engine, SMALL)
    counts = table_counts(engine)
    ansi = tmp_path / "people.csv"
    ansi.write_bytes("email,name,role,team\n"
                     "nina@lt-ede.example.org,Nina Noord,medewerker,lt-ede\n"
                     "jose@lt-ede.example.org,José Súdwest,medewerker,lt-ede\n"
                     .encode("cp1252"))
    result = ketenbot("directory", "import", ansi)
    assert result.exit_code == 1
    assert "people.csv:3: bestand: geen UTF-8-tekst" in result.stderr
    assert "CSV UTF-8" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert table_counts(engine) == counts

    ansi.write_bytes(ansi.read_bytes().decode("cp1252").encode("utf-8-sig"))  # Excel's BOM
    fixed = ketenbot("directory", "import", ansi)
    assert fixed.exit_code == 0, fixed.output
    assert fixed.stdout.strip() == "nieuw: 2 personen"


def test_csv_import_through_the_cli(env_db: str, engine: Engine) -> None:
    import_file(engine, SMALL)
    result = ketenbot("directory", "import", DATA / "people.csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "nieuw: 1 organisatie, 2 personen, 1 team"


def test_export_to_stdout_and_file_round_trips(env_db: str, engine: Engine,
                                               tmp_path: Path) -> None:
    import_file(engine, SMALL)
    import_file(engine, DATA / "people.csv")

    to_stdout = ketenbot("directory", "export")
    assert to_stdout.exit_code == 0
    assert to_stdout.stdout.startswith("as_of: ")  # the file's own date (import conflicts)
    assert "\nregions:\n- code: food-valley\n" in to_stdout.stdout
    assert "email: dirk@lt-barneveld.example.org" in to_stdout.stdout
    out = tmp_path / "export.yaml"
    assert ketenbot("directory", "export", "-o", out).exit_code == 0
    assert out.read_text(encoding="utf-8") == to_stdout.stdout

    # Importing the export over its own directory changes nothing.
    again = ketenbot("directory", "import", out)
    assert again.exit_code == 0
    assert again.stdout.strip().startswith("Niets veranderd")


def test_export_into_a_fresh_database_reproduces_the_export(
    env_db: str, sample_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = tmp_path / "first.yaml"
    # (Without the history: the fresh database's history starts with this import.)
    assert ketenbot("directory", "export", "--no-history", "-o", first).exit_code == 0

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    assert ketenbot("db", "upgrade").exit_code == 0
    imported = ketenbot("directory", "import", first)
    assert imported.exit_code == 0, imported.output
    second = tmp_path / "second.yaml"
    assert ketenbot("directory", "export", "--no-history", "-o", second).exit_code == 0

    assert second.read_text(encoding="utf-8") == first.read_text(encoding="utf-8")


# --- directory check -------------------------------------------------------------------


def test_check_flags_missing_lokaal_team_and_old_entries(
    env_db: str, engine: Engine, fixed_clock: FakeClock
) -> None:
    import_file(engine, SMALL)

    result = ketenbot("directory", "check", "--days", "30")

    assert result.exit_code == 1
    out = result.stdout
    assert "Gemeenten zonder lokaal-teamcontact: 1\n  - Barneveld (GM0203)\n" in out
    assert "Gemeenten zonder GI-contact: 0\n" in out
    # Carla was last checked on 1 Jan 2026; everyone else on 1 Nov 2026 (23 days ago).
    assert ("Niet gecontroleerd in 30 dagen: 1\n"
            "  - carla@lt-ede.example.org (Carla Claes), laatst: 2026-01-01\n") in out
    assert "Kapotte koppelgenoot-verwijzingen: 0" in out


def test_check_days_threshold(env_db: str, engine: Engine, fixed_clock: FakeClock) -> None:
    import_file(engine, SMALL)
    out = ketenbot("directory", "check", "--days", "20").stdout
    assert "Niet gecontroleerd in 20 dagen: 5" in out  # 23 days ago is too old now
    out = ketenbot("directory", "check").stdout
    assert "Niet gecontroleerd in 90 dagen: 1" in out  # the default from the settings


def test_check_flags_a_one_sided_koppelgenoot(env_db: str, engine: Engine,
                                              fixed_clock: FakeClock, tmp_path: Path) -> None:
    one_sided = tmp_path / "small.yaml"
    source = SMALL.read_text()
    old = "            koppelgenoot: anna@lt-ede.example.org\n"
    assert old in source
    one_sided.write_text(source.replace(old, ""))
    import_file(engine, one_sided)

    result = ketenbot("directory", "check", "--days", "400")

    assert result.exit_code == 1
    assert ("Kapotte koppelgenoot-verwijzingen: 1\n"
            "  - anna@lt-ede.example.org: bert@lt-ede.example.org heeft een andere of geen "
            "koppelgenoot") in result.stdout


def test_check_is_clean_when_every_gemeente_is_covered(env_db: str, engine: Engine,
                                                       fixed_clock: FakeClock) -> None:
    import_file(engine, SMALL)
    import_file(engine, DATA / "people.csv")  # Barneveld gets its lokaal team

    result = ketenbot("directory", "check", "--days", "400")

    assert result.exit_code == 0, result.stdout
    for title in ("Gemeenten zonder lokaal-teamcontact", "Gemeenten zonder GI-contact",
                  "Niet gecontroleerd in 400 dagen", "Kapotte koppelgenoot-verwijzingen"):
        assert f"{title}: 0" in result.stdout


def test_check_ignores_a_team_with_only_a_teamleider(env_db: str, engine: Engine,
                                                     fixed_clock: FakeClock,
                                                     tmp_path: Path) -> None:
    # A lokaal team for Barneveld whose only person is a teamleider: nobody to call.
    leader_only = tmp_path / "leader.csv"
    leader_only.write_text(
        (DATA / "people.csv").read_text().splitlines()[0] + "\n"
        "fred@lt-barneveld.example.org,Fred Fokker,teamleider,,,,2026-11-01,lt-barneveld,"
        "Sociaal Team Barneveld,lt-barneveld,Sociaal Team Barneveld,lokaal_team,food-valley,"
        "GM0203\n"
    )
    import_file(engine, SMALL)
    import_file(engine, leader_only)
    out = ketenbot("directory", "check", "--days", "400").stdout
    assert "Gemeenten zonder lokaal-teamcontact: 1\n  - Barneveld (GM0203)" in out


def test_commands_refuse_an_unmigrated_database(env_db: str, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'leeg.sqlite'}")
    for args in (("directory", "import", SMALL), ("directory", "export"),
                 ("directory", "check")):
        result = ketenbot(*args)
        assert result.exit_code == 1, args
        assert "Voer eerst `ketenbot db upgrade` uit." in result.stderr
        assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_region_term_travels_through_import_export_and_retention_run(
        env_db: str, engine: Engine, tmp_path: Path, fixed_clock: FakeClock) -> None:
    own = tmp_path / "own.yaml"
    own.write_text(SMALL.read_text(encoding="utf-8").replace(
        "    name: Food Valley\n", "    name: Food Valley\n    retention_days: 730\n", 1),
        encoding="utf-8")
    imported = ketenbot("directory", "import", own)
    assert imported.exit_code == 0, imported.output
    exported = ketenbot("directory", "export")
    assert exported.exit_code == 0 and "retention_days: 730" in exported.stdout
    run = ketenbot("retention", "run", "--dry-run")
    assert run.exit_code == 0, run.output
    assert "gesloten zaken na 365 dagen" in run.stdout
    assert "eigen termijn per regio: Food Valley 730 dagen" in run.stdout
    # A gemeenten CSV (which has no place for a term) leaves the term as it was.
    csv = tmp_path / "gemeenten.csv"
    csv.write_text("cbs,name,region,region_name\nGM0228,Ede,food-valley,Food Valley\n",
                   encoding="utf-8")
    from_csv = ketenbot("directory", "import", csv)
    assert from_csv.exit_code == 0, from_csv.output
    assert "Food Valley 730 dagen" in ketenbot("retention", "run", "--dry-run").stdout

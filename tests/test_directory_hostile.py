"""Broken and hostile directory files: every problem on its file:line: field,
no crash, and nothing changed in the database."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from storage.directory.read import load
from storage.directory.yaml_reader import load_yaml
from tests.test_directory_import import (
    PEOPLE,
    SMALL,
    exported,
    run_import,
    table_counts,
    write,
)

BASE = SMALL.read_text(encoding="utf-8")
HEADER = PEOPLE.read_text(encoding="utf-8").splitlines()[0]
ROW = PEOPLE.read_text(encoding="utf-8").splitlines()[1]


def refused(engine: Engine, path: Path) -> list[str]:
    """Import `path`; it must be refused with nothing changed. Its problems as text."""
    before_counts, before = table_counts(engine), exported(engine)
    result = run_import(engine, path)
    assert not result.ok
    assert table_counts(engine) == before_counts and exported(engine) == before
    problems = [str(p) for p in result.problems]
    for p in result.problems:
        assert p.line >= 1, p  # never line 0
        assert str(p).startswith(f"{path.name}:{p.line}: {p.field}: ")
    return problems


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_duplicate_key_is_refused_on_its_line(engine: Engine, tmp_path: Path) -> None:
    text = BASE.replace("        name: Barneveld\n",
                        "        name: Barneveld\n        name: Barneveldt\n")
    problems = refused(engine, write(tmp_path, "dubbel.yaml", text))
    line = line_of(text, "name: Barneveldt")
    assert problems == [f"dubbel.yaml:{line}: name: staat twee keer in dit blok "
                        f"(ook op regel {line - 1})"]


def test_a_block_where_text_belongs_is_not_stored_as_its_repr(engine: Engine,
                                                             tmp_path: Path) -> None:
    text = BASE.replace("name: Bert Bos", "name: {first: Bert, last: Bos}") \
        .replace("aliases: [Bennekom]", "aliases: [Bennekom, [Lunteren]]")
    problems = refused(engine, write(tmp_path, "typen.yaml", text))
    assert f"typen.yaml:{line_of(text, 'name: {first')}: name: verwacht tekst, geen blok met " \
           "velden (mapping)" in problems
    assert f"typen.yaml:{line_of(text, 'aliases:')}: aliases: verwacht tekst in de lijst, " \
           "geen lijst" in problems


def test_non_text_keys_and_explicit_tags_are_refused(engine: Engine, tmp_path: Path) -> None:
    text = BASE.replace("name: Bert Bos", "name: !!binary QmVydA==\n            ~: x") \
        .replace("verified_on: 2026-01-01", "verified_on: [2026-01-01]")
    problems = refused(engine, write(tmp_path, "tags.yaml", text))
    assert any(": name: verwacht tekst, geen bytes" in p for p in problems)
    assert any(": yaml: een veldnaam moet tekst zijn" in p for p in problems)
    assert any(": verified_on: verwacht een datum, geen lijst" in p for p in problems)


@pytest.mark.parametrize(("old", "new", "fld", "limit"), [
    ("name: Carla Claes", "name: " + "C" * 201, "name", 200),
    ("key: jbgld-fv", "key: jbgld-fv\n        slack_channel: " + "C" * 65, "slack_channel", 64),
    ("aliases: [Bennekom]", "aliases: [" + "B" * 201 + "]", "aliases", 200),
])
def test_over_long_values_are_refused_before_the_database(engine: Engine, tmp_path: Path,
                                                         old: str, new: str, fld: str,
                                                         limit: int) -> None:
    problems = refused(engine, write(tmp_path, "lang.yaml", BASE.replace(old, new)))
    assert [p for p in problems if f": {fld}: te lang:" in p and f"hoogstens {limit}" in p]
    assert all(len(p) < 300 for p in problems)  # the value is not repeated in full


def test_deep_nesting_is_a_problem_not_a_recursion_error(engine: Engine,
                                                        tmp_path: Path) -> None:
    deep = "regions:\n  - " + "[" * 50_000 + "]" * 50_000 + "\n"
    problems = refused(engine, write(tmp_path, "diep.yaml", deep))
    assert len(problems) == 1 and ": yaml: te diep genest" in problems[0]
    nested = "regions:\n" + "".join("  " * i + "- a:\n" for i in range(1, 40))
    assert ": yaml: te diep genest" in refused(engine, write(tmp_path, "diep2.yaml", nested))[0]


def test_aliases_cannot_blow_a_small_file_up(engine: Engine, tmp_path: Path) -> None:
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i, name in enumerate("bcdefgh"):
        prev = "abcdefgh"[i]
        bomb.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    bomb.append("regions: *h")
    problems = refused(engine, write(tmp_path, "bom.yaml", "\n".join(bomb) + "\n"))
    assert len(problems) == 1 and "te veel herhaling" in problems[0]
    # The usual alias (a dump shares one `serves` list) still imports.
    shared = BASE.replace("serves: [GM0228]", "serves: &fv [GM0228]") \
        .replace("serves: [regio:food-valley]", "serves: *fv")
    assert run_import(engine, write(tmp_path, "gedeeld.yaml", shared)).ok


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x85", "\ud800"])
def test_control_characters_and_surrogates_are_refused_with_their_field(char: str) -> None:
    doc = load_yaml(BASE.replace("name: Bert Bos", f"name: Bert{char}Bos"), "nul.yaml")
    assert [str(p) for p in doc.problems] == [
        f"nul.yaml:{line_of(BASE, 'name: Bert Bos')}: name: bevat een teken dat geen tekst is "
        "(een stuurteken zoals NUL, of een half Unicode-teken)"]


def test_yaml_reader_errors_point_at_their_line(engine: Engine, tmp_path: Path) -> None:
    text = BASE.replace("name: Bert Bos", "name: Bert\ufffeBos")
    problems = refused(engine, write(tmp_path, "teken.yaml", text))
    assert problems[0].startswith(f"teken.yaml:{line_of(text, 'Bert')}: yaml: ")


def test_bsn_in_a_directory_field_is_refused(engine: Engine, tmp_path: Path) -> None:
    text = BASE.replace("name: Bert Bos", "name: Bert Bos 111\u00a0222\u00a0333")
    problems = refused(engine, write(tmp_path, "bsn.yaml", text))
    assert problems == [f"bsn.yaml:{line_of(text, 'Bert Bos')}: name: lijkt een BSN te "
                        "bevatten; de contactenlijst bevat geen gegevens van gezinnen"]


def test_text_is_stored_in_nfc(engine: Engine, tmp_path: Path) -> None:
    text = BASE.replace("name: Bert Bos", "name: Be\u0301rt Bos")
    assert run_import(engine, write(tmp_path, "nfc.yaml", text)).ok
    assert "name: Bért Bos" in exported(engine)


# -- CSV -------------------------------------------------------------------------------------


def test_huge_csv_field_is_a_problem_not_a_crash(engine: Engine, tmp_path: Path) -> None:
    huge = ROW.replace("Dirk Dekker", '"' + "D" * 300_000 + '"')
    problems = refused(engine, write(tmp_path, "groot.csv", f"{HEADER}\n{huge}\n"))
    assert problems == ["groot.csv:2: rij: onleesbare CSV: een veld is te lang "
                        "(meer dan 131072 tekens)"]
    long_name = ROW.replace("Dirk Dekker", "D" * 5000)
    problems = refused(engine, write(tmp_path, "lang.csv", f"{HEADER}\n{long_name}\n"))
    assert "lang.csv:2: name: te lang: 5000 tekens, hoogstens 200" in problems


def test_csv_nul_names_its_column(engine: Engine, tmp_path: Path) -> None:
    bad = ROW.replace("Dirk Dekker", "Dirk\x00Dekker")
    problems = refused(engine, write(tmp_path, "nul.csv", f"{HEADER}\n{ROW}\n{bad}\n"))
    assert problems == ["nul.csv:3: name: bevat een teken dat geen tekst is "
                        "(een stuurteken zoals NUL, of een half Unicode-teken)"]


def test_csv_extra_fields_and_repeated_columns(engine: Engine, tmp_path: Path) -> None:
    problems = refused(engine, write(tmp_path, "extra.csv", f"{HEADER}\n{ROW},te veel\n"))
    assert "extra.csv:2: rij: meer velden dan kolommen: ['te veel']" in problems
    problems = refused(engine, write(tmp_path, "kop.csv", f"{HEADER},name\n{ROW},X\n"))
    assert problems == ["kop.csv:1: name: kolom staat meer dan eens in de kopregel"]


def test_line_breaks_inside_quoted_csv_fields_are_no_new_rows(tmp_path: Path) -> None:
    row = ROW.replace("Dirk Dekker", '"Dirk\u2028Dekker"')
    doc = load(write(tmp_path, "regels.csv", f"{HEADER}\n{row}\n"))
    assert doc.problems == [] and doc.people[0].name == "Dirk\u2028Dekker"


def test_the_operator_sees_every_problem_and_no_control_character(env_db: str, engine: Engine,
                                                                  tmp_path: Path) -> None:
    from tests.test_directory_cli import ketenbot

    text = BASE.replace("name: Bert Bos", 'name: "Bert\\0Bos"\n            "\\e[2J": wis') \
        .replace("name: Barneveld\n", "name: Barneveld\n        name: Barneveld\n")
    before = table_counts(engine)
    result = ketenbot("directory", "import", write(tmp_path, "vies.yaml", text))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert all(line.isprintable() for line in result.stderr.splitlines())
    problems = result.stderr.splitlines()[:-1]
    assert any(": \\x1b[2J: onbekend veld" in p for p in problems)
    assert any(": name: bevat een teken dat geen tekst is" in p for p in problems)
    assert any(": name: staat twee keer in dit blok" in p for p in problems)
    assert result.stderr.splitlines()[-1].endswith("er is niets opgeslagen.")
    assert table_counts(engine) == before

"""Property: arbitrary input at the directory importer (YAML and CSV), on SQLite
and PostgreSQL: no exception escapes, a refused file changes nothing, what is
stored is clean text, and no BSN is stored in any field."""

from __future__ import annotations

import copy
import csv
import io
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import event, given
from hypothesis import strategies as st
from sqlalchemy import Engine

from storage import db
from storage.directory.csv_reader import load_csv
from storage.directory.importer import import_doc
from storage.directory.read import load
from storage.directory.records import DirectoryDoc
from storage.directory.yaml_reader import load_yaml
from storage.privacy import bad_char
from tests.conftest import import_file
from tests.hostile import ANY_TEXT, NOISE, TYPED_TEXT, bsn_variants, find_stored, stored, strings
from tests.test_directory_import import PEOPLE, SMALL

DIRECTORY = ["region", "gemeente", "gemeente_key", "organisation", "team", "team_gemeente",
             "person", "directory_version"]
SMALL_DATA = yaml.safe_load(SMALL.read_text(encoding="utf-8"))
PEOPLE_ROWS = list(csv.reader(io.StringIO(PEOPLE.read_text(encoding="utf-8"))))

# Where in the small directory a value is put: each a path of keys and indexes.
REGION = ("regions", 0)
GEMEENTE = (*REGION, "gemeenten", 0)
ORG = ("organisations", 0)
TEAM = (*ORG, "teams", 0)
PERSON = (*TEAM, "people", 1)
PLACES = [
    (*REGION, "code"), (*REGION, "name"), (*REGION, "gemeenten"), (*GEMEENTE, "cbs"),
    (*GEMEENTE, "name"), (*GEMEENTE, "aliases"), (*GEMEENTE, "aliases", 0), (*ORG, "key"),
    (*ORG, "name"), (*ORG, "kind"), (*ORG, "region"), (*TEAM, "key"), (*TEAM, "name"),
    (*TEAM, "serves"), (*TEAM, "serves", 0), (*TEAM, "slack_channel"),
    (*TEAM, "telegram_chat"), (*TEAM, "teams_channel"), (*TEAM, "people"), (*PERSON, "email"),
    (*PERSON, "name"),
    (*PERSON, "role"), (*PERSON, "phone"), (*PERSON, "koppelgenoot"),
    (*PERSON, "absent_until"), (*PERSON, "verified_on"), (*PERSON, "language"),
    (*PERSON, "preferred_platform"), ("regions",), ("organisations",),
]


@st.composite
def text_with_bsn(draw: st.DrawFn) -> tuple[str, str]:
    digits, written = draw(bsn_variants())
    return digits, f"{draw(TYPED_TEXT)} {written} {draw(TYPED_TEXT)}".strip()


leaf = st.one_of(ANY_TEXT, TYPED_TEXT, TYPED_TEXT, st.integers(), st.floats(), st.booleans(),
                 st.none(), st.dates(), st.integers(150, 3000).map(lambda n: "é" * n))
values = st.one_of(leaf, st.lists(leaf, max_size=4),
                   st.dictionaries(TYPED_TEXT, leaf, max_size=3))


def put(data: Any, place: tuple[Any, ...], value: Any) -> Any:
    data = copy.deepcopy(data)
    target = data
    for step in place[:-1]:
        target = target[step]
    if isinstance(target, list):
        target[place[-1] % len(target)] = value
    else:
        target[place[-1]] = value
    return data


def fuzz(text: str, at: int, insert: str) -> str:
    at = at % (len(text) + 1)
    return text[:at] + insert + text[at:]


def import_text(engine: Engine, doc: DirectoryDoc) -> bool:
    """Import as `ketenbot directory import` does: all or nothing."""
    with db.session_scope(engine) as session:
        result = import_doc(doc, session)
        if not result.ok:
            session.rollback()
    for p in result.problems:
        assert p.line >= 1 and p.field and str(p).isprintable(), str(p)
    event("imported" if result.ok else "refused")
    return result.ok


def check(engine: Engine, doc: DirectoryDoc, bsn: str | None) -> None:
    before = stored(engine, DIRECTORY)
    ok = import_text(engine, doc)  # nothing may escape
    after = stored(engine, DIRECTORY)
    if not ok:
        assert after == before, "a refused file changed the directory"
    else:  # and what was taken in is taken in whole: a second import changes nothing
        with db.session_scope(engine) as session:
            again = import_doc(doc, session)
        assert again.ok and not again.created and not again.updated, again
        assert stored(engine, DIRECTORY) == after
    for table, rows in after.items():
        for row in rows:
            for s in strings(list(row)):
                assert bad_char(s) is None, (table, s)
                assert unicodedata.is_normalized("NFC", s), (table, s)
    if bsn is not None:
        assert find_stored(engine, bsn, DIRECTORY) == []


@pytest.fixture
def small(engine: Engine) -> Engine:
    import_file(engine, SMALL)
    return engine


@given(place=st.sampled_from(PLACES), value=st.one_of(values, text_with_bsn()),
       insert=st.one_of(st.just(""), st.just(""), NOISE), at=st.integers(0, 10_000),
       via_file=st.booleans())
def test_any_value_in_a_yaml_directory(small: Engine, tmp_path: Path, place: tuple[Any, ...],
                                       value: Any, insert: str, at: int, via_file: bool) -> None:
    bsn = None
    if isinstance(value, tuple):
        bsn, value = value
    text = fuzz(yaml.safe_dump(put(SMALL_DATA, place, value), allow_unicode=True), at, insert)
    if via_file:
        path = tmp_path / "lijst.yaml"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        doc = load(path)
    else:
        doc = load_yaml(text, "lijst.yaml")
    check(small, doc, bsn)


def csv_text(rows: list[list[str]], delimiter: str) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return out.getvalue()


NAMES = st.text(st.characters(categories=("L", "M", "Zs")), min_size=1, max_size=30)
nothing = st.just("")


@given(row=st.integers(0, 2), column=st.integers(0, 20),
       value=st.one_of(NAMES, NAMES, ANY_TEXT, TYPED_TEXT, text_with_bsn(),
                       st.integers(100, 200_000).map(lambda n: "x" * n)),
       extra=st.one_of(st.just([]), st.just([]), st.lists(NOISE, max_size=2)),
       insert=st.one_of(nothing, nothing, nothing, NOISE),
       at=st.integers(0, 10_000), delimiter=st.sampled_from([",", ";"]))
def test_any_value_in_a_csv_directory(small: Engine, row: int, column: int,
                                      value: str | tuple[str, str], extra: list[str],
                                      insert: str, at: int, delimiter: str) -> None:
    bsn = None
    if isinstance(value, tuple):
        bsn, value = value
    rows = [list(r) for r in PEOPLE_ROWS]
    target = rows[row % len(rows)]
    target[column % len(target)] = value
    target.extend(extra)
    check(small, load_csv(fuzz(csv_text(rows, delimiter), at, insert), "lijst.csv"), bsn)


@given(text=st.one_of(NOISE, st.text(max_size=300)), suffix=st.sampled_from([".yaml", ".csv"]))
def test_any_text_as_a_directory_file(small: Engine, text: str, suffix: str) -> None:
    doc = load_csv(text, "x.csv") if suffix == ".csv" else load_yaml(text, "x.yaml")
    check(small, doc, None)

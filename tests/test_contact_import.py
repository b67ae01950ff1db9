"""Import and chat edits live together; the audit trail; the steunstructuur in the file.

An import never silently overwrites a change made in chat on or after the
file's own date (`as_of:`): it reports the conflict per row and saves nothing,
unless `--prefer file|chat` decides.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

import bot.app
from bot.app import KetenBot
from bot.cli.main import app
from bot.config import Settings
from messages import Renderer
from storage.contact_tables import Contactbeheerder, Steunstructuur
from storage.db import session_scope
from storage.directory.export import export_doc
from storage.directory.importer import import_doc
from storage.directory.read import load
from storage.directory.yaml_reader import load_yaml
from storage.models import Person
from tests.conftest import AMS, SAMPLE, FakeClock, import_file

DATA = Path(__file__).parent / "data"
SMALL = DATA / "small.yaml"
ANNA, BERT, CARLA = ("anna@lt-ede.example.org", "bert@lt-ede.example.org",
                     "carla@lt-ede.example.org")
runner = CliRunner()


@pytest.fixture
def small(engine: Engine, clock: FakeClock, db_url: str) -> KetenBot:
    import_file(engine, SMALL)
    return KetenBot(settings=Settings(database_url=db_url), engine=engine, clock=clock)


def say(kb: KetenBot, who: str, text: str) -> None:
    reply = kb.registry.dispatch(kb.context("slack", kb.person_by_email(who)), text)
    assert reply.ok, reply.data


def edited(tmp_path: Path, as_of: str | None, replace: tuple[str, str]) -> Path:
    text = SMALL.read_text().replace(*replace)
    path = tmp_path / "edited.yaml"
    path.write_text((f"as_of: {as_of}\n" if as_of else "") + text)
    return path


def phone(engine: Engine, email: str) -> str | None:
    with Session(engine) as s:
        return s.exec(select(Person.phone).where(Person.email == email)).one()


def run_import(kb: KetenBot, path: Path, prefer: str | None = None):  # type: ignore[no-untyped-def]
    with session_scope(kb.engine) as session:
        result = import_doc(load(path), session, prefer=prefer, now=kb.clock())
        if not result.ok:
            session.rollback()
    return result


def test_an_older_file_does_not_overwrite_a_chat_edit(small: KetenBot, tmp_path: Path) -> None:
    say(small, ANNA, "ik telefoon +31 6 7777 0001")  # Tue 24 Nov, in Slack
    older = edited(tmp_path, "2026-11-20", ("+31 6 0000 0001", "+31 6 1111 0001"))
    result = run_import(small, older)
    assert not result.ok and not result.problems
    [conflict] = result.conflicts
    assert (conflict.email, conflict.field, conflict.in_file, conflict.in_chat) == (
        ANNA, "phone", "+31 6 1111 0001", "+31 6 7777 0001")
    assert str(conflict).startswith("edited.yaml:")
    assert "door anna@lt-ede.example.org" in str(conflict)
    assert phone(small.engine, ANNA) == "+31 6 7777 0001"  # nothing saved

    assert run_import(small, older, prefer="chat").ok
    assert phone(small.engine, ANNA) == "+31 6 7777 0001"
    assert run_import(small, older, prefer="file").ok
    assert phone(small.engine, ANNA) == "+31 6 1111 0001"


def test_a_file_dated_after_the_chat_edit_wins(small: KetenBot, tmp_path: Path) -> None:
    say(small, ANNA, "ik telefoon +31 6 7777 0001")
    newer = edited(tmp_path, "2026-11-25", ("+31 6 0000 0001", "+31 6 1111 0001"))
    assert run_import(small, newer).ok
    assert phone(small.engine, ANNA) == "+31 6 1111 0001"


def test_a_file_without_a_date_is_older_than_any_chat_edit(small: KetenBot,
                                                           tmp_path: Path) -> None:
    say(small, CARLA, f"afwezig tot 2026-12-04 {ANNA}")
    undated = edited(tmp_path, None, ("Anna Aalders", "Anna Aalders-Bos"))
    result = run_import(small, undated)
    # Only the field edited in chat conflicts; other fields may differ freely.
    assert [c.field for c in result.conflicts] == ["absent_until"]
    assert run_import(small, undated, prefer="chat").ok
    kb_anna = small.person_by_email(ANNA)
    assert kb_anna is not None and kb_anna.name == "Anna Aalders-Bos"
    assert kb_anna.absent_until == date(2026, 12, 4)


def test_a_later_confirmation_in_chat_stands_without_conflict(small: KetenBot,
                                                             tmp_path: Path) -> None:
    say(small, ANNA, "ik klopt")
    assert run_import(small, edited(tmp_path, "2026-11-01", ("x", "x"))).ok
    anna = small.person_by_email(ANNA)
    assert anna is not None and anna.verified_on == date(2026, 11, 24)


def test_the_command_line_reports_conflicts_and_prefer_decides(
        small: KetenBot, tmp_path: Path, env_db: str, monkeypatch: pytest.MonkeyPatch,
        clock: FakeClock) -> None:
    monkeypatch.setattr(bot.app, "system_clock", lambda tz: clock)
    say(small, ANNA, "ik telefoon +31 6 7777 0001")
    older = edited(tmp_path, "2026-11-20", ("+31 6 0000 0001", "+31 6 1111 0001"))
    refused = runner.invoke(app, ["directory", "import", str(older)])
    assert refused.exit_code == 1
    assert "conflict: edited.yaml:" in refused.stderr and "--prefer" in refused.stderr
    assert phone(small.engine, ANNA) == "+31 6 7777 0001"
    bad = runner.invoke(app, ["directory", "import", "--prefer", "beide", str(older)])
    assert bad.exit_code == 2
    ok = runner.invoke(app, ["directory", "import", "--prefer", "file", str(older)])
    assert ok.exit_code == 0, ok.output
    assert phone(small.engine, ANNA) == "+31 6 1111 0001"

    history = runner.invoke(app, ["directory", "history", ANNA])
    [chat_line] = [ln for ln in history.stdout.splitlines() if "  telefoon  " in ln]
    assert "phone: +31 6 0000 0001 → +31 6 7777 0001" in chat_line
    assert chat_line.endswith("(door anna@lt-ede.example.org via slack)")
    [file_line] = [ln for ln in history.stdout.splitlines() if "  gewijzigd  " in ln]
    assert "phone: +31 6 7777 0001 → +31 6 1111 0001  (door import edited.yaml via import)" \
        in file_line
    team = runner.invoke(app, ["directory", "history", "lt-ede"]).stdout
    assert team.count("aangemaakt") == 3  # the first import, per person of the team
    export = yaml.safe_load(runner.invoke(app, ["directory", "export"]).stdout)
    assert export["as_of"] == "2026-11-24" or export["as_of"] == date(2026, 11, 24)
    assert {"telefoon", "gewijzigd", "aangemaakt"} == {
        h["action"] for h in export["history"] if h["subject"] == ANNA}


def test_the_steunstructuur_round_trips_and_shows_in_wie(sample_engine: Engine,
                                                         clock: FakeClock, db_url: str) -> None:
    with Session(sample_engine) as s:
        assert len(s.exec(select(Steunstructuur)).all()) == 7
        assert len(s.exec(select(Contactbeheerder)).all()) == 7
        doc = export_doc(s, as_of=date(2026, 11, 24))
    by_code = {r["code"]: r["steunstructuur"] for r in doc["regions"]}
    vt = "Veilig Thuis Noord- en Oost-Gelderland"
    assert {c for c, st in by_code.items() if st["responsible"] == vt} == {
        "achterhoek", "midden-ijssel-oost-veluwe", "noord-veluwe"}
    assert {st["responsible"] for c, st in by_code.items() if st["responsible"] != vt} == {
        "Gemeente Tiel", "Gemeente Nijmegen", "Gemeente Ede", "Gemeente Arnhem"}
    assert by_code["rivierenland"]["responsible"] == "Gemeente Tiel"
    # The sample as shipped says the same as the export.
    sample = yaml.safe_load(SAMPLE.read_text())
    assert {r["code"]: r["steunstructuur"]["responsible"] for r in sample["regions"]} == {
        c: st["responsible"] for c, st in by_code.items()}

    kb = KetenBot(settings=Settings(database_url=db_url), engine=sample_engine, clock=clock)
    ctx = kb.context("console", None)
    out = Renderer("text").render(kb.registry.dispatch(ctx, "wie Zutphen"), "nl")
    assert "Contactbeheer Midden-IJssel/Oost-Veluwe: " + vt in out
    out = Renderer("text").render(kb.registry.dispatch(ctx, "wie Tiel"), "en")
    assert "Contact list Rivierenland: Gemeente Tiel" in out


def test_wie_groep_shows_the_fixed_group_with_freshness(sample_engine: Engine, clock: FakeClock,
                                                        db_url: str) -> None:
    kb = KetenBot(settings=Settings(database_url=db_url), engine=sample_engine, clock=clock)
    reply = kb.registry.dispatch(kb.context("console", None), "wie Ede groep")
    assert reply.ok and reply.template == "lookup_group"
    kinds = [t.kind for t in reply.data["teams"]]
    assert set(kinds) == {"lokaal_team", "gi", "raad", "veilig_thuis"}
    assert kinds.index("lokaal_team") < kinds.index("gi")
    names = {c.name for t in reply.data["teams"] for c in t.contacts}
    assert {"Anouk Jansen", "Bram de Vries", "Jeroen Bakker", "Carla Smit"} <= names
    assert "Monique Peters" not in names  # the region's office is not in the group
    out = Renderer("text").render(reply, "nl")
    assert out.startswith("Vaste groep Ede (GM0228)")
    assert "Anouk Jansen (medewerker) — AFWEZIG t/m" in out
    clock.set(datetime(2030, 1, 1, 9, tzinfo=AMS))
    later = kb.registry.dispatch(kb.context("console", None), "wie Ede group")
    assert later.data["stale"] == later.data["people"] > 0


def test_bad_steunstructuur_is_reported_with_its_line(engine: Engine) -> None:
    doc = load_yaml(
        "regions:\n"
        "  - code: fv\n"
        "    name: FV\n"
        "    steunstructuur:\n"
        "      responsible: Gemeente Ede\n"
        "      organisation: nergens\n"
        "      contactbeheerders: [niemand@example.org]\n"
        "      frequency_days: vaak\n"
        "      kleur: blauw\n", "x.yaml")
    with Session(engine) as s:
        result = import_doc(doc, s)
    problems = {(p.line, p.field) for p in result.problems}
    assert {(6, "organisation"), (7, "contactbeheerders"), (8, "frequency_days"),
            (9, "kleur")} <= problems


def test_an_older_file_does_not_bring_back_someone_removed_in_chat(small: KetenBot,
                                                                   tmp_path: Path) -> None:
    say(small, CARLA, f"verwijder {BERT}")
    older = edited(tmp_path, "2026-11-20", ("x", "x"))
    result = run_import(small, older)
    fields = {(c.email, c.field) for c in result.conflicts}
    # Bert's team (archived) and both koppelgenoot links (cleared) changed in chat.
    assert fields == {(BERT, "team"), (BERT, "koppelgenoot"), (ANNA, "koppelgenoot")}
    assert run_import(small, older, prefer="chat").ok
    with Session(small.engine) as s:
        anna = s.exec(select(Person).where(Person.email == ANNA)).one()
        assert anna.koppelgenoot_id is None
    assert "Bert Bos" not in Renderer("text").render(
        small.registry.dispatch(small.context("console", None), "wie Ede"), "nl")

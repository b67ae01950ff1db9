"""Changes to a region's steunstructuur (responsible organisation, contactbeheerders,
frequency) are in the audit trail: from an import and from chat, shown by
`ketenbot directory history <regio>` and exported."""

from __future__ import annotations

import pytest
import yaml
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

import bot.app
from bot.app import KetenBot
from bot.cli.main import app
from bot.config import Settings
from storage.contact_tables import DirectoryChange
from storage.db import session_scope
from storage.directory.importer import import_doc
from storage.directory.yaml_reader import load_yaml
from tests.conftest import FakeClock, import_file
from tests.test_contact_import import SMALL

CARLA, JAN = "carla@lt-ede.example.org", "jan@jbgld.example.org"
runner = CliRunner()


def steun(frequency: int, beheerders: list[str], responsible: str = "Gemeente Ede") -> str:
    return ("regions:\n  - code: food-valley\n    name: Food Valley\n    steunstructuur:\n"
            f"      responsible: {responsible}\n"
            f"      contactbeheerders: [{', '.join(beheerders)}]\n"
            f"      frequency_days: {frequency}\n")


def load(kb: KetenBot, text: str, name: str) -> None:
    with session_scope(kb.engine) as s:
        result = import_doc(load_yaml(text, name), s, now=kb.clock())
        assert result.ok, (result.problems, result.conflicts)


def trail(engine: Engine) -> list[DirectoryChange]:
    with Session(engine) as s:
        return list(s.exec(select(DirectoryChange).where(
            DirectoryChange.action == "steunstructuur").order_by(col(DirectoryChange.id))).all())


@pytest.fixture
def small(engine: Engine, clock: FakeClock, db_url: str) -> KetenBot:
    import_file(engine, SMALL)
    return KetenBot(settings=Settings(database_url=db_url), engine=engine, clock=clock)


def test_steunstructuur_changes_from_import_and_chat_are_audited(
        small: KetenBot, env_db: str, monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> None:
    monkeypatch.setattr(bot.app, "system_clock", lambda tz: clock)
    load(small, steun(90, [CARLA]), "eerste.yaml")
    [first] = trail(small.engine)
    assert (first.subject, first.platform, first.actor) == ("food-valley", "import",
                                                            "import eerste.yaml")
    assert first.detail["responsible"] == [None, "Gemeente Ede"]
    assert first.detail["contactbeheerders"] == [None, CARLA]
    assert first.detail["frequency_days"] == [None, 90]

    load(small, steun(90, [CARLA]), "zelfde.yaml")  # nothing changed: no row
    assert len(trail(small.engine)) == 1

    load(small, steun(60, [CARLA, JAN], "Veilig Thuis"), "tweede.yaml")
    second = trail(small.engine)[-1]
    assert second.detail == {"responsible": ["Gemeente Ede", "Veilig Thuis"],
                             "contactbeheerders": [CARLA, f"{CARLA}, {JAN}"],
                             "frequency_days": [90, 60]}

    # A contactbeheerder removed in chat leaves the steunstructuur: audited too.
    reply = small.registry.dispatch(small.context("slack", small.person_by_email(JAN)),
                                    f"verwijder {CARLA}")
    assert reply.ok, reply.data
    third = trail(small.engine)[-1]
    assert (third.platform, third.actor) == ("slack", JAN)
    assert third.detail == {"contactbeheerders": [f"{CARLA}, {JAN}", JAN]}

    shown = runner.invoke(app, ["directory", "history", "food-valley"])
    assert shown.exit_code == 0, shown.output
    lines = [ln for ln in shown.stdout.splitlines() if "  steunstructuur  " in ln]
    assert len(lines) == 3
    assert "frequency_days: 90 → 60" in lines[1] and "(door import tweede.yaml via import)" \
        in lines[1]
    assert lines[2].endswith(f"(door {JAN} via slack)")
    export = yaml.safe_load(runner.invoke(app, ["directory", "export"]).stdout)
    exported = [h for h in export["history"] if h["action"] == "steunstructuur"]
    assert [h["platform"] for h in exported] == ["import", "import", "slack"]
    assert exported[1]["detail"]["frequency_days"] == [90, 60]


"""Migration 0019 adds which tafel may take over when one is full: an upgrade from
0018 with the sample directory and a tafel case in it, on SQLite and PostgreSQL;
the directory's next import fills the neighbours, and a downgrade keeps the rest."""

from __future__ import annotations

from typing import Any

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlmodel import Session, select

from bot.app import KetenBot
from bot.config import Settings
from handlers.contacts import directory_cache
from messages import Renderer
from storage import db
from storage.models import Organisation
from storage.tables import Referral
from tests.conftest import SAMPLE, FakeClock, import_file

WENDY = "wendy.evers@sociaalteam-ede.example.org"
ASTRID = "astrid.vandijk@jbt-foodvalley.example.org"


def _bot(url: str, engine: Any, clock: FakeClock) -> KetenBot:
    return KetenBot(settings=Settings(database_url=url), engine=engine, clock=clock)


def _say(bot: KetenBot, email: str, line: str) -> str:
    reply = bot.registry.dispatch(bot.context("console", bot.person_by_email(email)), line)
    assert reply.ok, (line, reply.data)
    return Renderer("text").render(reply)


def test_upgrade_from_0018_keeps_the_directory_and_the_cases(
        sample_at_0018: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    # The look-ups trust their directory snapshot for a second before asking its
    # version again; the import below comes sooner than that on a fast machine.
    monkeypatch.setattr(directory_cache, "CHECK_EVERY", 0.0)
    engine = db.make_engine(sample_at_0018)
    assert "tafel_neighbour" not in inspect(engine).get_table_names()
    with Session(engine) as s:
        tafels = {o.key for o in s.exec(select(Organisation).where(Organisation.kind == "jbt"))}
    assert {"jbt-food-valley", "jbt-centraal-gelderland"} <= tafels, tafels

    db.upgrade(sample_at_0018)  # 0018 -> head
    bot = _bot(sample_at_0018, engine, clock)
    # The tafel and its people came through; no neighbour is known before an import.
    text_before = _say(bot, WENDY, "wie Ede tafel")
    assert "Astrid van Dijk" in text_before and "Centraal Gelderland" not in text_before
    _say(bot, WENDY, "tafel Ede T-1")
    # The directory's next import (as the operator runs it) fills the neighbours.
    import_file(engine, SAMPLE)
    assert "Centraal Gelderland" in _say(bot, WENDY, "wie Ede tafel")
    assert "JT-" in _say(bot, ASTRID, "mijn")

    # And back down to 0018: the neighbours go, the directory and the case stay.
    command.downgrade(db.alembic_config(sample_at_0018), "0018")
    assert "tafel_neighbour" not in inspect(engine).get_table_names()
    with engine.connect() as conn:
        routes = conn.execute(text("SELECT route FROM referral")).scalars().all()
        assert routes == ["jbt"]
    with Session(engine) as s:
        assert s.exec(select(Referral)).one().ref.startswith("JT-")
    engine.dispose()

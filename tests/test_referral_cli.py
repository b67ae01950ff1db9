"""`ketenbot referral show|export`: the timeline and the lead times per step."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

import bot.app
from bot.app import KetenBot
from bot.cli.main import app
from bot.config import Settings
from tests.conftest import AMS, FakeClock

runner = CliRunner()
JEROEN = "jeroen.bakker@jbgld.example.org"
BRAM = "bram.devries@sociaalteam-ede.example.org"


@pytest.fixture
def history(env_db: str, sample_engine: Engine, clock: FakeClock,
            monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """KB-0001 started Tue 24 Nov 10:00, acknowledged Thu 26 Nov 14:00."""
    monkeypatch.setattr(bot.app, "system_clock", lambda tz: clock)
    kb = KetenBot(Settings(database_url=env_db), sample_engine, clock)

    def say(email: str, text: str) -> None:
        reply = kb.registry.dispatch(kb.context("slack", kb.person_by_email(email)), text)
        assert reply.ok, reply.data

    say(JEROEN, "verwijs 301 Ede K-1")
    clock.set(datetime(2026, 11, 26, 14, 0, tzinfo=AMS))
    say(BRAM, "ontvangen KB-0001")
    clock.set(datetime(2026, 11, 30, 9, 0, tzinfo=AMS))
    return clock


def test_show_prints_who_did_what_when_and_where(history: FakeClock) -> None:
    result = runner.invoke(app, ["referral", "show", "KB-0001"])
    assert result.exit_code == 0, result.output
    # The step by its number and title, its term as its last day (as chat shows it).
    assert ("KB-0001 · 301-route · kenmerk K-1 · open · stap 2-3: JB stuurt bepaling en "
            "aanmeldformulier naar lokaal team en zorgaanbieder · uiterlijk do 3 dec 2026"
            in result.output)
    assert "2026-11-24T10:00+01:00  verwijzing gestart" in result.output
    assert "Jeroen Bakker (slack)" in result.output
    assert "2026-11-26T14:00+01:00  contact bevestigd" in result.output
    assert "contact bevestigd                             stap 1    Bram de Vries" \
        in result.output
    assert "bepaling " not in result.output.split("\n", 1)[1]  # no raw step key
    assert "Bram de Vries (slack)" in result.output
    # Step 1 took Tue -> Thu: two werkdagen; step 2-3 is still running.
    assert "stap 1    2 werkdagen (52.0 uur)" in result.output
    assert "loopt nog" in result.output


def test_show_refuses_bad_and_unknown_references(history: FakeClock) -> None:
    bad = runner.invoke(app, ["referral", "show", "Jansen"])
    assert bad.exit_code == 2 and "Ongeldig kenmerk" in bad.output
    unknown = runner.invoke(app, ["referral", "show", "KB-0099"])
    assert unknown.exit_code == 1 and "bestaat niet" in unknown.output


def test_export_csv_has_a_row_per_step_with_lead_times(history: FakeClock) -> None:
    result = runner.invoke(app, ["referral", "export", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [(r["ref"], r["number"], r["werkdagen"]) for r in rows] == [
        ("KB-0001", "1", "2"),
        ("KB-0001", "2-3", "2"),  # Thu 26 -> Mon 30: Fri and Mon
    ]
    assert rows[0]["left"] == "2026-11-26T14:00+01:00" and rows[1]["left"] == ""
    # The open step's last day: the day chat shows as "uiterlijk do 3 dec 2026".
    assert [r["last_day"] for r in rows] == ["", "2026-12-03"]


def test_export_json_and_a_bad_format(history: FakeClock) -> None:
    result = runner.invoke(app, ["referral", "export", "--format", "json"])
    data = json.loads(result.output)
    assert data[0]["ref"] == "KB-0001" and data[0]["gemeente"] == "Ede"
    assert [s["open"] for s in data[0]["steps"]] == [False, True]
    bad = runner.invoke(app, ["referral", "export", "--format", "xml"])
    assert bad.exit_code == 2 and "--format" in bad.output  # click's own refusal of a choice

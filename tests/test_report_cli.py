"""`ketenbot report lead-times`: the figures on the command line."""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy import Engine
from typer.testing import CliRunner

from bot.cli.main import app
from tests.overview_history import load_directory, make_referral

runner = CliRunner()


def _history(engine: Engine) -> None:
    load_directory(engine)
    # Mon 2 Nov -> accepted Fri 6 Nov (4 werkdagen) -> care Mon 16 Nov (10).
    make_referral(engine, start="2026-11-02 10:00", status="closed", step="start",
                  events=[("acceptatie", "2026-11-06 15:00", "start", {}),
                          ("zorg_gestart", "2026-11-16 09:00", "start", {})])
    make_referral(engine, gemeente="Doetinchem", lt="lt@doetinchem.example.org",
                  jb="jb3@gi.example.org", start="2026-11-02 10:00",
                  events=[("acceptatie", "2026-11-20 10:00", "start", {})])


def test_lead_times_json_csv_and_table(env_db: str, engine: Engine) -> None:
    _history(engine)
    period = ["--from", "2026-11-01", "--to", "2026-11-30"]
    r = runner.invoke(app, ["report", "lead-times", "--region", "food-valley", *period,
                            "--format", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["lead_times"]["acceptance"]["median"] == 4
    assert data["lead_times"]["care"]["median"] == 10
    r = runner.invoke(app, ["report", "lead-times", "--gemeente", "Doetinchem", *period,
                            "--format", "csv"])
    rows = list(csv.reader(io.StringIO(r.output)))
    assert rows[0][:2] == ["tabel", "maat"]
    assert ["doorlooptijden", "acceptance", "1", "14", "14", "0"] in rows
    r = runner.invoke(app, ["report", "lead-times", *period])
    assert r.exit_code == 0 and "doorlooptijden" in r.output and "Ede" in r.output


def test_bad_input_is_refused(env_db: str, engine: Engine) -> None:
    load_directory(engine)
    r = runner.invoke(app, ["report", "lead-times", "--region", "nergens"])
    assert r.exit_code == 1 and "Onbekende regio" in r.output
    r = runner.invoke(app, ["report", "lead-times", "--from", "gisteren"])
    assert r.exit_code == 2 and "geen datum" in r.output
    r = runner.invoke(app, ["report", "lead-times", "--format", "xml"])
    assert r.exit_code == 2

"""No CSV the project writes carries a spreadsheet formula (issue 17, item 10).

A gemeente, organisation or team name (from the directory) that starts with
`=`, `+`, `-` or `@` was written into the CSV as is, and Excel or LibreOffice
run it as a formula when the file is opened. Each CSV — the figures download,
`report lead-times --format csv`, `referral export`, `escalation export` — now
writes such a cell with a leading `'`; numbers stay numbers.
"""

from __future__ import annotations

import csv
import io

from sqlalchemy import Engine
from sqlmodel import select
from typer.testing import CliRunner

from bot import csv_safe
from bot.app import KetenBot
from bot.cli.main import app
from storage.db import session_scope
from storage.models import Gemeente, Organisation
from tests.test_escalation_data import closed  # noqa: F401  (fixture)
from tests.test_referral_cli import history  # noqa: F401  (fixture)
from tests.test_report_cli import _history
from tests.test_web_overview import bot, cases, client, sign_in  # noqa: F401  (fixtures)

runner = CliRunner()
EDE = '=HYPERLINK("http://example.org/x","Ede")'
GI = "@SUM(1+1) Jeugdbescherming"
LT = "+31 Sociaal Team"
OTHER = "-2+3 Zorg"


def _rename(engine: Engine) -> None:
    with session_scope(engine) as s:
        ede = s.exec(select(Gemeente).where(Gemeente.name == "Ede")).one()
        ede.name = EDE
        s.add(ede)
        for org in s.exec(select(Organisation)):
            if org.kind == "gi":
                org.name = GI
            elif org.kind == "lokaal_team":
                org.name = LT
            elif org.kind == "zorgaanbieder":
                org.name = OTHER
            s.add(org)


def _cells(text: str) -> list[str]:
    return [c for row in csv.reader(io.StringIO(text)) for c in row]


def _no_formula(text: str) -> None:
    cells = _cells(text)
    assert cells, text
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")], text


def test_the_figures_download(bot: KetenBot, cases: dict[str, str]) -> None:  # noqa: F811
    _rename(bot.engine)
    c = client(bot)
    sign_in(c, bot, "rcp@fv.example.org")
    r = c.get("/overzicht/cijfers/gemeenten.csv?van=2026-11-01&tot=2026-11-30")
    assert r.status_code == 200
    _no_formula(r.text)
    assert "'" + EDE in _cells(r.text)


def test_report_lead_times_csv(env_db: str, engine: Engine) -> None:
    _history(engine)
    _rename(engine)
    r = runner.invoke(app, ["report", "lead-times", "--region", "food-valley", "--from",
                            "2026-11-01", "--to", "2026-11-30", "--format", "csv"])
    assert r.exit_code == 0, r.output
    _no_formula(r.output)
    assert "'" + EDE in _cells(r.output)


def test_referral_export(history: object, sample_engine: Engine) -> None:  # noqa: F811
    _rename(sample_engine)
    r = runner.invoke(app, ["referral", "export", "--format", "csv"])
    assert r.exit_code == 0, r.output
    _no_formula(r.output)
    assert "'" + EDE in _cells(r.output)


def test_escalation_export(closed: KetenBot) -> None:  # noqa: F811
    _rename(closed.engine)
    r = runner.invoke(app, ["escalation", "export", "--format", "csv"])
    assert r.exit_code == 0, r.output
    _no_formula(r.output)
    row = next(csv.DictReader(io.StringIO(r.output)))
    assert row["gemeente"] == "'" + EDE and row["organisations"].startswith("'")


def test_numbers_stay_numbers_and_plain_text_is_left_alone() -> None:
    assert csv_safe.row([-3, 2.5, None, "Ede", "K-1", "-x", "\tx"]) == [
        -3, 2.5, None, "Ede", "K-1", "'-x", "'\tx"]

"""`ketenbot escalation export`: closed Bouwsteen 6 escalations, for evaluation."""

from __future__ import annotations

import csv
import json
import sys

import typer
from sqlmodel import Session

from bot import csv_safe
from bot.cli.choices import ExportFormat
from handlers.escalations.export import FIELDS, export_rows

app = typer.Typer(help="Escalatiemodel (Bouwsteen 6): gesloten escalaties voor evaluatie.",
                  no_args_is_help=True)


@app.command("export")
def export(fmt: ExportFormat = typer.Option(ExportFormat.csv, "--format")) -> None:
    """Gesloten escalaties: situatie, bereikte treden, duur, organisaties. Geen vrije tekst."""
    from bot.startup import start_bot

    bot = start_bot()
    with Session(bot.engine) as session:
        rows = export_rows(session, bot.calendar())
    if fmt is ExportFormat.json:
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return
    writer = csv.DictWriter(sys.stdout, fieldnames=FIELDS)
    writer.writeheader()
    writer.writerows(csv_safe.record(r) for r in rows)

"""`ketenbot report ...`: the overview's figures on the command line; the digest job."""

from __future__ import annotations

import csv
import json
import sys
from datetime import date
from typing import Any

import typer
from sqlmodel import Session, select

from bot import csv_safe
from bot.cli.choices import ReportFormat
from handlers.overview.figures import Period, Scope, figures, tables

app = typer.Typer(help="Cijfers: tijd tot de juiste hulp, termijnen, escalaties.",
                  no_args_is_help=True)


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def _date(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _fail(f"{name}: geen datum (JJJJ-MM-DD): {value!r}") from None


@app.command("lead-times")
def lead_times_command(
    region: str | None = typer.Option(None, "--region", help="Regiocode, bijv. food-valley."),
    gemeente: str | None = typer.Option(None, "--gemeente", help="Naam of CBS-code."),
    from_: str | None = typer.Option(None, "--from", help="Eerste dag (JJJJ-MM-DD)."),
    to: str | None = typer.Option(None, "--to", help="Laatste dag (JJJJ-MM-DD)."),
    format_: ReportFormat = typer.Option(ReportFormat.table, "--format"),
) -> None:
    """Doorlooptijden in werkdagen (mediaan, p80), termijnen en gebruik per periode."""
    from bot.startup import start_bot
    from handlers.contacts.lookup import find_gemeente
    from storage.models import Region

    bot = start_bot()
    today = bot.clock().astimezone(bot.calendar().tz).date()
    end = _date(to, "--to") or today
    start = _date(from_, "--from") or date(end.year - 1, end.month, 1)
    if end < start:
        raise _fail("--from ligt na --to.")
    with Session(bot.engine) as session:
        region_id = gemeente_id = None
        if region:
            row = session.exec(select(Region).where(Region.code == region)).first()
            if row is None:
                raise _fail(f"Onbekende regio: {region}", 1)
            region_id = row.id
        if gemeente:
            match = find_gemeente(session, gemeente)
            if match.gemeente is None:
                raise _fail(f"Onbekende of dubbelzinnige gemeente: {gemeente}", 1)
            gemeente_id = match.gemeente.id
        data = figures(session, Scope(Period(start, end), region_id, gemeente_id),
                       bot.calendar(), bot.routes, today)
    emit(data, format_.value)


def emit(data: dict[str, Any], format_: str) -> None:
    if format_ == "json":
        json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)
        sys.stdout.write("\n")
        return
    for name, table in tables(data).items():
        if format_ == "csv":
            writer = csv.writer(sys.stdout)
            writer.writerow(csv_safe.row(["tabel", *table.columns]))
            writer.writerows(csv_safe.row([name, *row]) for row in table.rows)
            continue
        typer.echo(f"\n{name}")
        widths = [max(len(_cell(v)) for v in [c, *(r[i] for r in table.rows)])
                  for i, c in enumerate(table.columns)]
        for row in [table.columns, *table.rows]:
            typer.echo("  ".join(_cell(v).ljust(w) for v, w in zip(row, widths, strict=True)))


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)

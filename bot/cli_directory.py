"""`ketenbot directory import|export|check`: the contact directory."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from bot.startup import fail, load_settings, start_bot

app = typer.Typer(help="Contactenlijst: importeren, exporteren, controleren.",
                  no_args_is_help=True)


@app.command("import")
def directory_import(file: Path) -> None:
    """Importeer een contactenlijst (YAML of CSV). Alles of niets."""
    from storage.db import session_scope
    from storage.directory_format import load
    from storage.directory_import import import_doc

    doc = load(file)
    if doc.problems and all(p.line == 0 and p.field == "bestand" for p in doc.problems):
        # The file itself cannot be read (missing, a folder, an unknown format):
        # a wrong argument, answered like every other one.
        raise fail(f"Fout / error: {file}: " + "; ".join(p.message for p in doc.problems), 2)
    bot = start_bot()
    with session_scope(bot.engine) as session:
        result = import_doc(doc, session)
        if not result.ok:
            session.rollback()
    if not result.ok:
        for p in result.problems:
            typer.echo(str(p), err=True)
        raise fail(f"{len(result.problems)} probleem/problemen gevonden; er is niets opgeslagen.")
    if not result.created and not result.updated:
        typer.echo("Niets veranderd: de contactenlijst was al zo.")
        return
    for label, counts in (("nieuw", result.created), ("bijgewerkt", result.updated)):
        if counts:
            typer.echo(f"{label}: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))


@app.command("export")
def directory_export(output: Path | None = typer.Option(None, "--output", "-o")) -> None:
    """Exporteer de contactenlijst als YAML (zelfde formaat als de import)."""
    from sqlmodel import Session

    from storage.directory_export import dump, export_doc

    if output is not None and not output.parent.is_dir():
        raise fail(f"Fout / error: map {output.parent} bestaat niet / no such folder", 2)
    bot = start_bot()
    with Session(bot.engine) as session:
        text = dump(export_doc(session))
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


@app.command("check")
def directory_check(
    days: int | None = typer.Option(None, min=1,
                                    help="Na hoeveel dagen een vermelding verouderd is."),
) -> None:
    """Gemeenten zonder lokaal team of GI, verouderde vermeldingen, kapotte koppelgenoten."""
    from sqlmodel import Session

    from storage.directory_check import check

    settings = load_settings()
    bot = start_bot(settings)
    limit = days if days is not None else settings.stale_after_days
    with Session(bot.engine) as session:
        report = check(session, bot.clock().date(), limit)
    sections = [
        ("Gemeenten zonder lokaal-teamcontact", report.without_lokaal_team),
        ("Gemeenten zonder GI-contact", report.without_gi),
        (f"Niet gecontroleerd in {limit} dagen",
         [f"{e} ({n}), laatst: {v or 'nooit'}" for e, n, v in report.stale]),
        ("Kapotte koppelgenoot-verwijzingen",
         [f"{e}: {why}" for e, why in report.broken_koppelgenoot]),
    ]
    for title, items in sections:
        typer.echo(f"{title}: {len(items)}")
        for item in items:
            typer.echo(f"  - {item}")
    if not report.clean:
        raise typer.Exit(1)

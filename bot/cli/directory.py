"""`ketenbot directory import|export|check|history`: the contact directory."""

from __future__ import annotations

import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import typer

from bot.cli.choices import Prefer
from bot.startup import fail, load_settings, start_bot

app = typer.Typer(help="Contactenlijst: importeren, exporteren, controleren.",
                  no_args_is_help=True)

FORMATS = (".yaml", ".yml", ".csv")


@app.command("import")
def directory_import(
    file: Path,
    prefer: Prefer | None = typer.Option(
        None, "--prefer",
        help="Bij een wijziging in de chat na de datum van het bestand (as_of): file of chat."),
) -> None:
    """Importeer een contactenlijst (YAML of CSV). Alles of niets."""
    from storage.db import session_scope
    from storage.directory.importer import import_doc
    from storage.directory.read import load

    # A path that is no directory file at all is a wrong argument, answered like
    # every other one; what is wrong inside a file is reported per line below.
    why = ("bestaat niet" if not file.exists() else "is geen bestand" if not file.is_file()
           else "onbekend formaat: gebruik .yaml, .yml of .csv"
           if file.suffix.lower() not in FORMATS else None)
    if why:
        raise fail(f"Fout / error: {file}: {why}", 2)
    doc = load(file)
    bot = start_bot()
    with session_scope(bot.engine) as session:
        result = import_doc(doc, session, prefer=prefer.value if prefer else None,
                           now=bot.clock())
        if not result.ok:
            session.rollback()
    if not result.ok:
        for p in result.problems:
            typer.echo(str(p), err=True)
        for c in result.conflicts:
            typer.echo(f"conflict: {c}", err=True)
        if result.conflicts:
            raise fail(f"{len(result.conflicts)} conflict(en) met wijzigingen in de chat na de "
                       "datum van het bestand; er is niets opgeslagen. Kies met --prefer file "
                       "(het bestand wint) of --prefer chat (de chat wint).")
        raise fail(f"{len(result.problems)} probleem/problemen gevonden; er is niets opgeslagen.")
    if not result.created and not result.updated:
        typer.echo("Niets veranderd: de contactenlijst was al zo.")
        return
    for label, counts in (("nieuw", result.created), ("bijgewerkt", result.updated)):
        if counts:
            typer.echo(f"{label}: " + ", ".join(
                _counted(k, n) for k, n in sorted(counts.items(), key=lambda kn: _word(kn[0]))))


# What an operator reads, not the table names: "2 gemeenten, 1 persoon".
_WORDS = {
    "gemeente": ("gemeente", "gemeenten"),
    "organisation": ("organisatie", "organisaties"),
    "person": ("persoon", "personen"),
    "region": ("regio", "regio's"),
    "team": ("team", "teams"),
    "steunstructuur": ("steunstructuur", "steunstructuren"),
    "tafel_neighbour": ("buurtafel", "buurtafels"),
}


def _word(table: str) -> str:
    return _WORDS.get(table, (table, table))[0]


def _counted(table: str, n: int) -> str:
    one, many = _WORDS.get(table, (table, table))
    return f"{n} {one if n == 1 else many}"


@app.command("export")
def directory_export(
    output: Path | None = typer.Option(None, "--output", "-o"),
    history: bool = typer.Option(True, "--history/--no-history",
                                 help="Met de geschiedenis van alle wijzigingen."),
) -> None:
    """Exporteer de contactenlijst als YAML (zelfde formaat als de import)."""
    from sqlmodel import Session

    from storage.directory.export import dump, export_doc

    if output is not None and not output.parent.is_dir():
        raise fail(f"Fout / error: map {output.parent} bestaat niet / no such folder", 2)
    bot = start_bot()
    today = bot.clock().astimezone(bot.calendar().tz).date()
    with Session(bot.engine) as session:
        text = dump(export_doc(session, as_of=today, with_history=history))
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

    from storage.directory.gaps import check

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


def _value(v: object) -> str:
    return "—" if v in (None, "") else str(v)


@app.command("history")
def directory_history(
    key: str | None = typer.Argument(
        None, help="E-mailadres, teamsleutel (lt-ede) of regiocode (food-valley)."),
    limit: int = typer.Option(500, min=1, help="Hoogstens zoveel wijzigingen (de laatste)."),
) -> None:
    """Wie wijzigde wat, wanneer en waarvandaan (chat of import)."""
    from sqlmodel import Session

    from storage.directory.audit import history as load

    settings = load_settings()
    bot = start_bot(settings)
    zone = ZoneInfo(settings.timezone)
    with Session(bot.engine) as session:
        rows = load(session, key, limit)
    if not rows:
        typer.echo("Geen wijzigingen gevonden." if key is None
                   else f"Geen wijzigingen gevonden voor {key}.")
        return
    for c in rows:
        what = "; ".join(
            f"{k}: {_value(v[0])} → {_value(v[1])}" if isinstance(v, list) and len(v) == 2
            else f"{k}: {_value(v)}" for k, v in c.detail.items())
        typer.echo(f"{c.at.astimezone(zone):%Y-%m-%d %H:%M}  {c.subject}  {c.action}"
                   f"{'  ' + what if what else ''}  (door {c.actor} via {c.platform})")

"""`ketenbot db ...`: the schema, through Alembic's migrations (shipped in the package)."""

from __future__ import annotations

import typer

from bot.startup import load_settings
from storage import db

app = typer.Typer(help="Database: schema aanmaken, bijwerken, terugzetten, versie.",
                  no_args_is_help=True)


def _known(revision: str) -> None:
    revisions = {r for r, _, _ in db.history()}
    if revision not in revisions | {"base"} and not revision.lstrip("-").isdigit():
        typer.echo(f"Fout / error: onbekende versie {revision!r}; bekend: base, -1, "
                   + ", ".join(sorted(revisions)), err=True)
        raise typer.Exit(2)


@app.command("upgrade")
def upgrade() -> None:
    """Maak het schema aan of werk het bij tot de nieuwste versie."""
    db.upgrade(load_settings().db_url())
    typer.echo(f"Database bijgewerkt tot versie {db.head_revision()}.")


@app.command("downgrade", context_settings={"ignore_unknown_options": True})
def downgrade(revision: str = typer.Argument(
        ..., help="Doelversie (bijv. 0004), -1 voor één stap terug, base voor leeg.")) -> None:
    """Zet het schema terug (gegevens in wat wegvalt gaan verloren: maak eerst een backup)."""
    _known(revision)
    settings = load_settings()
    db.downgrade(settings.db_url(), revision)
    engine = db.make_engine(settings.db_url())
    try:
        typer.echo(f"Database teruggezet tot versie {db.current_revision(engine) or 'leeg'}.")
    finally:
        engine.dispose()


@app.command("current")
def current() -> None:
    """De versie van het schema in de database, en of die bij de code hoort."""
    engine = db.make_engine(load_settings().db_url())
    try:
        rev = db.current_revision(engine)
    finally:
        engine.dispose()
    head = db.head_revision()
    state = "actueel" if rev == head else f"achter, de code verwacht {head}"
    typer.echo(f"{rev or 'leeg'} ({state})")
    if rev != head:
        raise typer.Exit(1)


@app.command("history")
def history() -> None:
    """Alle migraties, de nieuwste eerst."""
    for rev, down, doc in db.history():
        typer.echo(f"{down or 'base'} -> {rev}  {doc}")


@app.command("check")
def check() -> None:
    """Vergelijk het schema met de modellen: faalt als er een migratie ontbreekt."""
    engine = db.make_engine(load_settings().db_url())
    try:
        db.check_schema(engine)  # behind: say so first, the differences would only repeat it
        differences = db.schema_differences(engine)
    except db.SchemaNotCurrent as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    if differences:
        typer.echo("Het schema wijkt af van de modellen / the schema differs from the models "
                   "(a migration is missing: `make revision m=...`):", err=True)
        for line in differences:
            typer.echo(f"  {line}", err=True)
        raise typer.Exit(1)
    typer.echo(f"Schema klopt met de modellen / matches the models ({db.head_revision()}).")

"""`ketenbot` command line."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from bot import cli_calendar, cli_referral, cli_telegram
from bot.app import KetenBot
from bot.config import Settings
from handlers.routes import RoutesError
from storage import db
from storage.db import SchemaNotCurrent

app = typer.Typer(help="ketenbot: samen één keten rond een verwijzing jeugdhulp.",
                  no_args_is_help=True)
db_app = typer.Typer(help="Database: schema aanmaken en bijwerken.", no_args_is_help=True)
directory_app = typer.Typer(help="Contactenlijst: importeren, exporteren, controleren.",
                            no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(directory_app, name="directory")
app.add_typer(cli_calendar.app, name="calendar")
app.add_typer(cli_referral.app, name="referral")
app.add_typer(cli_telegram.app, name="telegram")


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def start_bot(settings: Settings | None = None) -> KetenBot:
    try:
        return KetenBot.start(settings or Settings())
    except (SchemaNotCurrent, RoutesError) as exc:
        raise fail(str(exc)) from None


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Maak het schema aan of werk het bij (Alembic)."""
    url = Settings().db_url()
    db.upgrade(url)
    typer.echo(f"Database bijgewerkt tot versie {db.head_revision()}.")


@directory_app.command("import")
def directory_import(file: Path) -> None:
    """Importeer een contactenlijst (YAML of CSV). Alles of niets."""
    from storage.db import session_scope
    from storage.directory_format import load
    from storage.directory_import import import_doc

    bot = start_bot()
    doc = load(file)
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


@directory_app.command("export")
def directory_export(output: Path | None = typer.Option(None, "--output", "-o")) -> None:
    """Exporteer de contactenlijst als YAML (zelfde formaat als de import)."""
    from sqlmodel import Session

    from storage.directory_export import dump, export_doc

    bot = start_bot()
    with Session(bot.engine) as session:
        text = dump(export_doc(session))
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


@directory_app.command("check")
def directory_check(
    days: int | None = typer.Option(None, help="Na hoeveel dagen een vermelding verouderd is."),
) -> None:
    """Gemeenten zonder lokaal team of GI, verouderde vermeldingen, kapotte koppelgenoten."""
    from sqlmodel import Session

    from storage.directory_check import check

    settings = Settings()
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


@app.command("console")
def console(
    as_: str = typer.Option(..., "--as", help="E-mailadres van de persoon die u bent."),
    lang: str | None = typer.Option(None, "--lang", help="nl of en"),
) -> None:
    """Een chatsessie in de terminal; leest regels van stdin als dat geen terminal is."""
    from bot.app import system_clock
    from bot.console import ConsoleSession
    from bot.console_clock import MovableClock

    if lang not in (None, "nl", "en"):
        raise fail("--lang moet nl of en zijn.", 2)
    settings = Settings()
    clock = MovableClock(system_clock(settings.timezone)())
    try:
        bot = KetenBot.start(settings, clock=clock)
    except (SchemaNotCurrent, RoutesError) as exc:
        raise fail(str(exc)) from None
    actor = bot.person_by_email(as_)
    if actor is None:
        typer.echo(f"Let op: {as_} staat niet in de contactenlijst; alleen `wie` en `help` werken.",
                   err=True)
    session = ConsoleSession(bot, actor, lang, sys.stdout)
    session.attach_clock(clock)
    session.run(sys.stdin)


@app.command("worker")
def worker(
    once: bool = typer.Option(False, "--once", help="Eén ronde en stoppen (cron, tests)."),
) -> None:
    """Zoek verlopen termijnen (herinneringen, escalaties) en bezorg de outbox."""
    import logging

    from bot.worker_run import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = Settings()
    run_worker(start_bot(settings), settings, once)


@app.command("serve")
def serve() -> None:
    """Het webproces: Slack-endpoints, Telegram-webhook en /healthz."""
    import uvicorn

    from bot.serve import build_web_app

    settings = Settings()
    bot = start_bot(settings)
    # On SIGTERM: requests under way get 3 s, then the transports drain (2.5 s each):
    # stopped well within the 10 s a platform allows.
    uvicorn.run(build_web_app(bot), host=settings.host, port=settings.port,
                log_level="info", access_log=False, timeout_graceful_shutdown=3)


@app.command("link-code")
def link_code(email: str) -> None:
    """Maak een eenmalige koppelcode (24 uur geldig) voor een persoon in de lijst."""
    from handlers.linking import CODE_TTL, new_code

    bot = start_bot()
    person = bot.person_by_email(email)
    if person is None or person.id is None:
        raise fail(f"{email} staat niet in de contactenlijst.", 1)
    code = new_code(bot.engine, person.id, bot.clock())
    hours = int(CODE_TTL.total_seconds() // 3600)
    typer.echo(f"Koppelcode voor {person.name}: {code} (één keer bruikbaar, {hours} uur geldig)")


@app.command("demo")
def demo(lang: str = typer.Option("nl", "--lang")) -> None:
    """Speel een korte demo af op een verse, tijdelijke database."""
    from bot.demo import run_demo

    if lang not in ("nl", "en"):
        raise fail("--lang moet nl of en zijn.", 2)
    run_demo(sys.stdout, lang=lang)


def main() -> None:
    app()


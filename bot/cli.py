"""`ketenbot` command line."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from bot import (
    cli_calendar,
    cli_directory,
    cli_escalation,
    cli_referral,
    cli_report,
    cli_telegram,
)
from bot.app import KetenBot
from bot.config import Settings
from scheduling.routes import RoutesError
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
app.add_typer(cli_escalation.app, name="escalation")
cli_directory.register(directory_app)
app.add_typer(cli_report.app, name="report")


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
def directory_import(
    file: Path,
    prefer: str | None = typer.Option(
        None, "--prefer",
        help="Bij een wijziging in de chat na de datum van het bestand (as_of): file of chat."),
) -> None:
    """Importeer een contactenlijst (YAML of CSV). Alles of niets."""
    from storage.db import session_scope
    from storage.directory_import import import_doc
    from storage.directory_read import load

    if prefer not in (None, "file", "chat"):
        raise fail("--prefer moet file of chat zijn.", 2)
    bot = start_bot()
    doc = load(file)
    with session_scope(bot.engine) as session:
        result = import_doc(doc, session, prefer=prefer, now=bot.clock())
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
            typer.echo(f"{label}: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))


@directory_app.command("export")
def directory_export(
    output: Path | None = typer.Option(None, "--output", "-o"),
    history: bool = typer.Option(True, "--history/--no-history",
                                 help="Met de geschiedenis van alle wijzigingen."),
) -> None:
    """Exporteer de contactenlijst als YAML (zelfde formaat als de import)."""
    from sqlmodel import Session

    from storage.directory_export import dump, export_doc

    bot = start_bot()
    today = bot.clock().astimezone(bot.calendar().tz).date()
    with Session(bot.engine) as session:
        text = dump(export_doc(session, as_of=today, with_history=history))
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
    import signal
    import threading

    from scheduling.dispatch import Sender
    from scheduling.worker import build_scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = Settings()
    bot = start_bot(settings)
    from bot.transports import build_senders

    # Without any configured platform, messages stay queued in the outbox:
    # nothing is lost, they leave once a transport is set up.
    senders: list[Sender] = build_senders(bot)

    def tick() -> None:
        result = bot.tick(senders)
        if result.reminders or result.escalations or result.sent:
            logging.getLogger("ketenbot.worker").info(
                "herinneringen=%d escalaties=%d bezorgd=%d wachtend=%d",
                result.reminders, result.escalations, result.sent, result.waiting)

    if once:
        tick()
        return
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    scheduler = build_scheduler(tick, settings.sweep_interval_seconds)
    cli_report.add_digests(scheduler, bot)
    scheduler.start()
    stop.wait()
    scheduler.shutdown()


@app.command("serve")
def serve() -> None:
    """Het webproces: Slack-endpoints, Telegram-webhook en /healthz."""
    import uvicorn

    from bot.serve import build_web_app

    settings = Settings()
    bot = start_bot(settings)
    uvicorn.run(build_web_app(bot), host=settings.host, port=settings.port,
                log_level="info", access_log=False)


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


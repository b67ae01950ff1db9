"""`ketenbot` command line: registers the commands and turns every expected
failure into one readable line and an exit status.

Exit status: 0 done, 1 the work could not be done (a problem in the data, a
database that is down or not migrated), 2 the command was called wrongly (a
bad argument, path or setting).
"""

from __future__ import annotations

import logging
import os
import sys

import typer
from sqlalchemy.exc import DBAPIError

from bot.cli import calendar as cli_calendar
from bot.cli import config_check as cli_config
from bot.cli import db as cli_db
from bot.cli import directory as cli_directory
from bot.cli import escalation as cli_escalation
from bot.cli import referral as cli_referral
from bot.cli import report as cli_report
from bot.cli import retention as cli_retention
from bot.cli import run as cli_run
from bot.cli import teams as cli_teams
from bot.cli import telegram as cli_telegram
from bot.cli.choices import Lang
from bot.config import Settings
from bot.logs import ensure_logging
from bot.startup import (
    ConfigError,
    configure_logging,
    fail,
    load_settings,
    package_version,
    start_bot,
)

__all__ = ["app", "fail", "main", "start_bot"]  # start_bot: for command modules written earlier

log = logging.getLogger("ketenbot.cli")

# No pretty exceptions: an unexpected error goes through `run`'s one
# log.exception, so the log format (JSON) and the secret filter see it.
app = typer.Typer(help="ketenbot: samen één keten rond een verwijzing jeugdhulp.",
                  no_args_is_help=True, pretty_exceptions_enable=False)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"ketenbot {package_version()}")
        raise typer.Exit(0)


@app.callback()
def _root(show_version: bool = typer.Option(
        False, "--version", callback=_show_version, is_eager=True,
        help="Toon de versie en stop / show the version.")) -> None:
    """ketenbot: samen één keten rond een verwijzing jeugdhulp."""
app.add_typer(cli_db.app, name="db")
app.add_typer(cli_directory.app, name="directory")
app.add_typer(cli_calendar.app, name="calendar")
app.add_typer(cli_referral.app, name="referral")
app.add_typer(cli_telegram.app, name="telegram")
app.add_typer(cli_teams.app, name="teams")
app.add_typer(cli_escalation.app, name="escalation")
app.add_typer(cli_report.app, name="report")
app.add_typer(cli_config.app, name="config")
app.add_typer(cli_retention.app, name="retention")
app.command("serve")(cli_run.serve)
app.command("worker")(cli_run.worker)


@app.command("console")
def console(
    as_: str = typer.Option(..., "--as", help="E-mailadres van de persoon die u bent."),
    lang: Lang | None = typer.Option(None, "--lang"),
) -> None:
    """Een chatsessie in de terminal; leest regels van stdin als dat geen terminal is."""
    from bot.app import system_clock
    from bot.console import ConsoleSession
    from bot.console_clock import MovableClock

    settings: Settings = load_settings()
    clock = MovableClock(system_clock(settings.timezone)())
    bot = start_bot(settings, clock=clock)
    actor = bot.person_by_email(as_)
    session = ConsoleSession(bot, actor, lang.value if lang else None, sys.stdout)
    if actor is None:
        typer.echo(session.text("not_in_directory", email=as_), err=True)
    session.attach_clock(clock)
    session.run(sys.stdin)


@app.command("link-code")
def link_code(email: str) -> None:
    """Maak een eenmalige koppelcode (24 uur geldig) voor een persoon in de lijst."""
    from handlers.accounts.linking import CODE_TTL, new_code

    bot = start_bot()
    person = bot.person_by_email(email)
    if person is None or person.id is None:
        raise fail(f"{email} staat niet in de contactenlijst.", 1)
    code = new_code(bot.engine, person.id, bot.clock())
    hours = int(CODE_TTL.total_seconds() // 3600)
    typer.echo(f"Koppelcode voor {person.name}: {code} (één keer bruikbaar, {hours} uur geldig)")


@app.command("unlink")
def unlink(
    email: str,
    platform: str | None = typer.Option(None, "--platform", help="slack of telegram; "
                                        "zonder: alle accounts, ook web en open codes"),
) -> None:
    """Ontkoppel de chataccounts van een persoon en beëindig diens aanmeldingen op het web."""
    from handlers.accounts.linking import PLATFORMS
    from handlers.accounts.linking import unlink as unlink_person

    if platform is not None and platform not in PLATFORMS:
        raise fail(f"--platform moet {' of '.join(PLATFORMS)} zijn.", 2)
    bot = start_bot()
    person = bot.person_by_email(email)
    if person is None or person.id is None:
        raise fail(f"{email} staat niet in de contactenlijst.", 1)
    gone = unlink_person(bot.engine, person.id, platform)
    what = ", ".join(gone) if gone else "geen account"
    typer.echo(f"Ontkoppeld voor {person.name}: {what}; aanmeldingen op het web beëindigd.")


@app.command("demo")
def demo(lang: Lang = typer.Option(Lang.nl, "--lang")) -> None:
    """Speel een korte demo af op een verse, tijdelijke database."""
    from bot.demo import run_demo

    run_demo(sys.stdout, lang=lang.value)


INTERACTIVE = ("console", "demo")


def run(argv: list[str] | None = None) -> int:
    """Run one command; returns its exit status (what `main` exits with)."""
    args = sys.argv[1:] if argv is None else argv
    try:
        if not any(a in ("--help", "-h", "--version") for a in args) and args:
            # Every command checks the settings first: a wrong one is a
            # wrong call, whatever the command.
            settings = load_settings()
            if args[0] in INTERACTIVE and "KETENBOT_LOG_LEVEL" not in os.environ:
                # The session itself is the output; operator lines would interleave it.
                settings.log_level = "WARNING"
            configure_logging(settings)
        result = app(args=args, prog_name="ketenbot", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except ConfigError as exc:
        for line in exc.lines:
            typer.echo(line, err=True)
        return 2
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("Afgebroken / aborted.", err=True)
        return 130
    except typer.TyperException as exc:  # click's errors, as Typer ships them
        return _usage(exc)
    except DBAPIError as exc:
        from bot.config import mask_url
        from bot.logs import Redact

        settings = load_settings()
        reason = Redact(settings.secrets()).clean(str(exc.orig or exc).strip().splitlines()[0])
        typer.echo(f"Database niet bereikbaar / database error: {mask_url(settings.db_url())}: "
                   f"{reason}", err=True)
        return 1
    except OSError as exc:  # a path that cannot be read or written
        typer.echo(f"Fout / error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "),
                   err=True)
        return 2
    except Exception:
        # Anything else is a bug: one log record with the traceback, through the
        # same handler, format and secret filter as every other line.
        ensure_logging()
        log.exception("command failed unexpectedly", extra={"command": " ".join(args[:2])})
        return 1


def _usage(exc: typer.TyperException) -> int:
    """A wrong call: one line, status 2 (click's own exit code for usage errors)."""
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    code = int(getattr(exc, "exit_code", 1))
    if not message:  # no_args_is_help: the help was shown, and that is the answer
        return 0
    ctx = getattr(exc, "ctx", None)
    where = f" ({ctx.command_path})" if ctx is not None and code == 2 else ""
    typer.echo(f"Fout / error{where}: {message}", err=True)
    return code


def main() -> None:
    sys.exit(run())

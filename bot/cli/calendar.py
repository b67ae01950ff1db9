"""`ketenbot calendar ...`: working-day arithmetic from the command line."""

from __future__ import annotations

from datetime import date

import typer

from bot.startup import load_settings
from scheduling.calendar import WEEKDAY_ABBR, parse_term

app = typer.Typer(
    name="calendar",
    help="Werkdagen volgens de Algemene termijnenwet: termijnen en feestdagen.",
    no_args_is_help=True,
)


def _fail(message: str) -> typer.Exit:
    # Exit code 2 matches click's own usage errors, so scripts see one code
    # for "you typed it wrong".
    typer.echo(f"Fout / error: {message}", err=True)
    return typer.Exit(code=2)


# ignore_unknown_options lets "-3" reach parse_term (which explains why it is
# wrong) instead of click rejecting it as an unknown option.
@app.command("add", context_settings={"ignore_unknown_options": True})
def add(
    start: str = typer.Argument(..., help="Dag van de gebeurtenis (telt niet mee), YYYY-MM-DD."),
    term: str = typer.Argument(..., help="Termijn: '3' of '3wd' = werkdagen, '2w' = weken."),
) -> None:
    """Print the last day of TERM counted from START."""
    try:
        day = date.fromisoformat(start)
    except ValueError:
        raise _fail(
            f"ongeldige datum {start!r}, gebruik YYYY-MM-DD / "
            f"invalid date {start!r}, use YYYY-MM-DD"
        ) from None
    try:
        parsed = parse_term(term)
        # The organisation's closed days count, as they do for the worker.
        due = load_settings().work_calendar().due_date(day, parsed)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    typer.echo(due.isoformat())


@app.command("holidays")
def list_holidays(year: int = typer.Argument(..., help="Jaar, bijv. 2026.")) -> None:
    """List the non-working weekdays (feestdagen) of YEAR."""
    try:
        days = load_settings().work_calendar().non_working_weekdays(year)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    for d, name in days:
        typer.echo(f"{d.isoformat()}  {WEEKDAY_ABBR[d.weekday()]}  {name}")

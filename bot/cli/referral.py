"""`ketenbot referral show|export`: a referral's timeline, and lead times for all."""

from __future__ import annotations

import csv
import json
import sys

import typer
from sqlmodel import Session, select

from bot import csv_safe
from bot.cli.choices import ExportFormat
from bot.startup import start_bot
from handlers.referrals.guard import REF_RE
from handlers.referrals.report import current_due, export_rows, lead_times, timeline
from handlers.referrals.view import step_number
from messages.labels import LABELS, format_due, last_day
from storage.tables import Referral

EVENTS = LABELS["nl"]["event"]
STATUS_NL = {"open": "open", "closed": "afgerond (zorg gestart)", "withdrawn": "ingetrokken"}

app = typer.Typer(help="Verwijzingen: tijdlijn en doorlooptijden.", no_args_is_help=True)


@app.command("show")
def show(ref: str) -> None:
    """De volledige geschiedenis van één verwijzing: wie, wat, wanneer, waar."""
    m = REF_RE.match(ref.strip())
    if not m:
        typer.echo(f"Ongeldig kenmerk {ref!r}: gebruik bijv. KB-0001 (of JT-0004, OV-0005).",
                   err=True)
        raise typer.Exit(2)
    bot = start_bot()
    with Session(bot.engine) as session:
        referral = session.exec(select(Referral).where(Referral.id == int(m.group(2)))).first()
        if referral is not None and m.group(1) and \
                referral.route not in bot.routes.by_prefix(m.group(1)):
            referral = None  # KB-0004 names no tafel case JT-0004
        if referral is None:
            typer.echo(f"Verwijzing {ref} bestaat niet.", err=True)
            raise typer.Exit(1)
        route = bot.routes.route(referral.route)
        step = next((st for st in route.steps if st.key == referral.step), None)
        due = current_due(session, referral)
        where = f"stap {step.number}: {step.title.nl}" if step else "stap ?"
        kind = (f"{referral.route}-route" if route.kind == "verwijzing" else route.name.nl)
        typer.echo(f"{referral.ref} · {kind} · kenmerk {referral.kenmerk} · "
                   f"{STATUS_NL.get(referral.status, referral.status)} · {where}"
                   + (f" · uiterlijk {format_due(due, 'nl')}" if due else ""))
        for e in timeline(session, referral):
            number = step_number(route, e["step"])
            detail = ", ".join(f"{k}={v}" for k, v in e["detail"].items() if k != "number")
            label = EVENTS.get(e["action"], e["action"])
            typer.echo(f"  {e['at']}  {label:<45} stap {number or '-':<4} "
                       f"{e['who']} ({e['platform']}){'  ' + detail if detail else ''}")
        typer.echo("Doorlooptijden:")
        for s in lead_times(session, referral, bot.calendar(), bot.clock()):
            typer.echo(f"  stap {s['number'] or s['step']:<4} {s['werkdagen']} werkdagen "
                       f"({s['uren']} uur){' — loopt nog' if s['open'] else ''}")


@app.command("export")
def export(fmt: ExportFormat = typer.Option(ExportFormat.csv, "--format")) -> None:
    """Alle verwijzingen met doorlooptijden per stap, als CSV (één rij per stap) of JSON."""
    bot = start_bot()
    with Session(bot.engine) as session:
        rows = export_rows(session, bot.calendar(), bot.clock())
    for r in rows:  # the open step's last day, as chat and the overview show it
        due = r.pop("due_at")
        for s in r["steps"]:
            s["last_day"] = last_day(due).isoformat() if due and s["open"] else None
    if fmt is ExportFormat.json:
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return
    fields = ["ref", "route", "kenmerk", "gemeente", "status", "created_at", "closed_at",
              "step", "number", "entered", "left", "werkdagen", "uren", "last_day"]
    writer = csv.DictWriter(sys.stdout, fieldnames=fields)
    writer.writeheader()
    for r in rows:
        base = {k: r[k] for k in fields[:7]}
        for s in r["steps"]:
            writer.writerow(csv_safe.record(base | {k: s[k] for k in fields[7:-1]}
                                            | {"last_day": s["last_day"]}))

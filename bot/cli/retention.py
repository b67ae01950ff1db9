"""`ketenbot retention run [--dry-run]`: apply the retention terms now."""

from __future__ import annotations

import typer

app = typer.Typer(help="Bewaartermijnen (AVG): wat na zijn termijn verdwijnt.",
                  no_args_is_help=True)


@app.command("run")
def run(dry_run: bool = typer.Option(
        False, "--dry-run", help="Alleen tonen wat zou verdwijnen; niets wijzigen.")) -> None:
    """Leeg berichten, anonimiseer gesloten verwijzingen en escalaties, ruim oude rijen op."""
    from bot.startup import start_bot
    from storage.retention import region_terms, run_retention

    bot = start_bot()
    terms = bot.settings.retention_terms()
    report = run_retention(bot.engine, bot.clock(), terms, dry_run=dry_run)
    typer.echo(f"{'Zou verdwijnen' if dry_run else 'Verwijderd of geleegd'} "
               f"(berichten na {terms.outbox_keep_days} dagen, gesloten zaken na "
               f"{terms.retention_days} dagen):")
    own = {name: days for name, days in region_terms(bot.engine, terms.retention_days).items()
           if days != terms.retention_days}
    if own:
        typer.echo("  eigen termijn per regio: "
                   + ", ".join(f"{name} {days} dagen" for name, days in own.items()))
    for what, n in report.counts.items():
        typer.echo(f"  {what}: {n}")
    typer.echo(f"  totaal: {report.total}")

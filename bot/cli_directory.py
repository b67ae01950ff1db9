"""`ketenbot directory history [EMAIL|TEAM]`: the contact list's audit trail."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import typer


def _value(v: object) -> str:
    return "—" if v in (None, "") else str(v)


def register(directory_app: typer.Typer) -> None:
    @directory_app.command("history")
    def history(
        key: str | None = typer.Argument(None, help="E-mailadres of teamsleutel (lt-ede)."),
        limit: int = typer.Option(500, help="Hoogstens zoveel wijzigingen (de laatste)."),
    ) -> None:
        """Wie wijzigde wat, wanneer en waarvandaan (chat of import)."""
        from sqlmodel import Session

        from bot.cli import start_bot
        from bot.config import Settings
        from storage.directory_audit import history as load

        settings = Settings()
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

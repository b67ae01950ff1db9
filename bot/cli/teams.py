"""`ketenbot teams manifest`: the Teams app package to upload (bot/teams/manifest.py)."""

from __future__ import annotations

from pathlib import Path

import typer

from bot.startup import fail, package_version

app = typer.Typer(help="Microsoft Teams: het app-pakket voor het Teams-beheercentrum.",
                  no_args_is_help=True)


@app.command("manifest")
def manifest(
    app_id: str = typer.Option(..., "--app-id", help="Application (client) ID van de "
                               "app-registratie in Entra ID (een GUID)."),
    host: str = typer.Option(..., "--host", help="Publieke hostnaam van `ketenbot serve`, "
                             "zonder https://, bijv. ketenbot.example.org."),
    out: Path = typer.Option(Path("ketenbot-teams.zip"), "--out", "-o",
                             help="Waar het zip-bestand komt."),
) -> None:
    """Schrijf het app-pakket (manifest.json, Engelse vertaling, twee iconen) als zip."""
    from bot.teams.manifest import ManifestError, package
    from handlers.registry import build_registry

    try:
        data = package(build_registry(), app_id, host, package_version())
    except ManifestError as exc:
        raise fail(f"Fout / error: {exc}", 2) from None
    if out.is_dir():
        raise fail(f"Fout / error: --out {out} is een map / is a directory; geef een "
                   "bestandsnaam / give a file name.", 2)
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise fail(f"Fout / error: kan {out} niet schrijven / cannot write it: "
                   f"{exc.strerror}.", 2) from None
    typer.echo(f"Teams-app-pakket geschreven / written: {out} ({len(data)} bytes). Upload het "
               "in het Teams-beheercentrum (Teams apps → Manage apps → Upload).")

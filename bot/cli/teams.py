"""`ketenbot teams manifest`: the Teams app package to upload (bot/teams/manifest.py)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import typer

from bot.startup import fail, load_settings, package_version

app = typer.Typer(help="Microsoft Teams: het app-pakket voor het Teams-beheercentrum.",
                  no_args_is_help=True)


@app.command("manifest")
def manifest(
    app_id: str | None = typer.Option(None, "--app-id", help="Application (client) ID van de "
                                      "app-registratie in Entra ID (een GUID); standaard "
                                      "KETENBOT_TEAMS_APP_ID."),
    host: str | None = typer.Option(None, "--host", help="Publieke hostnaam van `ketenbot "
                                    "serve`, zonder https://, bijv. ketenbot.example.org; "
                                    "standaard die van KETENBOT_WEB_BASE_URL (https)."),
    out: Path = typer.Option(Path("ketenbot-teams.zip"), "--out", "-o",
                             help="Waar het zip-bestand komt."),
) -> None:
    """Schrijf het app-pakket (manifest.json, Engelse vertaling, twee iconen) als zip."""
    from bot.teams.manifest import ManifestError, package
    from handlers.registry import build_registry

    settings = load_settings()
    app_id = app_id or settings.teams_app_id
    if not app_id:
        raise fail("Fout / error: geef --app-id of zet KETENBOT_TEAMS_APP_ID / give --app-id "
                   "or set KETENBOT_TEAMS_APP_ID.", 2)
    base = urlsplit(settings.web_base_url)
    host = host or (base.netloc if base.scheme == "https" else None)
    if not host:
        raise fail("Fout / error: geef --host of zet KETENBOT_WEB_BASE_URL op een https-adres / "
                   "give --host or set KETENBOT_WEB_BASE_URL to an https address.", 2)
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

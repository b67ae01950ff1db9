"""`ketenbot config check`: the effective settings, secrets masked, and what
each chat platform still needs."""

from __future__ import annotations

import typer

from bot.config import SECRET_FIELDS, Settings, env_name, mask_url
from bot.startup import load_settings

app = typer.Typer(help="Instellingen: controleren en tonen.", no_args_is_help=True)


def _shown(settings: Settings, field: str) -> str:
    value = getattr(settings, field)
    if field in SECRET_FIELDS:
        return "(gezet / set, verborgen)" if value else "(niet gezet / not set)"
    if field == "database_url":
        return mask_url(settings.db_url()) if value else (
            f"(niet gezet: SQLite in {settings.data_dir / 'ketenbot.sqlite'})")
    if value is None:
        return "(niet gezet / not set)"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "(geen / none)"
    return str(value)


def missing(settings: Settings) -> dict[str, list[str]]:
    """Per platform, the variables it still lacks ([] = ready)."""
    slack = [env_name(f) for f in ("slack_bot_token", "slack_signing_secret")
             if not getattr(settings, f)]
    telegram = [] if settings.telegram_bot_token else [env_name("telegram_bot_token")]
    teams = [env_name(f) for f in ("teams_app_id", "teams_app_password", "teams_tenant_ids")
             if not getattr(settings, f)]
    return {"Slack": slack, "Telegram": telegram, "Teams": teams}


@app.command("check")
def check() -> None:
    """Toon de instellingen (geheimen verborgen) en wat er voor Slack/Telegram/Teams ontbreekt."""
    settings = load_settings()
    for field in Settings.model_fields:
        typer.echo(f"{env_name(field):<40} {_shown(settings, field)}")
    typer.echo("")
    for platform, lacks in missing(settings).items():
        if lacks:
            typer.echo(f"{platform}: uit / off — ontbreekt / missing: {', '.join(lacks)}")
        elif platform == "Telegram":
            mode = ("webhook via `ketenbot serve`" if settings.telegram_webhook_secret
                    else "polling via `ketenbot telegram poll` (zonder "
                         f"{env_name('telegram_webhook_secret')})")
            typer.echo(f"{platform}: aan / on — {mode}")
        elif platform == "Teams":
            mode = ("POST /api/messages via `ketenbot serve` (Azure Bot: messaging endpoint "
                    f"{settings.web_base_url}/api/messages)")
            typer.echo(f"{platform}: aan / on — {mode}")
            if not settings.teams_service_host_check:
                typer.echo(f"{platform}: {env_name('teams_service_host_check')}=false — "
                           "alleen voor tests / tests only: any serviceUrl is answered")
        else:
            mode = "Socket Mode" if settings.slack_app_token else "HTTP via `ketenbot serve`"
            typer.echo(f"{platform}: aan / on — {mode}")
    if settings.web_secret:
        typer.echo(f"Web: {settings.web_base_url}/overzicht/")
    else:
        typer.echo(f"Web: {settings.web_base_url}/overzicht/ — {env_name('web_secret')} "
                   "niet gezet / not set: sessions end at a restart, one process only")

"""`ketenbot telegram ...`: polling mode, and webhook registration."""

from __future__ import annotations

import asyncio

import typer

from bot.app import KetenBot
from bot.startup import fail, load_settings, start_bot

app = typer.Typer(help="Telegram: polling, webhook instellen of verwijderen.",
                  no_args_is_help=True)
UPDATES = ["message", "callback_query"]


def _bot() -> KetenBot:
    settings = load_settings()
    if not settings.telegram_bot_token:
        # A missing setting: the same status as a wrong one.
        raise fail("KETENBOT_TELEGRAM_BOT_TOKEN is niet gezet / not set.", 2)
    return start_bot(settings)


@app.command("poll")
def poll() -> None:
    """Haal updates op bij Telegram (kleine opstelling, zonder webhook en zonder `serve`)."""
    from bot.telegram.app import build_application

    bot = _bot()
    application = build_application(bot, polling=True)
    typer.echo("Telegram: polling gestart (Ctrl-C stopt). Een ingestelde webhook wordt verwijderd.")
    application.run_polling(allowed_updates=UPDATES)


@app.command("set-webhook")
def set_webhook(url: str = typer.Argument(..., help="Publieke basis-URL, bijv. "
                                          "https://ketenbot.example.org")) -> None:
    """Registreer <url>/telegram/webhook met het geheim, en het commandomenu."""
    from telegram import Bot

    from bot.telegram.commands import bot_commands
    from bot.telegram.text import file_url
    from bot.telegram.web import PATH

    bot = _bot()
    s = bot.settings
    if not s.telegram_webhook_secret:
        raise fail("KETENBOT_TELEGRAM_WEBHOOK_SECRET is niet gezet / not set.", 2)
    if not url.startswith("https://") and not url.startswith("http://"):
        raise fail(f"Fout / error: {url!r} is geen URL; bijv. https://ketenbot.example.org", 2)
    target = url.rstrip("/") + PATH

    async def go() -> None:
        assert s.telegram_bot_token
        async with Bot(s.reveal("telegram_bot_token") or "", base_url=s.telegram_api_url,
                       base_file_url=file_url(s.telegram_api_url)) as api:
            await api.set_webhook(target, secret_token=s.reveal("telegram_webhook_secret"),
                                  allowed_updates=UPDATES)
            await api.set_my_commands(bot_commands(bot, "nl"))
            await api.set_my_commands(bot_commands(bot, "en"), language_code="en")

    asyncio.run(go())
    typer.echo(f"Webhook ingesteld: {target}")


@app.command("delete-webhook")
def delete_webhook() -> None:
    """Verwijder de webhook (bijv. om over te stappen op `ketenbot telegram poll`)."""
    from telegram import Bot

    from bot.telegram.text import file_url

    s = _bot().settings
    assert s.telegram_bot_token

    async def go() -> None:
        assert s.telegram_bot_token
        async with Bot(s.reveal("telegram_bot_token") or "", base_url=s.telegram_api_url,
                       base_file_url=file_url(s.telegram_api_url)) as api:
            await api.delete_webhook()

    asyncio.run(go())
    typer.echo("Webhook verwijderd.")

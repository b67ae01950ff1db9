"""The Telegram command table: which registry word each `/command` is, and the
menu `ketenbot telegram set-webhook` gives Telegram (setMyCommands).

Every registry command is a Telegram command (`/wie Ede` is `wie Ede`), as far
as Telegram allows its name; commands cannot start with a digit, so
`/bericht301 KB-0001` is `301 KB-0001`.
"""

from __future__ import annotations

from telegram import BotCommand

from bot.app import KetenBot

ALIASES = {"bericht301": "301", "bericht315": "315"}


def command_words(bot: KetenBot) -> dict[str, str]:
    """Telegram command -> registry word, for every registry word Telegram allows."""
    words = {w: w for c in bot.registry.commands for w in (c.name, *c.aliases)
             if w.isascii() and w[:1].isalpha() and w.replace("_", "").isalnum()}
    return words | ALIASES


def bot_commands(bot: KetenBot, lang: str = "nl") -> list[BotCommand]:
    """The command menu (setMyCommands): one entry per command, in its main name."""
    out = [BotCommand("start", "koppel uw account: /start CODE" if lang == "nl"
                      else "link your account: /start CODE")]
    for c in bot.registry.commands:
        name = next((t for t, w in ALIASES.items() if w == c.name), c.name)
        if name in command_words(bot):
            out.append(BotCommand(name, (c.nl if lang == "nl" else c.en)[:256]))
    return out

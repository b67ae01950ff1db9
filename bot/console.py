"""The console transport: a chat session in the terminal.

It speaks the same commands and renders the same templates as the chat
platforms. With standard input not a terminal it reads one command per line
and exits at end of input, so sessions can be scripted.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

from bot.app import KetenBot
from bot.console_clock import ConsoleSender, MovableClock, clock_command
from handlers.core import Refused
from handlers.incoming import clean_message
from messages import Renderer
from scheduling.delivery.contract import Sender
from storage.models import Person

PROMPT = "> "
# The console's own commands, listed under `help` here (not on other platforms).
CONSOLE_COMMANDS = [
    {"usage": ":als <e-mail>", "usage_en": ":als <e-mail>",
     "nl": "ga verder als iemand anders", "en": "continue as someone else"},
    {"usage": ":via console|slack|telegram", "usage_en": ":via console|slack|telegram",
     "nl": "typ alsof het via dat platform gaat", "en": "type as if on that platform"},
    {"usage": ":klok JJJJ-MM-DD [UU:MM]", "usage_en": ":klok YYYY-MM-DD [HH:MM]",
     "nl": "zet de klok vooruit; wat onderweg afloopt gebeurt, elk bericht wordt getoond",
     "en": "move the clock forward; what falls due on the way happens, every message is shown"},
    {"usage": ":help", "usage_en": ":help", "nl": "deze uitleg", "en": "this help"},
]


class ConsoleSession:
    def __init__(
        self, bot: KetenBot, actor: Person | None, lang: str | None, out: TextIO
    ) -> None:
        self.bot = bot
        self.actor = actor
        self.lang = lang
        self.out = out
        self.renderer = Renderer("text")
        # Console-only commands: switch person, and move the clock (see attach_clock).
        self.meta: dict[str, Callable[[str], str]] = {
            ":als": self.switch, ":via": self.via, ":help": lambda _: self.handle("help")}
        self.platform = "console"

    def via(self, platform: str) -> str:
        """`:via slack|telegram|console`: act as if typing on that platform
        (the history records where each action came from)."""
        if platform not in ("console", "slack", "telegram"):
            return "Usage: :via console|slack|telegram" if self.lang == "en" \
                else "Gebruik: :via console|slack|telegram"
        self.platform = platform
        return (f"# you now type via {platform}" if self.lang == "en"
                else f"# u typt nu via {platform}")

    def switch(self, email: str) -> str:
        """`:als EMAIL`: continue as someone else (scripted multi-party sessions)."""
        if not email:
            return "Usage: :als <e-mail>" if self.lang == "en" else "Gebruik: :als <e-mail>"
        person = self.bot.person_by_email(email)
        if person is None:
            return (f"{email} is not in the contact list." if self.lang == "en"
                    else f"{email} staat niet in de contactenlijst.")
        self.actor = person
        return (f"# you are now {person.name} ({person.email})" if self.lang == "en"
                else f"# u bent nu {person.name} ({person.email})")

    def attach_clock(self, clock: MovableClock, platforms: tuple[str, ...] = ("console",)) -> None:
        """`:klok`, delivering through printing stand-ins for `platforms`."""
        senders: list[Sender] = [ConsoleSender(self.out, clock, self.lang or "nl", p)
                                 for p in platforms]
        self.meta[":klok"] = clock_command(self.bot, clock, senders, self.lang or "nl")

    def handle(self, line: str) -> str:
        try:  # `:als` looks people up: it gets the registry's normalisation too
            line = clean_message(line).strip()
        except Refused as refused:
            return self.renderer.render(refused.reply, self.lang or "nl")
        if not line:
            return ""
        word, _, rest = line.partition(" ")
        if word in self.meta:
            return self.meta[word](rest.strip())
        ctx = self.bot.context(self.platform, self.actor, self.lang)
        reply = self.bot.registry.dispatch(ctx, line)
        if reply.template == "help":
            reply.data["console"] = CONSOLE_COMMANDS
        return self.renderer.render(reply, ctx.lang)

    def text(self, key: str, **values: str) -> str:
        """The console's own lines (start-up, banner), in the session's language."""
        lang = self.lang or self.bot.settings.language
        lang = lang if lang in CONSOLE_TEXT else "nl"
        return CONSOLE_TEXT[lang][key].format(**values)

    def run(self, stdin: TextIO = sys.stdin, echo: bool = False) -> None:
        interactive = stdin.isatty()
        if interactive:
            who = self.actor.name if self.actor else self.text("unlinked")
            self.out.write(self.text("banner", who=who) + "\n")
        while True:
            if interactive:
                self.out.write(PROMPT)
                self.out.flush()
            line = stdin.readline()
            if not line:
                break
            if echo:
                self.out.write(f"{PROMPT}{line.rstrip()}\n")
            reply = self.handle(line)
            if reply:
                self.out.write(reply + "\n\n")
                self.out.flush()


# The console's own lines; what commands answer comes from the templates.
CONSOLE_TEXT = {
    "nl": {
        "banner": "ketenbot console — u bent {who}. Typ `help`, stop met Ctrl-D.",
        "unlinked": "niet gekoppeld",
        "not_in_directory": "Let op: {email} staat niet in de contactenlijst; "
                            "alleen `wie` en `help` werken.",
    },
    "en": {
        "banner": "ketenbot console — you are {who}. Type `help`, stop with Ctrl-D.",
        "unlinked": "not linked",
        "not_in_directory": "Note: {email} is not in the contact directory; "
                            "only `who` and `help` work.",
    },
}

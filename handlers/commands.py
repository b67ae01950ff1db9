"""The command table: text in, `Reply` out, the same on every platform."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from handlers.core import Context, Refused, Reply, error
from handlers.incoming import clean_message
from storage.privacy import contains_bsn

Handler = Callable[[Context, str], Reply]


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    usage: str
    nl: str
    en: str
    aliases: tuple[str, ...] = ()
    # Unlinked users may look things up and ask for help, nothing else.
    needs_person: bool = True


class Registry:
    def __init__(self) -> None:
        self._by_word: dict[str, Command] = {}
        self.commands: list[Command] = []

    def add(self, command: Command) -> None:
        for word in (command.name, *command.aliases):
            if word in self._by_word:
                raise ValueError(f"command word {word!r} registered twice")
            self._by_word[word] = command
        self.commands.append(command)

    def find(self, word: str) -> Command | None:
        return self._by_word.get(word.casefold().lstrip("/"))

    def dispatch(self, ctx: Context, text: str) -> Reply:
        # One normalisation, then the guard, before anything else looks at the
        # text: a BSN is never parsed, stored or logged, however it is written.
        try:
            text = clean_message(text)
        except Refused as refused:
            return refused.reply
        if contains_bsn(text):
            return error("bsn")
        # Any whitespace ends the command word (a tab, a no-break space).
        word, rest = (text.split(maxsplit=1) + ["", ""])[:2]
        if not word:
            return self.help(ctx, "")
        command = self.find(word)
        if command is None:
            return error("unknown_command", command=word[:40])
        if command.needs_person and ctx.actor is None:
            return error("not_linked")
        try:
            reply = command.handler(ctx, rest.strip())
        except Refused as refused:
            reply = refused.reply
        if reply.data.get("code") in ("ref_usage", "model_ref_usage"):
            # "Name the referral" shows the command that was typed, not another one.
            reply.data.setdefault("command", command.name)
        return reply

    def english_words(self) -> dict[str, str]:
        """Dutch command word -> the English one (the first alias), for replies in English."""
        return {c.name: c.aliases[0] for c in self.commands if c.aliases and c.aliases[0].isalpha()}

    def help(self, ctx: Context, _rest: str) -> Reply:
        return Reply(
            "help",
            {"commands": [{"usage": c.usage, "nl": c.nl, "en": c.en,
                           "aliases": [a for a in c.aliases if a.isalpha()]}
                          for c in self.commands]},
        )

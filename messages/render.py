"""Turn a handler's `Reply` into text for one platform and language.

Templates live in `templates/<platform>/<lang>/<name>.j2`. A platform without
its own template falls back to the plain `text` one, and English falls back
to Dutch, so a new template can be added for one platform at a time.
"""

from __future__ import annotations

from functools import cache, partial
from pathlib import Path
from typing import Any

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateNotFound,
    select_autoescape,
)

from handlers.core import Reply
from messages import labels

TEMPLATES = Path(__file__).parent / "templates"
LANGUAGES = ("nl", "en")


class Markup(str):
    """Text the bot built as platform markup on purpose (a command in backticks):
    the Slack escaping below leaves it alone."""


def slack_escape(value: str) -> str:
    """Slack mrkdwn reads & < > as markup (`<!channel>`, `<url|text>`)."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_finalize(value: Any) -> Any:
    # Every {{ }} in a Slack message is escaped, so no template can forget to:
    # names and phone numbers from the directory and text people typed alike.
    if isinstance(value, str) and not isinstance(value, Markup):
        return slack_escape(value)
    return value


@cache
def _english_commands() -> dict[str, str]:
    # The registry is the one list of command words: its first alias is the
    # English one.
    from handlers.registry import build_registry

    return build_registry().english_words()


def command_words(text: str, lang: str) -> str:
    """A command (or a usage line) in the reader's words: in English the
    command word is the English alias and its Dutch argument words are
    translated (`uitkomst KB-0001 ja|nee` -> `outcome KB-0001 yes|no`)."""
    if lang != "en":
        return text
    commands = _english_commands()
    out = []
    for segment in text.split(" · "):  # a usage with two forms
        word, sep, rest = segment.partition(" ")
        args = " ".join(labels.ARGUMENTS_EN.get(w, w) for w in rest.split(" ")) if rest else ""
        out.append(commands.get(word, word) + sep + args)
    return " · ".join(out)


class Renderer:
    def __init__(self, platform: str = "text") -> None:
        self.platform = platform
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            # Telegram HTML needs escaping; plain text and Slack mrkdwn do not.
            autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
            finalize=_slack_finalize if platform == "slack" else None,
        )
        self.env.filters["esc"] = self.escape  # for lists: names | map("esc")
        # (name, lang) -> the template the fallbacks led to: the probing (a file
        # look-up per missing platform template) is done once, not per message.
        self._found: dict[tuple[str, str], Template] = {}

    def render(self, reply: Reply, lang: str = "nl") -> str:
        return self.render_name(reply.template, reply.data, lang)

    def render_name(self, name: str, data: dict[str, Any], lang: str = "nl") -> str:
        lang = lang if lang in LANGUAGES else "nl"
        template = self._find(name, lang)
        # `platform` is the reader's platform unless the message is about another
        # one (a person unreachable on Telegram, told in Slack).
        return template.render(
            **({"platform": self.platform} | data),
            lang=lang,
            L=labels.for_lang(lang),
            d=partial(labels.format_date, lang=lang),
            dt=partial(labels.format_datetime, lang=lang),
            age=partial(labels.format_age, lang=lang),
            due=partial(labels.format_due, lang=lang),
            when=partial(labels.format_when, lang=lang),
            cmd=partial(self.command, lang=lang),
            words=partial(command_words, lang=lang),
            esc=self.escape,
        ).strip()

    def escape(self, text: object) -> str:
        """Text typed by people or from the directory, safe for the platform:
        Slack mrkdwn treats & < > as markup; plain text needs nothing."""
        # On Slack every {{ }} is escaped on output (finalize): escaping here
        # too would show "&amp;amp;".
        return "" if text is None else str(text)

    def command(self, text: str, lang: str = "nl") -> str:
        """A chat command as the reader types it on this platform: `ontvangen
        KB-0001` in the console, `/keten ontvangen KB-0001` in Slack,
        /ontvangen KB-0001 in Telegram (tappable there; commands cannot start
        with a digit, so 301 becomes /bericht301). In English it names the
        English command (`ack KB-0001`); both words work."""
        text = command_words(text, lang)
        if self.platform == "slack":
            return Markup(f"`/keten {slack_escape(text)}`")
        if self.platform == "telegram":
            word, _, rest = text.partition(" ")
            word = f"bericht{word}" if word[:1].isdigit() else word
            return f"/{word} {rest}".rstrip()
        return f"`{text}`"

    def _find(self, name: str, lang: str) -> Template:
        found = self._found.get((name, lang))
        if found is None:
            found = self._found[(name, lang)] = self._probe(name, lang)
        return found

    def _probe(self, name: str, lang: str) -> Template:
        candidates = [
            f"{p}/{lng}/{name}.j2"
            for lng in dict.fromkeys((lang, "nl"))
            for p in dict.fromkeys((self.platform, "text"))
        ]
        for c in candidates:
            try:
                return self.env.get_template(c)
            except TemplateNotFound:
                continue
        raise TemplateNotFound(f"{name} ({', '.join(candidates)})")

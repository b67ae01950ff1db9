"""A Teams message's text as a command: the bot's @mention taken out.

In a channel Teams delivers `<at>ketenbot</at> wie Ede`, with the mention also
listed in the activity's `entities` (type `mention`, its `text` exactly as in
the message). The bot's own mentions are removed; any other mention keeps only
the name as plain text, so no `<at>` markup reaches the registry (or an
answer). Teams may send the text with HTML entities (`&nbsp;`, `&amp;`): they
are read as the characters they stand for, before the tags are taken out, so
an escaped `&lt;at&gt;` cannot come back as markup either.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

# <at>, </at>, <at id="0">, with any spacing or case.
_AT_TAG = re.compile(r"<\s*/?\s*at\b[^>]*>", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def _unescape(text: str) -> str:
    for _ in range(3):  # `&amp;lt;` twice escaped: at most a few rounds
        plain = html.unescape(text)
        if plain == text:
            break
        text = plain
    return text


def _untag(text: str) -> str:
    while True:  # `<<at>at>`: removing one tag may join another
        plain = _AT_TAG.sub(" ", text)
        if plain == text:
            return text
        text = plain


def command_text(text: str | None, bot_mentions: Iterable[str] = ()) -> str:
    """The command in a message: the bot's mention texts (`<at>ketenbot</at>`)
    removed, other `<at>` tags dropped (their names kept), entities read,
    whitespace (Teams' non-breaking spaces too) collapsed to single spaces."""
    text = text or ""
    for mention in bot_mentions:
        if mention:
            text = text.replace(mention, " ")
    # A mention whose text differs from the message only by entities or case.
    text = _unescape(text)
    for mention in bot_mentions:
        plain = _unescape(mention or "")
        if plain:
            text = re.sub(re.escape(plain), " ", text, flags=re.IGNORECASE)
    text = _untag(text)
    return _SPACE.sub(" ", text).strip()


def bot_mention_texts(entities: list[dict[str, object]] | None, bot_id: str | None) -> list[str]:
    """The texts of the mentions of the bot in an activity's entities (raw JSON)."""
    found = []
    for entity in entities or []:
        if not isinstance(entity, dict) or entity.get("type") != "mention":
            continue
        mentioned = entity.get("mentioned")
        if not isinstance(mentioned, dict) or (bot_id and mentioned.get("id") != bot_id):
            continue
        mention_text = entity.get("text")
        if isinstance(mention_text, str):
            found.append(mention_text)
        elif isinstance(mentioned.get("name"), str):
            found.append(f"<at>{mentioned['name']}</at>")
    return found

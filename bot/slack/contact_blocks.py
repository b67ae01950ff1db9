"""Buttons under `ik` (my directory entry) in Slack.

A button's action id names what it does (`ketenik_klopt`); its value is
nothing but that same word: pressing it runs the chat command it stands for
(`ik klopt`) for whoever pressed it, so nobody can press on someone else's
behalf. Buttons that need input (a phone number, a date, an e-mail address)
answer with how to type it.
"""

from __future__ import annotations

from typing import Any

from bot.slack.blocks import section
from handlers.contacts.selfservice import ENTRY_BUTTONS

ACTION_PREFIX = "ketenik_"
LABELS = {
    "nl": {"klopt": "Klopt nog", "telefoon": "Telefoon wijzigen", "afwezig": "Afwezigheid",
           "terug": "Ik ben terug", "koppelgenoot": "Koppelgenoot voorstellen",
           "koppel_ja": "Koppelgenoot: ja", "koppel_nee": "Koppelgenoot: nee"},
    "en": {"klopt": "Still correct", "telefoon": "Change phone", "afwezig": "Absence",
           "terug": "I'm back", "koppelgenoot": "Propose koppelgenoot",
           "koppel_ja": "Koppelgenoot: yes", "koppel_nee": "Koppelgenoot: no"},
}


class Answer(str):
    """A command's text answer that may carry Block Kit blocks (`ik`'s buttons)."""

    blocks: list[dict[str, Any]] | None = None


def entry_blocks(text: str, buttons: list[str], lang: str) -> list[dict[str, Any]]:
    labels = LABELS.get(lang, LABELS["nl"])
    elements: list[dict[str, Any]] = []
    for word in buttons:
        if word not in ENTRY_BUTTONS:
            continue
        b: dict[str, Any] = {"type": "button", "action_id": f"{ACTION_PREFIX}{word}",
                             "value": word, "text": {"type": "plain_text",
                                                     "text": labels[word]}}
        if word in ("klopt", "koppel_ja"):
            b["style"] = "primary"
        elements.append(b)
    return [section(text), {"type": "actions", "block_id": "keten:ik", "elements": elements}]


def answer(text: str, template: str, data: dict[str, Any], lang: str) -> str:
    """The rendered reply; with buttons when it is an entry (`ik`)."""
    if template != "contact_entry" or not data.get("mine"):
        return text
    out = Answer(text)
    out.blocks = entry_blocks(text, list(data.get("buttons") or []), lang)
    return out

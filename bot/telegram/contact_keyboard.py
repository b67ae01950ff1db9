"""The inline keyboard under `ik` (my directory entry) in Telegram.

Callback data is `ik:<word>`: no person, no data, only which button; a press
runs the chat command it stands for (`ik klopt`) for whoever pressed it.
Buttons that need input answer with how to type it.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.contacts.selfservice import ENTRY_BUTTONS
from handlers.core import Reply

PREFIX = "ik:"
LABELS = {
    "nl": {"klopt": "✅ Klopt nog", "telefoon": "📞 Telefoon wijzigen",
           "afwezig": "🏖 Afwezigheid", "terug": "👋 Ik ben terug",
           "koppelgenoot": "🤝 Koppelgenoot voorstellen", "koppel_ja": "🤝 Ja",
           "koppel_nee": "Nee"},
    "en": {"klopt": "✅ Still correct", "telefoon": "📞 Change phone",
           "afwezig": "🏖 Absence", "terug": "👋 I'm back",
           "koppelgenoot": "🤝 Propose koppelgenoot", "koppel_ja": "🤝 Yes",
           "koppel_nee": "No"},
}


def entry_keyboard(buttons: list[str], lang: str = "nl") -> InlineKeyboardMarkup:
    labels = LABELS.get(lang, LABELS["nl"])
    keys = [InlineKeyboardButton(labels[w], callback_data=f"{PREFIX}{w}")
            for w in buttons if w in ENTRY_BUTTONS]
    return InlineKeyboardMarkup([keys[i:i + 2] for i in range(0, len(keys), 2)])


def command_of(data: str | None) -> str | None:
    """The chat command a press stands for, or None when it is not ours."""
    if not data or not data.startswith(PREFIX):
        return None
    return ENTRY_BUTTONS.get(data[len(PREFIX):])


def entry_keys(reply: Reply, lang: str) -> InlineKeyboardMarkup | None:
    """These buttons under an answer that shows my own entry; none otherwise."""
    if reply.template != "contact_entry" or not reply.data.get("mine"):
        return None
    return entry_keyboard(list(reply.data.get("buttons") or []), lang)

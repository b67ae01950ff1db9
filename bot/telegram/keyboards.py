"""Inline keyboards on referral messages, and their callback data.

Callback data is `k:<action>:<referral id>` (`k:<action>!:<id>` once a
destructive action is confirmed): at most 64 bytes, and never family data,
only the referral's number.
"""

from __future__ import annotations

import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.referrals.view import next_actions
from messages.buttons import CONFIRM as CONFIRM_WORDS
from messages.buttons import LABELS as BUTTON_LABELS
from scheduling.routes import Routes
from storage.tables import Referral

ACTIONS = ("ontvangen", "volgende", "301", "315", "acceptatie", "gestart", "afwijzing",
           "onjuist", "ret", "escaleer", "gesprek", "bestuurlijk", "status", "akkoord", "esstatus",
           "verslag", "afspraken")
# Buttons whose number is an escalation's (ES-0001), not a referral's.
ESCALATION_ACTIONS = {"akkoord": "akkoord", "esstatus": "status"}
# Asked once more before they are done.
CONFIRM = ("afwijzing", "onjuist", "escaleer", "bestuurlijk")
_DATA = re.compile(r"^k:([a-z0-9]{1,16})(!?):(\d{1,10})$")

# The words are the other platforms' (messages/buttons.py); Telegram adds a sign,
# since its buttons have no colour or style.
EMOJI = {"ontvangen": "✅", "volgende": "➡️", "301": "📨", "315": "📨", "acceptatie": "🤝",
         "gestart": "🏁", "afwijzing": "✋", "onjuist": "↩️", "ret": "👥", "escaleer": "⚠️",
         "gesprek": "🗣", "bestuurlijk": "🏛", "status": "ℹ️", "akkoord": "✅",
         "verslag": "📄", "afspraken": "🤝"}
LABELS = {
    lang: {**{word: f"{EMOJI[word]} {label}" for word, label in words.items()},
           "esstatus": f"{EMOJI['status']} {words['status']}",
           "confirm": CONFIRM_WORDS[lang]["yes"] + ", {action} {ref}",
           "cancel": CONFIRM_WORDS[lang]["no"]}
    for lang, words in BUTTON_LABELS.items()
}


def callback_data(action: str, referral_id: int, confirmed: bool = False) -> str:
    data = f"k:{action}{'!' if confirmed else ''}:{referral_id}"
    assert len(data.encode()) <= 64
    return data


def parse(data: str | None) -> tuple[str, bool, int] | None:
    """(action, confirmed, referral id), or None for data we did not make."""
    m = _DATA.match(data or "")
    if not m or m.group(1) not in ACTIONS and m.group(1) != "cancel":
        return None
    return m.group(1), m.group(2) == "!", int(m.group(3))


def _labels(lang: str) -> dict[str, str]:
    return LABELS.get(lang, LABELS["nl"])


def referral_keyboard(ref: Referral, routes: Routes, lang: str = "nl"
                      ) -> InlineKeyboardMarkup | None:
    """The next actions that make sense now (`handlers.referrals.view.next_actions`):
    the step's own first, then the others, status on a row of its own."""
    if ref.id is None:
        return None
    labels = _labels(lang)
    actions = [a for a in next_actions(routes, ref) if a in ACTIONS]
    rows = [[InlineKeyboardButton(labels.get(a, a), callback_data=callback_data(a, ref.id))
             for a in actions[:-1][i:i + 2]] for i in range(0, len(actions) - 1, 2)]
    status = InlineKeyboardButton(labels["status"], callback_data=callback_data("status", ref.id))
    return InlineKeyboardMarkup([*rows, [status]])


def confirm_keyboard(action: str, referral_id: int, ref: str, lang: str = "nl"
                     ) -> InlineKeyboardMarkup:
    labels = _labels(lang)
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(labels["confirm"].format(action=action, ref=ref),
                             callback_data=callback_data(action, referral_id, confirmed=True)),
        InlineKeyboardButton(labels["cancel"], callback_data=callback_data("cancel", referral_id)),
    ]])


def command_for(action: str, number: int) -> str:
    """The chat command a button stands for: `akkoord ES-0001`, `ontvangen 1`."""
    if action in ESCALATION_ACTIONS:
        return f"{ESCALATION_ACTIONS[action]} ES-{number:04d}"
    return f"{action} {number}"


def escalation_keyboard(template: str, payload: dict[str, object], lang: str = "nl"
                        ) -> InlineKeyboardMarkup | None:
    """An escalation report put to a participant: approve it, or look first."""
    m = re.match(r"^ES-(\d{1,8})$", str(payload.get("es_ref") or ""))
    if template != "model_report" or not m:
        return None
    labels, number = _labels(lang), int(m.group(1))
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(labels["akkoord"], callback_data=callback_data("akkoord", number)),
        InlineKeyboardButton(labels["esstatus"], callback_data=callback_data("esstatus", number)),
    ]])

"""Inline keyboards on referral messages, and their callback data.

Callback data is `k:<action>:<referral id>` (`k:<action>!:<id>` once a
destructive action is confirmed): at most 64 bytes, and never family data,
only the referral's number.
"""

from __future__ import annotations

import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from scheduling.routes import Routes
from storage.tables import Referral

ACTIONS = ("ontvangen", "volgende", "301", "315", "gestart", "afwijzing", "escaleer", "status")
CONFIRM = ("afwijzing", "escaleer")  # asked once more before they are done
_DATA = re.compile(r"^k:([a-z0-9]{1,16})(!?):(\d{1,10})$")

LABELS = {
    "nl": {"ontvangen": "✅ Ontvangen", "volgende": "➡️ Verstuurd (volgende stap)",
           "301": "📨 301 verstuurd", "315": "📨 315 verstuurd", "gestart": "🏁 Zorg gestart",
           "afwijzing": "✋ Afwijzing", "escaleer": "⚠️ Escaleer", "status": "ℹ️ Status",
           "confirm": "Ja, {action} {ref}", "cancel": "Nee"},
    "en": {"ontvangen": "✅ Received", "volgende": "➡️ Sent (next step)",
           "301": "📨 301 sent", "315": "📨 315 sent", "gestart": "🏁 Care started",
           "afwijzing": "✋ Rejection", "escaleer": "⚠️ Escalate", "status": "ℹ️ Status",
           "confirm": "Yes, {action} {ref}", "cancel": "No"},
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
    """The step's done action, afwijzing where the step allows it, escaleer, status."""
    if ref.id is None:
        return None
    labels = _labels(lang)
    status = InlineKeyboardButton(labels["status"], callback_data=callback_data("status", ref.id))
    if ref.status != "open":
        return InlineKeyboardMarkup([[status]])
    step = routes.route(ref.route).step(ref.step)
    first = [InlineKeyboardButton(labels.get(step.done_by.action, step.done_by.action),
                                  callback_data=callback_data(step.done_by.action, ref.id))]
    if step.on_afwijzing is not None:
        first.append(InlineKeyboardButton(labels["afwijzing"],
                                          callback_data=callback_data("afwijzing", ref.id)))
    second = [status]
    if ref.step != "escalatie":
        second.insert(0, InlineKeyboardButton(labels["escaleer"],
                                              callback_data=callback_data("escaleer", ref.id)))
    return InlineKeyboardMarkup([first, second])


def confirm_keyboard(action: str, referral_id: int, ref: str, lang: str = "nl"
                     ) -> InlineKeyboardMarkup:
    labels = _labels(lang)
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(labels["confirm"].format(action=action, ref=ref),
                             callback_data=callback_data(action, referral_id, confirmed=True)),
        InlineKeyboardButton(labels["cancel"], callback_data=callback_data("cancel", referral_id)),
    ]])

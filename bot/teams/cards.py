"""Adaptive Cards for referrals: a thread's root message and its buttons.

The text is drawn as `RichTextBlock`s of `TextRun`s, which Teams shows as
written: a name or kenmerk from the directory cannot become a link, a mention
or markup (a `TextBlock` would read it as Markdown).

Buttons are `Action.Execute` (Teams' universal actions): the press comes back
as an `adaptiveCard/action` invoke whose `verb` names the chat command and whose
data is the referral's reference only (`KB-0001`), never family data, so a
press goes through the same registry as typing `ontvangen KB-0001`. A step that
cannot be undone (afwijzing, 315 onjuist, escaleren) asks first: its button
opens a card with the question and the one button that does it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session

from handlers.referrals.view import next_actions
from handlers.threads import root_summary
from messages import Renderer
from messages.buttons import ACTIONS, CONFIRM, LABELS
from scheduling.routes import Routes
from storage.tables import Referral

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.4"  # Action.Execute: Teams on desktop, web and mobile
CARD = "application/vnd.microsoft.card.adaptive"
MAX_ACTIONS = 6  # Teams shows no more than six actions on a card


def text_blocks(text: str, *, first_bold: bool = True) -> list[dict[str, Any]]:
    """Lines of plain text as a card's body, shown exactly as written."""
    blocks: list[dict[str, Any]] = []
    for n, line in enumerate(t for t in text.splitlines() if t.strip()):
        run: dict[str, Any] = {"type": "TextRun", "text": line}
        if n == 0 and first_bold:
            run["weight"] = "bolder"
        blocks.append({"type": "RichTextBlock", "inlines": [run]})
    return blocks


def action(word: str, ref: str, lang: str, primary: bool = False) -> dict[str, Any]:
    lang = lang if lang in LABELS else "nl"
    execute: dict[str, Any] = {"type": "Action.Execute", "title": LABELS[lang][word],
                               "verb": word, "data": {"ref": ref}}
    if word not in CONFIRM[lang]:
        if primary:
            execute["style"] = "positive"
        return execute
    # No confirm dialog in Adaptive Cards: the question on a card of its own.
    words = CONFIRM[lang]
    execute["title"] = words["yes"]
    execute["style"] = "destructive"
    question = {"type": "AdaptiveCard", "body": text_blocks(words[word].format(ref=ref),
                                                            first_bold=False),
                "actions": [execute]}
    return {"type": "Action.ShowCard", "title": LABELS[lang][word], "card": question}


def actions_for(ref: Referral, routes: Routes, lang: str,
                only: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """The buttons that make sense in the referral's current state (of `only`,
    when given: a reminder carries the step's own buttons, not every one)."""
    assert ref.ref is not None
    wanted = [a for a in dict.fromkeys(next_actions(routes, ref))
              if a in ACTIONS and (only is None or a in only)]
    first = wanted[0] if ref.status == "open" and wanted else None
    if "status" in wanted and len(wanted) > MAX_ACTIONS:  # status stays: it always helps
        wanted = [a for a in wanted if a != "status"][:MAX_ACTIONS - 1] + ["status"]
    return [action(a, ref.ref, lang, primary=(a == first)) for a in wanted[:MAX_ACTIONS]]


def card(body: list[dict[str, Any]], actions: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": VERSION,
                           "body": body}
    if actions:
        out["actions"] = actions
    return out


def root_card(session: Session, ref: Referral, routes: Routes, renderer: Renderer,
              lang: str, today: date, answer: str | None = None) -> tuple[str, dict[str, Any]]:
    """The thread's root: the referral's status as text (the notification's
    summary) and as a card with the buttons. `answer` (a press's outcome, for the
    one who pressed) is added under it."""
    text = renderer.render_name("root", root_summary(session, ref, routes, today), lang)
    body = text_blocks(text)
    if answer:
        body.append({"type": "Container", "separator": True,
                     "items": text_blocks(answer, first_bold=False)})
    return text, card(body, actions_for(ref, routes, lang))

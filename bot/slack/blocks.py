"""Block Kit for referrals: the root message of a thread and the buttons.

Buttons carry only the referral's reference (`KB-0001`) as their value, never
family data; the action id names the chat command (`keten_ontvangen` is
`ontvangen KB-0001`), so a press goes through the same registry as typing.
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

ACTION_PREFIX = "keten_"


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:75]}


def button(action: str, ref: str, lang: str, primary: bool = False) -> dict[str, Any]:
    lang = lang if lang in LABELS else "nl"
    b: dict[str, Any] = {"type": "button", "action_id": f"{ACTION_PREFIX}{action}",
                         "value": ref, "text": _plain(LABELS[lang][action])}
    if primary:
        b["style"] = "primary"
    if action in CONFIRM[lang]:
        c = CONFIRM[lang]
        b["confirm"] = {"title": _plain(c["title"]), "confirm": _plain(c["yes"]),
                        "deny": _plain(c["no"]),
                        "text": {"type": "plain_text", "text": c[action].format(ref=ref)}}
        if action in ("escaleer", "bestuurlijk"):
            b["style"] = "danger"
    return b


def buttons_for(ref: Referral, routes: Routes, lang: str,
                only: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """The buttons that make sense in the referral's current state."""
    assert ref.ref is not None
    wanted = next_actions(routes, ref)
    first = wanted[0] if ref.status == "open" else None
    if only is not None:
        wanted = [a for a in wanted if a in only]
    return [button(a, ref.ref, lang, primary=(a == first))
            for a in dict.fromkeys(wanted) if a in ACTIONS]


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def actions_block(ref: str, buttons: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "actions", "block_id": f"keten:{ref}", "elements": buttons}


def root_message(session: Session, ref: Referral, routes: Routes, renderer: Renderer,
                 lang: str, today: date) -> tuple[str, list[dict[str, Any]]]:
    """The thread's root message: the referral's current status, and buttons."""
    text = renderer.render_name("root", root_summary(session, ref, routes, today), lang)
    assert ref.ref is not None
    return text, [section(text), actions_block(ref.ref, buttons_for(ref, routes, lang))]


def escalation_blocks(template: str, payload: dict[str, Any], lang: str
                      ) -> list[dict[str, Any]]:
    """An escalation report put to a participant gets an approve button
    (`akkoord ES-0001`); its value is the escalation's reference, nothing more."""
    es_ref = payload.get("es_ref")
    if template != "model_report" or not es_ref:
        return []
    return [actions_block(str(es_ref), [button("akkoord", str(es_ref), lang, primary=True),
                                        button("status", str(es_ref), lang)])]

"""`ketenbot demo` plays the real code paths; its transcript is what a user sees."""

from __future__ import annotations

import io

from bot.demo import run_demo


def test_demo_shows_routes_escalation_and_one_referral_on_two_platforms() -> None:
    out = io.StringIO()
    run_demo(out)
    text = out.getvalue()
    # 301: the weekend lapse reaches the LT teamleider on Monday morning.
    assert "Mon 30-11 08:30 → [Carla Smit" in text
    assert "Zorg gestart: KB-0001" in text
    # 315: afwijzing, then the RET.
    assert "Afwijzing vastgelegd: KB-0002" in text and "Voorgelegd aan het RET" in text
    # Started in Slack, acknowledged in Telegram: both threads move on.
    assert "[slack · draad KB-0003] KB-0003 staat nu op stap 2-3" in text
    assert "[telegram · draad KB-0003] KB-0003 staat nu op stap 2-3" in text
    assert "ontvangen (stap contact) — Bram de Vries via telegram" in text
    # Bouwsteen 6: tiers by command only, through tier 2, closed by an approved report.
    model = text[text.index("## Escalatiemodel"):]
    assert "Zet eerst `trede ES-0001 1`. Er is niets veranderd." in model
    after_clock = model[model.index("> status ES-0001"):model.index(":als dennis")]
    assert "trede 1, gedragswetenschappers" in after_clock  # two weeks on: unchanged
    assert "Erbij gehaald: Carla Smit, Tess Visser." in model
    assert model.rstrip().endswith("Gesloten: iedereen heeft het verslag goedgekeurd.")
    assert "Traceback" not in text

"""`ketenbot demo` plays the real code paths; its transcript is what a user sees."""

from __future__ import annotations

import io

from bot.demo import run_demo


def test_demo_shows_routes_escalation_and_one_referral_on_two_platforms() -> None:
    out = io.StringIO()
    run_demo(out)
    text = out.getvalue()
    # 301: the weekend lapse of step 1 reaches the regional contact person on Monday.
    assert "ma 30-11 08:30 → [Monique Peters" in text
    assert "U neemt geen taken van hen over." in text
    assert "Match vastgelegd: KB-0001" in text and "Zorg gestart: KB-0001" in text
    # 315: both consultations, an incorrect 315 back to the provider.
    assert "Overleg met lokaal team: vastgelegd door Bram de Vries" in text
    assert "315 onjuist, terug naar de zorgaanbieder: KB-0002" in text
    # 301 through step 5B and step 6, the bestuurlijke escalatie taken by command.
    assert "KB-0003 staat op stap 4. Stap 6 (escalatie) volgt pas na stap 5" in text
    assert "Afwijzing vastgelegd: KB-0003" in text
    assert "[Bram Yilmaz <bram.yilmaz@backoffice-foodvalley.example.org>] Bram Yilmaz: " \
           "afwijzing in KB-0003" in text
    assert "het RET bespreekt de zaak binnen 2 weken, uiterlijk ma 14 dec 2026" in text
    assert "vr 11-12 08:30 → [Hester Janssen" in text
    assert "Uitkomst RET vastgelegd: KB-0003" in text and "Escalatie gestart: KB-0003" in text
    assert "De teamleider GI neemt contact met u op" in text
    assert "Bestuurlijke escalatie vastgelegd: KB-0003" in text
    assert "besluit tot bestuurlijke escalatie (stap 6) — Monique Peters via console" in text
    # Started in Slack, acknowledged in Telegram: both threads move on.
    assert "[slack · draad KB-0004] KB-0004 staat nu op stap 2-3" in text
    assert "[telegram · draad KB-0004] KB-0004 staat nu op stap 2-3" in text
    assert "contact bevestigd (stap 1) — Bram de Vries via telegram" in text
    # Contactbeheer: a self-service change, a refusal that says why, and a
    # freshness round: asked Monday 08:30, the silent reported a week later.
    contact = text[text.index("## Contactbeheer"):]
    assert "ma 14-12 08:30 → [Iris van der Wal" in contact
    assert "Kloppen uw gegevens in de contactenlijst nog?" in contact
    assert "Telefoonnummer gewijzigd." in contact
    assert "U mag alleen uw eigen gegevens wijzigen" in contact
    assert "Wendy Evers is afwezig t/m vr 18 dec 2026" in contact
    report = contact[contact.index("ma 21-12 08:30 → [Youssef van Dam"):]
    assert "Actualiteitsronde Food Valley" in report
    assert "1 van de 2 gevraagden heeft geantwoord" in report
    assert "geen antwoord: Jasper Mulder" in report and "Iris" not in report.split("#")[0]
    assert "Vaste groep Scherpenzeel (GM0279)" in contact
    # Bouwsteen 6: tiers by command only, through tier 2, a meeting recorded, closed by the parties.
    model = text[text.index("## Escalatiemodel"):text.index("## Jeugdbeschermingstafel")]
    assert "Zet eerst `trede ES-0001 1`. Er is niets veranderd." in model
    after_clock = model[model.index("> status ES-0001"):model.index(":als dennis")]
    assert "trede 1, gedragswetenschappers" in after_clock  # two weeks on: unchanged
    assert "Erbij gehaald: Carla Smit, Tess Visser." in model
    assert "Overleg vastgelegd: ES-0001" in model
    assert "Gesloten: alle partijen zeggen dat het verschil is overbrugd." in model
    assert model.rstrip().endswith("Begeleid contact twee keer per week, evaluatie na zes weken.")
    # Bouwsteen 4: the tafel planned late tells Ede's aanspreekpersoon and names the
    # neighbouring tafel; outcome, verslag, evaluation; the warm handover to the LT.
    tafel = text[text.index("## Jeugdbeschermingstafel"):]
    assert "Aangemeld voor de Jeugdbeschermingstafel: JT-0005" in tafel
    assert "ruimte bij een buurtafel: Jeugdbeschermingstafel Centraal Gelderland" in tafel
    assert "→ [Daan van Wijk <daan.vanwijk@gemeente-ede.example.org>]" in tafel
    assert "→ [Bas Maas <bas.maas@rvdk.example.org>]" in tafel  # the Raad, for the OTS end
    assert "Uitkomst 1: vrijwillige hulp onder regie van het lokaal team" in tafel
    assert "Evaluatiemoment: ma 12 apr 2027" in tafel
    assert "standaard van ketenbot, geen termijn uit de bouwsteen" in tafel
    assert "Afgerond: de afspraken van de warme overdracht zijn vastgelegd." in tafel
    assert "Traceback" not in text

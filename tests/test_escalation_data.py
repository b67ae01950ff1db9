"""Escalation-model data: the export for evaluation, the migration that carries
old escalations over, and the directory roles tier 2 and 3 need."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select
from typer.testing import CliRunner

import bot.app
from bot.app import KetenBot
from bot.cli.main import app
from bot.config import Settings
from messages import Renderer
from storage import db
from storage.directory.export import export_doc
from storage.tables import (
    Deadline,
    ModelEscalation,
    ModelEscalationEvent,
    ModelEscalationParty,
    Referral,
    ReferralEvent,
)
from tests.conftest import AMS, FakeClock, import_file, old_referral

DATA = Path(__file__).parent / "data"
runner = CliRunner()
JEROEN = "jeroen.bakker@jbgld.example.org"
BRAM = "bram.devries@sociaalteam-ede.example.org"
TESS = "tess.visser@jbgld.example.org"
CARLA = "carla.smit@sociaalteam-ede.example.org"


@pytest.fixture
def closed(env_db: str, sample_engine: Engine, clock: FakeClock,
           monkeypatch: pytest.MonkeyPatch) -> KetenBot:
    """ES-0001 (samenwerking, tier 2): its meeting recorded a week later and closed
    when both parties said it was resolved; ES-0002 still open."""
    monkeypatch.setattr(bot.app, "system_clock", lambda tz: clock)
    kb = KetenBot(Settings(database_url=env_db), sample_engine, clock)

    def say(email: str, command_text: str) -> None:
        reply = kb.registry.dispatch(kb.context("console", kb.person_by_email(email)),
                                     command_text)
        assert reply.ok, reply.data

    say(JEROEN, "verwijs 301 Ede K-1")
    say(JEROEN, "escaleer KB-0001 samenwerking")
    say(JEROEN, "gezin ES-0001 ja")
    say(BRAM, "trede ES-0001 2")
    clock.set(clock.now + timedelta(days=7))
    say(JEROEN, "verslag ES-0001 vertrouwelijk verslag: wachtlijst doorbroken")
    for who in (BRAM, TESS, CARLA):
        say(who, "akkoord ES-0001")
    # The meeting is recorded; it closes when both parties say it is resolved.
    say(BRAM, "opgelost ES-0001")
    say(TESS, "opgelost ES-0001")
    say(CARLA, "escaleer kenmerk LT-2 Ede dilemma")
    return kb


def test_export_has_closed_escalations_without_free_text(closed: KetenBot) -> None:
    result = runner.invoke(app, ["escalation", "export", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert len(rows) == 1  # the open one is not evaluated yet
    row = rows[0]
    assert (row["ref"], row["situation"], row["gemeente"], row["region"]) == (
        "ES-0001", "samenwerking", "Ede", "Food Valley")
    assert (row["tier"], row["tiers"], row["days"], row["werkdagen"]) == ("2", "2", "7", "5")
    assert row["organisation_kinds"] == "gi lokaal_team"
    assert (row["family"], row["closed_by"]) == ("ja", "opgelost")
    assert "vertrouwelijk" not in result.output and "K-1" not in result.output
    as_json = runner.invoke(app, ["escalation", "export", "--format", "json"])
    assert json.loads(as_json.output)[0]["ref"] == "ES-0001"
    bad = runner.invoke(app, ["escalation", "export", "--format", "xml"])
    assert bad.exit_code == 2


# -- the migration ---------------------------------------------------------------


def test_upgrade_carries_old_model_escalations_over(sample_at_0005: str) -> None:
    t0 = datetime(2026, 11, 24, 10, 0, tzinfo=AMS)
    engine = db.make_engine(sample_at_0005)
    with Session(engine) as s:
        jb = s.exec(text("SELECT id FROM person WHERE email = :e"),  # type: ignore[call-overload]
                    params={"e": JEROEN}).scalar_one()
        lt = s.exec(text("SELECT id FROM person WHERE email = :e"),  # type: ignore[call-overload]
                    params={"e": BRAM}).scalar_one()
        gem = s.exec(text("SELECT id FROM gemeente WHERE name = 'Ede'")).scalar_one()  # type: ignore[call-overload]
        ref = Referral(id=old_referral(s, ref="KB-0001", route="301", kenmerk="K-1",
                                       gemeente_id=gem, status="open", step="contact",
                                       step_started_at=t0, jb_id=jb, lt_id=lt, created_at=t0),
                       route="301", kenmerk="K-1", gemeente_id=gem, step="contact",
                       step_started_at=t0, jb_id=jb, created_at=t0)
        assert ref.id is not None
        s.add_all([
            # An open dilemma that the old sweep had climbed to leidinggevenden ...
            Deadline(referral_id=ref.id, key="model", step="model:dilemma", status="pending",
                     due_at=t0 + timedelta(days=14), next_check_at=t0 + timedelta(days=14),
                     tier=1),
            # ... and an earlier samenwerking one, resolved with a report.
            Deadline(referral_id=ref.id, key="model", step="model:samenwerking", status="met",
                     due_at=t0 + timedelta(days=14), tier=1),
            ReferralEvent(referral_id=ref.id, at=t0, actor_id=jb, platform="slack",
                          action="escalatiemodel", step="contact",
                          detail={"situatie": "dilemma", "niveau": "gedragswetenschappers"}),
            ReferralEvent(referral_id=ref.id, at=t0 + timedelta(days=3), actor_id=None,
                          platform="bot", action="escalatie", step="contact",
                          detail={"deadline": "model", "tier": 2}),
            ReferralEvent(referral_id=ref.id, at=t0 + timedelta(days=4), actor_id=lt,
                          platform="console", action="escalatiemodel", step="contact",
                          detail={"situatie": "samenwerking", "niveau": "leidinggevenden"}),
            ReferralEvent(referral_id=ref.id, at=t0 + timedelta(days=5), actor_id=lt,
                          platform="console", action="escalatie_opgelost", step="contact",
                          detail={"verslag": "opgelost"}),
        ])
        s.commit()
    engine.dispose()

    db.upgrade(sample_at_0005)
    engine = db.make_engine(sample_at_0005)
    with Session(engine) as s:
        escs = s.exec(select(ModelEscalation).order_by(col(ModelEscalation.id))).all()
        assert [(e.ref, e.situation, e.tier, e.status) for e in escs] == [
            ("ES-0001", "dilemma", 2, "open"), ("ES-0002", "samenwerking", 2, "closed")]
        assert escs[0].started_by_id == jb and escs[1].started_by_id == lt
        assert escs[0].created_at == t0 and escs[1].closed_at == t0 + timedelta(days=5)
        assert all(e.kenmerk == "K-1" and e.gemeente_id == gem for e in escs)
        assert len(s.exec(select(ModelEscalationParty)).all()) == 4  # GI + LT, twice
        first = [(e.action, e.detail.get("tier")) for e in s.exec(
            select(ModelEscalationEvent).where(ModelEscalationEvent.escalation_id == escs[0].id)
            .order_by(col(ModelEscalationEvent.id)))]
        assert first == [("gestart", None), ("trede", 1), ("trede", 2)]
        second = [e.action for e in s.exec(select(ModelEscalationEvent).where(
            ModelEscalationEvent.escalation_id == escs[1].id))]
        assert second == ["gestart", "trede", "verslag", "gesloten"]
        # Nothing left for the sweep: the model has no terms.
        assert [d.status for d in s.exec(select(Deadline).order_by(col(Deadline.id)))] == [
            "cancelled", "met"]
    # A new escalation after the carried-over ones gets the next number.
    kb = KetenBot(Settings(database_url=sample_at_0005), engine,
                  FakeClock(t0 + timedelta(days=30)))
    reply = kb.registry.dispatch(kb.context("console", kb.person_by_email(BRAM)), "trede ES-1 3")
    assert reply.data["code"] == "model_tier_rights"
    with Session(engine) as s:
        s.exec(text("UPDATE model_escalation SET status = 'closed'"))  # type: ignore[call-overload]
        s.commit()
    reply = kb.registry.dispatch(kb.context("console", kb.person_by_email(BRAM)),
                                 "escaleer KB-0001 zorgelijk")
    assert reply.ok and reply.data["es_ref"] == "ES-0003"
    engine.dispose()


# -- the directory ------------------------------------------------------------------


def test_new_roles_import_export_and_wie(sample_engine: Engine, db_url: str,
                                         clock: FakeClock) -> None:
    import_file(sample_engine, DATA / "bestuur.yaml")
    with Session(sample_engine) as s:
        doc = export_doc(s)
    dumped = json.dumps(doc, default=str)
    for role in ('"wethouder"', '"bestuurder"', '"manager"', '"directeur"',
                 '"beleidsmedewerker"'):
        assert role in dumped
    assert '"kind": "gemeente"' in dumped
    kb = KetenBot(Settings(database_url=db_url), sample_engine, clock)
    ctx = kb.context("console", None)
    text_out = Renderer("text").render(kb.registry.dispatch(ctx, "wie Ede bestuur"))
    assert "wethouder: Wendela Wit" in text_out and "bestuurder: Bas Bosman" in text_out
    assert "Jeroen Bakker" not in text_out and "Carla Smit" not in text_out
    leiding = Renderer("text").render(kb.registry.dispatch(ctx, "wie Ede leiding"))
    assert "teamleider: Carla Smit" in leiding and "directeur: Dirk Dijkstra" in leiding
    gemeente = Renderer("text").render(kb.registry.dispatch(ctx, "wie Ede gemeente"))
    assert gemeente.count("Gemeente Ede") >= 1 and "Wendela Wit" in gemeente

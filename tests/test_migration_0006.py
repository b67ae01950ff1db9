"""Migration 0006 carries existing referrals over to the seed's routes: an
upgrade from 0005 with referrals, history and deadlines in it, on SQLite and
PostgreSQL, after which the bot goes on with them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from alembic import command
from sqlalchemy import text
from sqlmodel import Session, col, select

from bot.app import KetenBot
from bot.config import Settings
from messages import Renderer
from storage import db
from storage.models import Gemeente, Person
from storage.tables import Deadline, Referral, ReferralEvent
from tests.conftest import AMS, FakeClock, old_referral

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=AMS)


def _old_referral(s: Session, route: str, step: str, kenmerk: str,
                  events: list[tuple[str, str, dict[str, Any]]],
                  deadlines: list[tuple[str, str, str]], status: str = "open") -> int:
    ede = s.exec(select(Gemeente).where(Gemeente.cbs_code == "GM0228")).one()
    jb = s.exec(select(Person).where(Person.email == "jeroen.bakker@jbgld.example.org")).one()
    lt = s.exec(select(Person).where(
        Person.email == "bram.devries@sociaalteam-ede.example.org")).one()
    rid = old_referral(s, route=route, kenmerk=kenmerk, gemeente_id=ede.id or 0,
                       status=status, step=step, step_started_at=T0, jb_id=jb.id or 0,
                       lt_id=lt.id, created_at=T0)
    s.execute(text("UPDATE referral SET ref = :r WHERE id = :i"),
              {"r": f"KB-{rid:04d}", "i": rid})
    ref = Referral(id=rid, route=route, kenmerk=kenmerk, gemeente_id=ede.id or 0, step=step,
                   step_started_at=T0, jb_id=jb.id or 0, created_at=T0)
    for action, ev_step, detail in events:
        s.add(ReferralEvent(referral_id=ref.id or 0, at=T0, actor_id=jb.id, platform="console",
                            action=action, step=ev_step, detail=detail))
    for key, d_step, d_status in deadlines:
        s.add(Deadline(referral_id=ref.id or 0, key=key, step=d_step, due_at=T0,
                       next_check_at=T0 if d_status == "pending" else None, status=d_status))
    s.flush()
    return ref.id or 0


def test_upgrade_from_0005_carries_referrals_over(sample_at_0005: str, clock: FakeClock) -> None:
    engine = db.make_engine(sample_at_0005)
    # The shapes the old routes wrote (what main has today).
    with Session(engine) as s:
        closed = _old_referral(s, "301", "start", "K-closed", [
            ("gestart", "contact", {"route": "301", "gemeente": "Ede"}),
            ("stap", "contact", {"number": "1"}), ("ontvangen", "contact", {"number": "1"}),
            ("stap", "start", {"number": "4"}), ("gestart", "start", {"number": "4"}),
            ("afgerond", "start", {})], [("step:start", "start", "met")], status="closed")
        at_start = _old_referral(s, "301", "start", "K-301", [
            ("gestart", "contact", {"route": "301", "gemeente": "Ede"}),
            ("stap", "start", {"number": "4"})],
            [("step:start", "start", "pending"), ("span:2-4", "bepaling", "met")])
        at_315 = _old_referral(s, "315", "start", "K-315", [
            ("gestart", "consult", {"route": "315", "gemeente": "Ede"}),
            ("stap", "start", {"number": "4"})], [("step:start", "start", "pending")])
        at_5 = _old_referral(s, "301", "alternatief", "K-5", [
            ("gestart", "contact", {"route": "301", "gemeente": "Ede"}),
            ("afwijzing", "start", {"reden": "vol"}), ("stap", "alternatief", {"number": "5"})],
            [("step:alternatief", "alternatief", "pending")])
        at_6 = _old_referral(s, "301", "escalatie", "K-6", [
            ("gestart", "contact", {"route": "301", "gemeente": "Ede"}),
            ("escalatie_hand", "contact", {}), ("stap", "escalatie", {"number": "6"})],
            [("step:escalatie", "escalatie", "pending")])
        s.commit()

    db.upgrade(sample_at_0005)  # 0005 -> head

    with Session(engine) as s:
        def actions(rid: int) -> list[tuple[str, str | None]]:
            return [(e.action, e.step) for e in s.exec(
                select(ReferralEvent).where(ReferralEvent.referral_id == rid)
                .order_by(col(ReferralEvent.id)))]

        def dl(rid: int) -> list[tuple[str, str, str]]:
            return [(d.key, d.step, d.status) for d in s.exec(
                select(Deadline).where(Deadline.referral_id == rid).order_by(col(Deadline.id)))]

        assert actions(closed) == [
            ("aangemaakt", "contact"), ("stap", "contact"), ("ontvangen", "contact"),
            ("stap", "reactie"), ("acceptatie", "reactie"), ("zorg_gestart", "reactie")]
        assert s.get(Referral, closed).step == "reactie"  # type: ignore[union-attr]
        assert dl(at_start) == [("step:reactie", "reactie", "pending"),
                                ("span:2-4", "bepaling", "met")]
        assert s.get(Referral, at_315).step == "zorg"  # type: ignore[union-attr]
        assert dl(at_315) == [("step:zorg", "zorg", "cancelled")]
        assert dl(at_5) == [("step:alternatief", "alternatief", "cancelled")]
        assert actions(at_6)[1] == ("stap6", "contact")
        assert dl(at_6) == [("step:escalatie", "escalatie", "pending")]
        assert not s.exec(select(ReferralEvent).where(
            col(ReferralEvent.action).in_(["gestart", "afgerond", "escalatie_hand"]))).all()

    # The bot goes on with them under the new routes.
    bot = KetenBot(settings=Settings(database_url=sample_at_0005), engine=engine, clock=clock)
    jeroen = bot.person_by_email("jeroen.bakker@jbgld.example.org")
    saskia = bot.person_by_email("saskia.willems@wilgenhoforthopedagogischcentrum.example.org")

    def say(who: Person | None, line: str) -> Any:
        reply = bot.registry.dispatch(bot.context("console", who), line)
        assert reply.ok, (line, reply.data)
        return reply

    # Care cannot be matched without a provider recorded (none was, before).
    say(jeroen, "aanbieder KB-0002 wilgenhof-orthopedagogisch-centrum")
    assert say(jeroen, "acceptatie KB-0002").data["step_key"] == "zorg"
    say(jeroen, "gestart KB-0002")
    say(jeroen, "aanbieder KB-0003 wilgenhof-orthopedagogisch-centrum")
    say(saskia, "gestart KB-0003")
    say(jeroen, "ret KB-0004")
    assert "KB-0005 · 301-route" in Renderer("text").render(say(jeroen, "status KB-0005"))
    with Session(engine) as s:
        assert [r.status for r in s.exec(select(Referral).order_by(col(Referral.id)))] == [
            "closed", "closed", "closed", "open", "open"]

    # And back down to 0005: the old words return.
    command.downgrade(db.alembic_config(sample_at_0005), "0005")
    with engine.connect() as conn:
        steps = conn.execute(text("SELECT step FROM referral ORDER BY id")).scalars().all()
        # KB-0002 reached the 301 route's new care-start step, which 0005 never had.
        assert steps == ["start", "zorg", "start", "alternatief", "escalatie"]
        first = conn.execute(text("SELECT action FROM referral_event ORDER BY id")).first()
        assert first is not None and first[0] == "gestart"
    engine.dispose()

"""Escalation stops the moment the step is done, even when its messages were
already queued for the next working morning."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.app import KetenBot
from bot.config import Settings
from storage.tables import Outbox
from tests.conftest import AMS, FakeClock

JB = "jeroen.bakker@jbgld.example.org"
LT = "bram.devries@sociaalteam-ede.example.org"


def say(bot: KetenBot, email: str, text: str) -> None:
    actor = bot.person_by_email(email)
    reply = bot.registry.dispatch(bot.context("console", actor), text)
    assert reply.ok, reply.data


def test_queued_escalation_is_dropped_when_the_step_is_done(
    sample_engine: Engine, clock: FakeClock, db_url: str
) -> None:
    bot = KetenBot(Settings(database_url=db_url), sample_engine, clock)
    say(bot, JB, "verwijs 301 Ede K-1")  # Tue 24 Nov: due end of Fri 27 Nov
    clock.set(datetime(2026, 11, 28, 10, 0, tzinfo=AMS))  # Saturday: lapsed
    result = bot.tick([])  # no transport: people's messages wait for Monday 08:30
    assert result.escalations == 1
    with Session(sample_engine) as s:
        queued = s.exec(select(Outbox).where(Outbox.kind == "escalation")).all()
        assert {o.status for o in queued} == {"pending"}
        assert all(o.deliver_after == datetime(2026, 11, 30, 8, 30, tzinfo=AMS) for o in queued)

    say(bot, LT, "ontvangen KB-0001")  # done on Saturday, before anyone was told

    with Session(sample_engine) as s:
        queued = s.exec(select(Outbox).where(Outbox.kind == "escalation")).all()
        assert queued and {o.status for o in queued} == {"dropped"}

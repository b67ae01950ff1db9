"""The worker's log: quiet when idle, one line per event when busy."""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from bot.app import KetenBot
from bot.cli.run import worker_tick
from bot.config import Settings
from bot.logs import setup_logging
from scheduling.delivery.contract import Outgoing
from scheduling.worker import build_scheduler
from storage.tables import Outbox, ReferralEvent
from tests.conftest import FakeClock

JEROEN = "jeroen.bakker@jbgld.example.org"
BRAM = "bram.devries@sociaalteam-ede.example.org"


class Console:
    """Takes every message (as the console transport does)."""

    platform = "console"

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []

    def deliver(self, message: Outgoing) -> None:
        self.sent.append(message)


@pytest.fixture
def log() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = list(root.handlers), root.level
    stream = io.StringIO()
    setup_logging("INFO", "text", [], stream)
    yield stream
    root.handlers[:], root.level = saved


@pytest.fixture
def kb(sample_engine: Engine, db_url: str, clock: FakeClock) -> KetenBot:
    return KetenBot(Settings(_env_file=None, database_url=db_url),  # type: ignore[call-arg]
                    sample_engine, clock)


def test_an_idle_day_writes_nothing(kb: KetenBot, clock: FakeClock,
                                    log: io.StringIO) -> None:
    tick = worker_tick(kb, [Console()])
    for _ in range(24 * 60 * 2):  # every 30 s for a day
        tick()
        clock.set(clock() + timedelta(seconds=30))
    assert log.getvalue() == ""


def test_the_scheduler_itself_says_nothing_per_run(log: io.StringIO) -> None:
    ran = threading.Event()
    scheduler = build_scheduler(ran.set, 3600)  # first run at once, then hourly
    scheduler.start()
    try:
        assert ran.wait(10)
    finally:
        scheduler.shutdown()
    assert "apscheduler" not in log.getvalue()
    assert log.getvalue() == ""


def test_a_busy_hour_writes_one_line_per_event(kb: KetenBot, clock: FakeClock,
                                               log: io.StringIO) -> None:
    console = Console()
    tick = worker_tick(kb, [console])
    jeroen, bram = kb.person_by_email(JEROEN), kb.person_by_email(BRAM)
    for i in range(1, 6):
        reply = kb.registry.dispatch(kb.context("slack", jeroen), f"verwijs 301 Ede JB-2026-{i:04}")
        assert reply.ok, reply.data
    for _ in range(60):  # half an hour, a tick every 30 s
        tick()
        clock.set(clock() + timedelta(seconds=30))
    for i in (1, 2, 3):
        assert kb.registry.dispatch(kb.context("telegram", bram), f"ontvangen KB-{i:04}").ok
    for _ in range(60):
        tick()
        clock.set(clock() + timedelta(seconds=30))

    lines = log.getvalue().splitlines()
    with Session(kb.engine) as s:
        events = s.exec(select(func.count()).select_from(ReferralEvent)).one()
        sent = s.exec(select(func.count()).select_from(Outbox)
                      .where(Outbox.status == "sent")).one()
    referral_lines = [line for line in lines if " ketenbot.referral: referral step ref=KB-" in line]
    delivery_lines = [line for line in lines if " ketenbot.delivery: delivered outbox=" in line]
    # One line per history row (started, acknowledged, the step it moved to).
    assert len(referral_lines) == events >= 5 + 3
    assert len(delivery_lines) == sent == len(console.sent) > 0
    assert len(lines) == len(referral_lines) + len(delivery_lines)
    # Ids and references only: no kenmerk, no names, no message text.
    assert not any("JB-2026" in line or "Bram" in line for line in lines)

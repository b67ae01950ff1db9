"""The fleet's rate-limit gate, in the database: a pause one process learns of
holds every process, and the throttle's slots are handed out once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from scheduling.delivery.ratelimit import (
    TELEGRAM_BOT,
    TELEGRAM_CHAT,
    TELEGRAM_GROUP,
    Key,
    RateGate,
)
from storage.db import make_engine
from tests.conftest import FakeClock

pytestmark = pytest.mark.throttled
BOT = Key("telegram", "123", "*")


def chat(n: int) -> Key:
    return Key("telegram", "123", f"chat:{n}")


def test_a_pause_one_process_learns_of_holds_the_others(engine: Engine, db_url: str,
                                                         clock: FakeClock) -> None:
    worker, web = RateGate(engine), RateGate(other := make_engine(db_url))
    try:
        now = clock()
        assert web.until(BOT, now) is None
        until = worker.pause(BOT, now, 30)
        assert web.until(BOT, now + timedelta(seconds=29)) == until
        # A shorter pause learnt later does not cut the longer one short...
        assert web.pause(BOT, now + timedelta(seconds=5), 3) == until
        assert worker.until(BOT, now + timedelta(seconds=29)) == until
        # ...and no call may go anywhere for this bot until it has passed.
        assert web.take(now + timedelta(seconds=10), [BOT], [(chat(1), TELEGRAM_CHAT)]) == until
        assert web.until(BOT, until) is None
        assert web.take(until, [BOT], [(chat(1), TELEGRAM_CHAT)]) is None
    finally:
        other.dispose()


def test_slots_at_the_published_limits(engine: Engine, clock: FakeClock) -> None:
    gate, now = RateGate(engine), clock()
    private = [(Key("telegram", "123", "bot"), TELEGRAM_BOT), (chat(7), TELEGRAM_CHAT)]
    assert gate.take(now, [BOT], private) is None
    # The same chat again within the second: not before its slot, nothing taken.
    again = gate.take(now + timedelta(milliseconds=500), [BOT], private)
    assert again is not None and timedelta(seconds=1) <= again - now <= timedelta(seconds=1.5)
    # Another chat may go meanwhile (only the bot's 30/s spacing applies).
    other = [(Key("telegram", "123", "bot"), TELEGRAM_BOT), (chat(8), TELEGRAM_CHAT)]
    assert gate.take(now + timedelta(milliseconds=500), [BOT], other) is None
    assert gate.take(again, [BOT], private) is None
    # A group: 20 a minute, so one per 3 s and a bit.
    group = [(chat(-100), TELEGRAM_GROUP)]
    assert gate.take(now, [BOT], group) is None
    assert gate.take(now + timedelta(seconds=3), [BOT], group) is not None
    assert gate.take(now + timedelta(seconds=3.6), [BOT], group) is None


def test_one_slot_goes_to_one_taker(engine: Engine, db_url: str, clock: FakeClock) -> None:
    engines = [make_engine(db_url) for _ in range(4)]
    granted: list[bool] = []
    now = clock()

    def take(e: Engine) -> None:
        for _ in range(5):
            granted.append(RateGate(e).take(now, [BOT], [(chat(1), TELEGRAM_CHAT)]) is None)

    threads = [threading.Thread(target=take, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in engines:
        e.dispose()
    assert granted.count(True) == 1 and len(granted) == 20

"""A platform event is handled once, and the memory of it does not grow forever."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from storage.events import KEEP, first_time, prune
from storage.tables import ProcessedEvent
from tests.conftest import FakeClock


def test_an_event_is_new_once_per_platform(engine: Engine, clock: FakeClock) -> None:
    now = clock()
    assert first_time(engine, "slack", "Ev01", now)
    assert not first_time(engine, "slack", "Ev01", now)  # Slack's retry
    assert first_time(engine, "telegram", "Ev01", now)  # another platform's id space


def test_old_events_are_pruned(engine: Engine, clock: FakeClock) -> None:
    first_time(engine, "telegram", "1", clock() - KEEP - timedelta(minutes=1))
    first_time(engine, "telegram", "2", clock())
    prune(engine, clock())
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(ProcessedEvent)).one() == 1

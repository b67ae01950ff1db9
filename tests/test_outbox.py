"""The outbox's dedupe key: the same message is queued once, and the caller is told."""

from __future__ import annotations

from sqlalchemy import Engine, func
from sqlmodel import select

from storage.db import session_scope
from storage.outbox import enqueue
from storage.tables import Outbox
from tests.conftest import FakeClock


def test_the_second_enqueue_of_a_key_is_reported_and_writes_nothing(
        engine: Engine, clock: FakeClock) -> None:
    now = clock()
    args = dict(dedupe_key="esc:1:2:3", kind="escalation", template="escalation",
                payload={"ref": "KB-0001"}, now=now, deliver_after=now)
    with session_scope(engine) as session:
        assert enqueue(session, **args) is True
        assert enqueue(session, **args) is False
        assert session.exec(select(func.count()).select_from(Outbox)).one() == 1

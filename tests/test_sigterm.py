"""SIGTERM in the middle of delivering: `ketenbot worker` and `ketenbot serve`,
as real processes on PostgreSQL against slow fake platforms, stop within 10 s,
and no message is lost or sent twice (what was under way is finished and
recorded; the rest stays queued for the next start).
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session, select

from storage import inbox
from storage.db import make_engine, session_scope
from storage.models import ChatIdentity, Person
from storage.outbox import enqueue
from storage.tables import Outbox
from tests.conftest import PG_URL
from tests.fakes.slack_api import FakeSlack
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.test_slack_e2e import KETENBOT, free_port
from tests.test_sweep import START

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (TEST_DATABASE_URL)")
STOP_WITHIN = 10.0
TOKEN = "123456:TEST-token_abc"


@pytest.fixture
def sample_db(pg_databases: Any) -> Iterator[str]:
    name, url = pg_databases.clone("sample")
    yield url
    pg_databases.drop(name)


def statuses(url: str, kind: str) -> dict[str, int]:
    """Outbox rows of this test's kind by status. Others are not its business:
    the sweep starts a region's freshness round on the sample data, whose
    questions wait for working hours."""
    engine = make_engine(url)
    try:
        with Session(engine) as s:
            rows = s.exec(select(Outbox).where(Outbox.kind == kind)).all()
            out: dict[str, int] = {}
            for r in rows:
                out[r.status] = out.get(r.status, 0) + 1
            return out
    finally:
        engine.dispose()


def stop(proc: subprocess.Popen[bytes]) -> float:
    began = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    return time.monotonic() - began


def waiting_updates(url: str) -> int:
    """Updates serve stored but did not get to answer (its inbox)."""
    engine = make_engine(url)
    try:
        return inbox.waiting(engine, "telegram")
    finally:
        engine.dispose()


def drain(db_url: str, kind: str, env: dict[str, str], cwd: Path, passes: int = 30) -> None:
    """`worker --once` until no row of this kind is pending and no update waits
    in the inbox, as cron would run it: the shared throttle (one message a
    second per chat) lets each pass send one per chat."""
    for _ in range(passes):
        finish = subprocess.run([KETENBOT, "worker", "--once"], env=env, cwd=cwd,
                                capture_output=True, text=True, timeout=120)
        assert finish.returncode == 0, finish.stdout + finish.stderr
        if not statuses(db_url, kind).get("pending") and not waiting_updates(db_url):
            return
    raise AssertionError(f"still pending after {passes} passes: {statuses(db_url, kind)}")


def test_worker_stops_in_time_mid_delivery(sample_db: str, tmp_path: Path) -> None:
    engine = make_engine(sample_db)
    users: dict[str, str] = {}
    with session_scope(engine) as s:
        people = s.exec(select(Person).limit(40)).all()
        for p in people:
            users[f"U{p.id}"] = p.email
            s.add(ChatIdentity(platform="slack", external_id=f"U{p.id}", person_id=p.id or 0))
        s.flush()
        for i in range(300):
            enqueue(s, dedupe_key=f"load:{i}", kind="unreachable", template="unreachable",
                    payload={"ref": None, "name": f"Persoon {i}", "platform": "Slack",
                             "why": "other", "recipient": "x"}, now=START, deliver_after=START,
                    person_id=people[i % len(people)].id)
    engine.dispose()
    with FakeSlack(users=users, delay=0.03) as fake:
        env = {**os.environ, "DATABASE_URL": sample_db, "KETENBOT_DATA_DIR": str(tmp_path),
               "KETENBOT_SLACK_BOT_TOKEN": "xoxb-sigterm", "KETENBOT_SLACK_SIGNING_SECRET": "s",
               "KETENBOT_SLACK_API_URL": fake.api_url, "KETENBOT_SWEEP_INTERVAL_SECONDS": "0.5",
               "KETENBOT_DISPATCH_INTERVAL_SECONDS": "0.5",
               # a time inside working hours is not needed: these rows are due now
               }
        log = (tmp_path / "worker.log").open("w")
        proc = subprocess.Popen([KETENBOT, "worker"], env=env, cwd=tmp_path, stdout=log,
                                stderr=subprocess.STDOUT)
        try:
            fake.wait_for("chat.postMessage", 30, timeout=60)
            took = stop(proc)
        finally:
            if proc.poll() is None:
                proc.kill()
            log.close()
        assert took < STOP_WITHIN, (tmp_path / "worker.log").read_text()
        posted = [c.args["text"] for c in fake.of("chat.postMessage")]
        done = statuses(sample_db, "unreachable")
        assert done.get("sent", 0) == len(posted) == len(set(posted))  # nothing half-done
        assert done.get("pending", 0) > 0 and "dead" not in done  # the rest stays queued

        fake.delay = 0
        drain(sample_db, "unreachable", env, tmp_path)
        posted = [c.args["text"] for c in fake.of("chat.postMessage")]
        assert statuses(sample_db, "unreachable") == {"sent": 300}
        assert len(posted) == len(set(posted)) == 300  # every message exactly once


def test_serve_stops_in_time_under_load(sample_db: str, tmp_path: Path) -> None:
    engine = make_engine(sample_db)
    user_ids = []
    with session_scope(engine) as s:
        for p in s.exec(select(Person).limit(20)).all():
            user_ids.append(7000 + (p.id or 0))
            s.add(ChatIdentity(platform="telegram", external_id=str(7000 + (p.id or 0)),
                               person_id=p.id or 0))
    engine.dispose()
    api = FakeTelegramAPI(token=TOKEN, delay=0.05).start()
    port = free_port()
    env = {**os.environ, "DATABASE_URL": sample_db, "KETENBOT_DATA_DIR": str(tmp_path),
           "PORT": str(port), "KETENBOT_HOST": "127.0.0.1",
           "KETENBOT_TELEGRAM_BOT_TOKEN": TOKEN, "KETENBOT_TELEGRAM_WEBHOOK_SECRET": "sec",
           "KETENBOT_TELEGRAM_API_URL": api.api_url}
    env.pop("KETENBOT_SLACK_BOT_TOKEN", None)
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen([KETENBOT, "serve"], env=env, cwd=tmp_path, stdout=log,
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    accepted: list[int] = []
    try:
        end = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < end and proc.poll() is None, \
                (tmp_path / "serve.log").read_text()
            time.sleep(0.1)

        def blast(first: int) -> None:
            with httpx.Client(timeout=10) as client:
                for n in range(first, first + 400, 4):
                    user = user_ids[n % len(user_ids)]
                    update = {"update_id": n, "message": {
                        "message_id": n, "date": 1_790_000_000, "text": "/wie Ede",
                        "chat": {"id": user, "type": "private"},
                        "from": {"id": user, "is_bot": False, "first_name": "x"},
                        "entities": [{"type": "bot_command", "offset": 0, "length": 4}]}}
                    try:
                        r = client.post(f"{base}/telegram/webhook", json=update,
                                        headers={"X-Telegram-Bot-Api-Secret-Token": "sec"})
                    except httpx.HTTPError:
                        return  # the server is going away
                    if r.status_code == 200:
                        accepted.append(n)

        threads = [threading.Thread(target=blast, args=(k,)) for k in range(1, 5)]
        for t in threads:
            t.start()
        while len(api.called("sendMessage")) < 20:
            time.sleep(0.05)
        took = stop(proc)
        for t in threads:
            t.join(30)
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
    try:
        assert took < STOP_WITHIN, (tmp_path / "serve.log").read_text()
        done = statuses(sample_db, "reply")
        sent_before = len(api.called("sendMessage"))
        assert done.get("sent", 0) <= sent_before
        # Every accepted update has its answer queued, or waits in the inbox.
        assert sum(done.values()) + waiting_updates(sample_db) >= len(accepted) > 0

        # The worker answers and delivers whatever serve had not: each answer
        # exactly once, one for every accepted update.
        drain(sample_db, "reply", {**env, "KETENBOT_TELEGRAM_WEBHOOK_SECRET": ""}, tmp_path)
        total = sum(statuses(sample_db, "reply").values())
        assert statuses(sample_db, "reply") == {"sent": total} and total >= len(accepted)
        assert len(api.called("sendMessage")) == total  # none lost, none twice
    finally:
        api.stop()

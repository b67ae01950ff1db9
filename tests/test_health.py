"""`ketenbot serve`'s /healthz, /readyz and /metrics, on the event loop.

The app is driven in-process through httpx's ASGI transport: each request is
an `async def` test on pytest-asyncio's loop, as the real server runs it.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

import bot.serve
from bot.app import KetenBot
from bot.config import Settings
from bot.serve import build_web_app
from scheduling.delivery.contract import Outgoing, TemporaryFailure
from scheduling.delivery.dispatch import dispatch
from storage import db
from storage.outbox import enqueue
from tests.conftest import FakeClock
from tests.test_sweep import JEROEN, make_referral, pid


def client(app: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
                             base_url="http://ketenbot")


@pytest.fixture
def kb(sample_engine: Engine, db_url: str, clock: FakeClock) -> KetenBot:
    settings = Settings(_env_file=None, database_url=db_url,  # type: ignore[call-arg]
                        ready_max_outbox_age_seconds=900)
    return KetenBot(settings, sample_engine, clock)


def queue(kb: KetenBot, key: str, minutes_ago: float, person: str | None = None,
          referral: int | None = None) -> None:
    now = kb.clock()
    with Session(kb.engine) as s:
        enqueue(s, dedupe_key=key, kind="thread" if person is None else "reminder",
                template="reminder", payload={"key": key}, now=now,
                deliver_after=now - timedelta(minutes=minutes_ago),
                person_id=pid(kb.engine, person) if person else None, referral_id=referral)
        s.commit()


async def test_healthz_answers_without_touching_the_database(kb: KetenBot) -> None:
    kb.engine.dispose()
    broken = db.make_engine("postgresql+psycopg://nobody@127.0.0.1:9/none")
    down = KetenBot(kb.settings, broken, kb.clock)
    async with client(build_web_app(down)) as http:
        assert (await http.get("/healthz")).status_code == 200
        ready = await http.get("/readyz")
    assert ready.status_code == 503 and ready.json()["status"] == "database unreachable"


async def test_readyz_is_the_database_and_its_schema_only(kb: KetenBot,
                                                         clock: FakeClock) -> None:
    referral = make_referral(kb.engine)
    async with client(build_web_app(kb)) as http:
        assert (await http.get("/readyz")).status_code == 200
        ok = await http.get("/healthz/outbox")
        assert ok.status_code == 200 and ok.json()["outbox_oldest_due_seconds"] == 0

        # A thread line due 10 minutes ago: late, but within the 15-minute limit.
        queue(kb, "thread-1", 10, referral=referral)
        assert (await http.get("/healthz/outbox")).status_code == 200
        # Nobody delivers it: 20 minutes overdue is a stuck outbox, the alert...
        clock.set(clock() + timedelta(minutes=10))
        stuck = await http.get("/healthz/outbox")
        assert stuck.status_code == 503 and "outbox stuck" in stuck.json()["status"]
        # ...but this process can still answer Slack: it stays in rotation.
        assert (await http.get("/readyz")).status_code == 200

        db.downgrade(kb.settings.db_url(), "-1")
        old = await http.get("/readyz")
        assert old.status_code == 503 and old.json()["status"] == "database not migrated"


async def test_a_message_for_someone_not_linked_does_not_count_as_stuck(
        kb: KetenBot) -> None:
    # Jeroen has no chat account: his reminder waits for him to link; that is
    # no outage of the outbox.
    queue(kb, "for-jeroen", 600, person=JEROEN)
    async with client(build_web_app(kb)) as http:
        assert (await http.get("/healthz/outbox")).status_code == 200


async def test_readyz_does_not_block_the_event_loop(
        kb: KetenBot, monkeypatch: pytest.MonkeyPatch) -> None:
    release, entered = threading.Event(), threading.Event()
    real = bot.serve.readiness

    def slow(b: KetenBot) -> tuple[bool, dict[str, object]]:
        entered.set()
        release.wait(10)  # a database that takes its time
        return real(b)

    monkeypatch.setattr(bot.serve, "readiness", slow)
    async with client(build_web_app(kb)) as http:
        pending = asyncio.create_task(http.get("/readyz"))
        while not entered.is_set():
            await asyncio.sleep(0.01)
        # Meanwhile the loop still answers.
        assert (await http.get("/healthz")).status_code == 200
        assert not pending.done()
        release.set()
        assert (await pending).status_code == 200


class Flaky:
    platform = "slack"

    def __init__(self) -> None:
        self.failures = [TemporaryFailure(retry_after=30)]

    def deliver(self, message: Outgoing) -> None:
        if self.failures:
            raise self.failures.pop(0)


def sample(text: str, name: str, labels: str = "", default: float | None = None) -> float:
    for line in text.splitlines():
        if line.startswith(f"{name}{labels} "):
            return float(line.rsplit(" ", 1)[1])
    if default is None:
        raise AssertionError(f"{name}{labels} not in metrics")
    return default


async def test_metrics(kb: KetenBot, clock: FakeClock) -> None:
    referral = make_referral(kb.engine)
    make_referral(kb.engine, ref="KB-0002", step="bepaling")
    queue(kb, "a", 3, referral=referral)
    queue(kb, "b", 1, referral=referral)
    async with client(build_web_app(kb)) as http:
        text = (await http.get("/metrics")).text
        assert sample(text, "ketenbot_outbox_backlog") == 2
        assert sample(text, "ketenbot_outbox_oldest_due_seconds") == 180
        assert sample(text, "ketenbot_open_referrals", '{step="contact"}') == 1
        assert sample(text, "ketenbot_open_referrals", '{step="bepaling"}') == 1
        # Counters belong to the process: other tests may have counted before.
        before = {k: sample(text, "ketenbot_deliveries_total",
                            f'{{platform="slack",result="{k}"}}', 0) for k in ("sent", "deferred")}
        pauses = sample(text, "ketenbot_rate_limit_pauses_total", '{platform="slack"}', 0)

        sender = Flaky()
        choose = lambda session, row: sender  # noqa: E731
        dispatch(kb.engine, clock(), [sender], choose)  # a: 429; b waits its turn
        clock.set(clock() + timedelta(minutes=1))
        dispatch(kb.engine, clock(), [sender], choose)  # both go

        text = (await http.get("/metrics")).text
    assert sample(text, "ketenbot_outbox_backlog") == 0
    labels = '{platform="slack",result="%s"}'
    assert sample(text, "ketenbot_deliveries_total", labels % "sent") == before["sent"] + 2
    assert sample(text, "ketenbot_deliveries_total", labels % "deferred") == (
        before["deferred"] + 1)
    assert sample(text, "ketenbot_rate_limit_pauses_total", '{platform="slack"}') == pauses + 1
    assert "ketenbot_sweep_seconds_bucket" in text


def test_the_worker_serves_metrics_on_its_own_port(kb: KetenBot) -> None:
    import socket

    from bot.metrics import build_registry, serve_worker_metrics

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    make_referral(kb.engine)
    serve_worker_metrics(build_registry(kb.engine, kb.clock), port, "127.0.0.1")
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    assert sample(text, "ketenbot_open_referrals", '{step="contact"}') == 1
    assert "ketenbot_deliveries_total" in text or "ketenbot_deliveries" in text


def test_a_taken_metrics_port_names_the_port_and_the_setting(
        env_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    from typer.testing import CliRunner

    from bot.cli.main import app

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setenv("KETENBOT_WORKER_METRICS_PORT", str(port))
        monkeypatch.setenv("KETENBOT_HOST", "127.0.0.1")
        result = CliRunner().invoke(app, ["worker"])
    assert result.exit_code == 2
    assert f"{port}" in result.output and "KETENBOT_WORKER_METRICS_PORT" in result.output
    assert "Traceback" not in result.output


def test_metrics_port_zero_takes_any_free_port_and_says_which(
        kb: KetenBot, caplog: pytest.LogCaptureFixture) -> None:
    from bot.metrics import build_registry, serve_worker_metrics

    caplog.set_level("INFO", logger="ketenbot.metrics")
    first = serve_worker_metrics(build_registry(kb.engine, kb.clock), 0, "127.0.0.1")
    second = serve_worker_metrics(build_registry(kb.engine, kb.clock), 0, "127.0.0.1")
    assert first != second and 0 not in (first, second)  # two workers, one host
    assert any(getattr(r, "port", None) == second for r in caplog.records)  # a field: port=
    assert "ketenbot_open_referrals" in httpx.get(f"http://127.0.0.1:{second}/metrics",
                                                  timeout=5).text


def test_workers_serve_no_metrics_unless_configured() -> None:
    assert Settings(_env_file=None).worker_metrics_port is None  # type: ignore[call-arg]

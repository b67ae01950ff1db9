"""PostgreSQL goes away mid-sweep (a TCP proxy in front of it is cut) and
comes back: the worker logs a bounded number of lines, recovers by itself,
escalates every lapse exactly once and sends no late reminders; `serve`
answers "try again in a moment" meanwhile and works again without a restart.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import make_url
from sqlmodel import Session, select

import scheduling.sweep as sweep_module
from bot.app import KetenBot
from bot.config import Settings
from bot.serve import build_web_app
from scheduling.delivery.contract import Outgoing
from scheduling.outage import DatabaseWatch
from storage import db
from storage.tables import Deadline, Outbox, ReferralEvent
from tests.conftest import PG_URL, FakeClock
from tests.fakes.slack_api import FakeSlack
from tests.fakes.tcp_proxy import TcpProxy
from tests.test_slack import USERS, Slack, set_channel, slack_settings
from tests.test_sweep import START, at, make_deadline, make_referral

pytestmark = pytest.mark.skipif(
    not PG_URL, reason="cuts a PostgreSQL server off through a TCP proxy: set TEST_DATABASE_URL")


@pytest.fixture
def pg(pg_databases: Any) -> Iterator[tuple[str, TcpProxy, str]]:
    """(direct URL, proxy, URL through the proxy) of a private sample database."""
    name, url = pg_databases.clone("sample")
    parsed = make_url(url)
    proxy = TcpProxy(parsed.host or "127.0.0.1", parsed.port or 5432).start()
    through = parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    yield url, proxy, through
    proxy.close()
    pg_databases.drop(name)


class Recorder:
    platform = "console"  # the console chooser takes every row

    def __init__(self) -> None:
        self.delivered: list[str] = []

    def deliver(self, message: Outgoing) -> None:
        self.delivered.append(f"{message.id}")


def test_worker_rides_out_a_lost_database(pg: tuple[str, TcpProxy, str],
                                          caplog: pytest.LogCaptureFixture,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    direct_url, proxy, through = pg
    direct = db.make_engine(direct_url)
    engine = db.make_engine(through)
    try:
        refs = [make_referral(direct, ref=f"KB-{i:04d}") for i in range(1, 21)]
        # Half lapsed before the outage; half lapse during it, their reminder
        # moments too: those reminders must not arrive late after it.
        outage_at = at(2026, 11, 30, 10, 0)  # a Monday morning: people get messages at once
        early = outage_at - timedelta(minutes=1)
        for i, ref in enumerate(refs):
            due = early if i % 2 == 0 else outage_at + timedelta(seconds=30)
            make_deadline(direct, ref, due=due, remind=due - timedelta(seconds=20)
                          if i % 2 else None, reminded=i % 2 == 0)
        clock = FakeClock(outage_at)
        mono = [0.0]
        watch = DatabaseWatch(monotonic=lambda: mono[0])
        bot = KetenBot(Settings(_env_file=None), engine, clock)  # type: ignore[call-arg]
        sender = Recorder()

        real_write = sweep_module.write
        cuts = []

        def write_then_lose(session: Any, plans: Any) -> None:
            if not cuts:  # the database goes away in the middle of the first sweep
                cuts.append(1)
                proxy.cut()
            real_write(session, plans)

        monkeypatch.setattr(sweep_module, "write", write_then_lose)
        caplog.set_level(logging.INFO, logger="ketenbot")

        def beat() -> None:
            watch.run("sweep", bot.sweep_once)
            watch.run("dispatch", lambda: bot.dispatch_once([sender]))

        beat()
        assert cuts and watch.down_since is not None
        for _ in range(60):  # a minute without the database, a beat a second
            clock.set(clock() + timedelta(seconds=1))
            mono[0] += 1
            beat()
        assert watch.down_since is not None and sender.delivered == []
        with Session(direct) as s:  # the interrupted sweep rolled back: nothing half-done
            assert s.exec(select(ReferralEvent)).all() == []
            assert s.exec(select(Outbox)).all() == []

        proxy.restore()
        for _ in range(40):
            clock.set(clock() + timedelta(seconds=1))
            mono[0] += 1
            beat()
        assert watch.down_since is None and watch.outages == 1

        lines = [r for r in caplog.records if r.name.startswith("ketenbot")
                 and r.levelno >= logging.WARNING]
        assert len(lines) <= 3, [r.getMessage() for r in lines]
        assert any("database unreachable" in r.getMessage() for r in lines)
        assert any("reachable again" in r.getMessage() for r in lines)

        with Session(direct) as s:
            deadlines = s.exec(select(Deadline)).all()
            assert all(d.tier >= 1 for d in deadlines)  # every lapse escalated
            events = s.exec(select(ReferralEvent)).all()
            fired = Counter((e.referral_id, e.detail.get("tier"))
                            for e in events if e.action == "escalatie")
            assert all(n == 1 for n in fired.values())  # every tier exactly once
            tiers = {d.referral_id: d.tier for d in deadlines}
            for ref in refs:
                assert tiers[ref] >= 1
                assert sum(1 for (r, _t) in fired if r == ref) == tiers[ref]
            # No late reminder: the terms lapsed first, so the reminders were dropped.
            assert [e for e in events if e.action == "herinnering"] == []
            rows = s.exec(select(Outbox)).all()
            assert not [r for r in rows if r.kind == "reminder"]
            assert all(r.status == "sent" for r in rows)
        assert sorted(sender.delivered) == sorted(str(r.id) for r in rows)  # each once
    finally:
        engine.dispose()
        direct.dispose()


async def test_serve_says_try_again_while_the_database_is_away(
        pg: tuple[str, TcpProxy, str]) -> None:
    direct_url, proxy, through = pg
    engine = db.make_engine(through)
    clock = FakeClock(START)
    try:
        with FakeSlack(users=dict(USERS)) as fake:
            set_channel(engine, "jbgld-food-valley", "C0JB")
            bot = KetenBot(slack_settings(fake), engine, clock)
            web = build_web_app(bot)
            route = next(r for r in web.routes if getattr(r, "path", "") == "/slack/events")
            runtime = route.endpoint.__self__.runtime  # type: ignore[attr-defined]
            async with web.router.lifespan_context(web), httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=web), base_url="http://ketenbot") as http:
                slack = Slack(bot, http, fake, runtime, clock)
                assert "Bram de Vries" in (await slack.command("UJEROEN", "wie Ede"))["text"]
                proxy.cut()
                for _ in range(3):
                    answer = (await slack.command("UJEROEN", "verwijs 301 Ede K-9"))["text"]
                    assert "Probeer het over een ogenblik opnieuw" in answer
                # Alive, not ready: a load balancer stops sending users here meanwhile.
                assert (await http.get("/healthz")).status_code == 200
                assert (await http.get("/readyz")).status_code == 503
                proxy.restore()
                assert "KB-0001" in (await slack.command("UJEROEN", "verwijs 301 Ede K-9"))["text"]
                assert (await http.get("/readyz")).status_code == 200
    finally:
        engine.dispose()


async def test_telegram_says_try_again_while_the_database_is_away(
        pg: tuple[str, TcpProxy, str]) -> None:
    from tests.test_telegram import JEROEN, JEROEN_TG, telegram_chat

    _direct_url, proxy, through = pg
    engine = db.make_engine(through)
    try:
        async with telegram_chat(engine, FakeClock(START)) as tg:
            tg.link(JEROEN, JEROEN_TG)
            proxy.cut()
            await tg.feed(tg.message(JEROEN_TG, "/mijn"))
            [busy] = tg.api.texts("sendMessage", chat_id=JEROEN_TG)
            assert "Probeer het over een ogenblik opnieuw" in busy
            proxy.restore()
            assert "Probeer het" not in await tg.say(JEROEN_TG, "/mijn")
    finally:
        engine.dispose()


def test_a_delivery_made_as_the_database_goes_is_not_sent_again(
        pg: tuple[str, TcpProxy, str]) -> None:
    from scheduling.delivery.dispatch import dispatch
    from scheduling.outage import database_lost
    from storage.outbox import enqueue
    from tests.test_sweep import JEROEN, pid

    direct_url, proxy, through = pg
    direct = db.make_engine(direct_url)
    engine = db.make_engine(through)
    now = at(2026, 11, 30, 10, 0)
    try:
        ref = make_referral(direct)
        with Session(direct) as s:
            enqueue(s, dedupe_key="esc:1", kind="escalation", template="escalation",
                    payload={}, now=now, deliver_after=now, person_id=pid(direct, JEROEN),
                    referral_id=ref)
            s.commit()

        class CutAfterSending(Recorder):
            def deliver(self, message: Outgoing) -> None:
                super().deliver(message)  # it went out...
                proxy.cut()  # ...and then the database went away

        sender = CutAfterSending()
        with pytest.raises(Exception) as lost:
            dispatch(engine, now, [sender], lambda s, r: sender)
        assert database_lost(lost.value)
        proxy.restore()
        later = now + timedelta(minutes=10)  # well past the row's lease
        dispatch(engine, later, [sender], lambda s, r: sender)
        assert len(sender.delivered) == 1
        with Session(direct) as s:
            assert [r.status for r in s.exec(select(Outbox))] == ["sent"]
    finally:
        engine.dispose()
        direct.dispose()

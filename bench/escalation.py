"""Escalation latency under a delivery backlog: lapse -> in the outbox -> delivered.

An open caseload (the `sweep` benchmark's: Gelderland sample, 301 referrals at
step 'contact'), everyone linked on Slack and every team with a channel. Then
a batch of 'step:contact' deadlines lapses at one moment while the worker runs
as in production (`scheduling.worker.Worker`: the sweep and the dispatcher as
separate jobs, real time) against the fake Slack Web API, rate-limited like a
workspace: at most C calls per window of W seconds, 429 + Retry-After beyond.

Reported, with the targets from issue 11:

* lapse -> every escalation written (history and outbox): within one sweep
  interval (plus that sweep's own duration), although the dispatcher is busy
  with a backlog it cannot send faster than the rate limit;
* written -> every message delivered, next to the least time the rate limit
  allows for the calls that were made (calls x W / C): ratio <= 1.2.

Small by default (1,000 referrals, 100 lapsing); `--escalation-full` runs
issue 11's size (10,000 referrals, 1,000 lapsing).
"""

from __future__ import annotations

import argparse
import math
import random
import threading
import time
from datetime import datetime, timedelta

from sqlalchemy import Engine, bindparam, insert, text, update

import bench
from bench.sweep import NOW, populate
from bot.app import KetenBot
from bot.config import Settings
from bot.slack.sender import SlackSender
from scheduling.worker import Worker
from storage.models import ChatIdentity
from storage.tables import Deadline
from tests.fakes.slack_api import FakeSlack

_DEADLINE = Deadline.__table__  # type: ignore[attr-defined]
_IDENTITY = ChatIdentity.__table__  # type: ignore[attr-defined]
TARGET_RATIO = 1.2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("escalation")
    group.add_argument("--escalation-full", action="store_true",
                       help="issue 11's size: 10,000 open referrals, 1,000 lapsing "
                            "(default: 1,000 and 100)")
    group.add_argument("--escalation-sweep-interval", type=float, default=2.0, metavar="S",
                       help="the worker's sweep interval in seconds (default: 2)")
    group.add_argument("--escalation-rate", type=str, default="100/5", metavar="C/W",
                       help="the fake workspace's limit: C calls per W seconds (default: 100/5)")


def run(args: argparse.Namespace) -> None:
    referrals, lapsing = (10_000, 1_000) if args.escalation_full else (1_000, 100)
    capacity, window = (float(x) for x in args.escalation_rate.split("/"))
    interval = args.escalation_sweep_interval
    with bench.fresh_database(args.database_url) as engine, \
            FakeSlack(capacity=int(capacity), window=window) as fake:
        populate(engine, referrals, random.Random(1))
        link_everyone(engine)
        armed = arm(engine, lapsing, random.Random(2))
        started = time.monotonic()

        def clock() -> datetime:  # the bench's world runs in real time from NOW
            return NOW + timedelta(seconds=time.monotonic() - started)

        settings = Settings(_env_file=None, slack_bot_token="xoxb-bench",  # type: ignore[call-arg]
                            slack_signing_secret="s", slack_api_url=fake.api_url)
        bot = KetenBot(settings, engine, clock)
        sender = SlackSender(bot)
        worker = Worker(bot.sweep_once, lambda stop: bot.dispatch_once([sender], stop),
                        interval, 0.2)
        lapse_at = time.monotonic() + interval / 2  # between two sweeps
        set_due(engine, armed, clock() + timedelta(seconds=interval / 2))
        worker.start()
        try:
            written_at = wait_until(lambda: escalated(engine, armed) == len(armed), 600)
            calls_before = fake.ok_calls
            delivered_at = wait_until(lambda: pending(engine) == 0, 3600)
        finally:
            worker.stop()
        calls = fake.ok_calls - calls_before
    written_s = written_at - lapse_at
    delivered_s = delivered_at - written_at
    allowed_s = calls * window / capacity  # the calls at the permitted average rate
    # A client that took no time per call: it waits out every full window but the last.
    perfect_s = (math.ceil(calls / capacity) - 1) * window
    ratio = delivered_s / allowed_s if allowed_s else float("nan")
    print(f"\nescalation ({engine.dialect.name}): {referrals:,} open referrals, "
          f"{lapsing:,} lapsing at once; fake workspace limit {capacity:.0f} calls / "
          f"{window:g} s; sweep every {interval:g} s, dispatcher every 0.2 s")
    print(f"  lapse -> all {lapsing:,} escalations in the outbox: {written_s:6.2f} s "
          f"(target: within one sweep interval, {interval:g} s, plus the sweep itself)")
    print(f"  written -> all delivered: {delivered_s:6.2f} s for {calls:,} Web API calls; "
          f"the rate limit allows {allowed_s:.2f} s: ratio {ratio:.2f} "
          f"(target <= {TARGET_RATIO}); a client taking no time per call: "
          f"{perfect_s:.2f} s")
    print(f"  calls made inside a Retry-After window: {fake.in_window}")


def link_everyone(engine: Engine) -> None:
    with engine.begin() as conn:
        ids = [r[0] for r in conn.execute(text("SELECT id FROM person"))]
        conn.execute(insert(_IDENTITY), [{"platform": "slack", "external_id": f"U{i}",
                                          "person_id": i} for i in ids])
        conn.execute(text("UPDATE team SET slack_channel = 'C' || CAST(id AS VARCHAR(12))"))


def arm(engine: Engine, n: int, rng: random.Random) -> list[int]:
    with engine.begin() as conn:
        ids = [r[0] for r in conn.execute(text(
            "SELECT id FROM deadline WHERE key = 'step:contact' ORDER BY id"))]
    return sorted(rng.sample(ids, n))


def set_due(engine: Engine, ids: list[int], due: datetime) -> None:
    """The deadlines lapse at `due` (their reminder long sent)."""
    with engine.begin() as conn:
        conn.execute(update(_DEADLINE).where(_DEADLINE.c.id.in_(bindparam("ids", expanding=True)))
                     .values(due_at=due, next_check_at=due, remind_at=None, reminded=True,
                             tier=0, status="pending"), {"ids": ids})


def escalated(engine: Engine, ids: list[int]) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM deadline WHERE tier >= 1 "
                                     "AND id IN :ids").bindparams(
            bindparam("ids", expanding=True)), {"ids": ids}).scalar_one())


def pending(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM outbox WHERE status = 'pending'"))
                   .scalar_one())


def wait_until(done: object, timeout: float) -> float:
    """Poll `done()` every 20 ms; the monotonic time it first held."""
    assert callable(done)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if done():
            return time.monotonic()
        threading.Event().wait(0.02)
    raise SystemExit(f"bench escalation: not done within {timeout:.0f} s")

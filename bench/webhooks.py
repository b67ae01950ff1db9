"""Webhook latency under load: 200 requests per second, open loop, for the Slack
endpoint, the Telegram webhook and Teams' `/api/messages` of `ketenbot serve`,
each next to a bare library app in the same run (bare slack-bolt that only
acknowledges; bare python-telegram-bot whose handler does nothing; the bare
Agents SDK echo app, bench/teams.py).

Requests are started on a fixed schedule whatever the answers do (so a slow
answer cannot hide the queue behind it) and timed from their scheduled start
to the HTTP answer, in-process through httpx's ASGI transport. Ketenbot's
Slack request runs `wie Ede` for a linked user; its Telegram request runs
`/wie Ede`, records the update as seen and queues the answer in the outbox
(sent in the background to a local fake Bot API).

Small by default (2 s per app); `--webhooks-full` runs 20 s per app.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from sqlalchemy import Engine, text
from sqlmodel import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application, CommandHandler

import bench
from bench import teams
from bench.slack import SECRET, TOKEN, USER, bare_app, prepare
from bot.app import KetenBot, system_clock
from bot.config import Settings
from bot.serve import build_web_app
from storage.db import session_scope
from storage.models import ChatIdentity, Person
from tests.fakes.slack_api import FakeSlack, command_body, signed_headers

RATE = 200  # requests per second
TG_TOKEN = "123456:BENCH-token"
TG_SECRET = "bench-webhook-secret"
TG_USER = 424242
BARE = {"slack": "bare bolt (ack only)", "telegram": "bare PTB (no-op handler)",
        "teams": "bare Agents SDK (echo)"}
TARGET_RATIO = 5.0  # ketenbot's p99 within this many times the bare framework's


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("webhooks")
    group.add_argument("--webhooks-full", action="store_true",
                       help="20 s of load per app (default: 2 s)")


Send = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


async def load(client: httpx.AsyncClient, send: Send, seconds: float) -> list[int]:
    """Open loop at RATE/s for `seconds`; latencies (ns) from each scheduled start."""
    n = int(RATE * seconds)
    latencies: list[int] = []
    failures: list[str] = []
    start = time.perf_counter_ns() + 50_000_000

    async def one(i: int) -> None:
        due = start + i * 1_000_000_000 // RATE
        await asyncio.sleep(max(0, due - time.perf_counter_ns()) / 1e9)
        r = await send(client, i)
        latencies.append(time.perf_counter_ns() - due)
        if r.status_code not in (200, 202):  # Teams accepts a message with 202
            failures.append(f"{r.status_code} {r.text[:100]}")

    await asyncio.gather(*(one(i) for i in range(n)))
    if failures:
        raise RuntimeError(f"{len(failures)} requests failed, e.g. {failures[0]}")
    return latencies


def slack_sender(fake: FakeSlack, n: int) -> Send:
    bodies = []
    for _ in range(n):  # signed before the clock starts: the client's cost
        body = command_body(USER, "wie Ede", fake.response_url())
        bodies.append((body, signed_headers(body, SECRET)))

    async def send(client: httpx.AsyncClient, i: int) -> httpx.Response:
        body, headers = bodies[i]
        return await client.post("/slack/events", content=body, headers=headers)

    return send


def telegram_sender(offset: int) -> Send:
    async def send(client: httpx.AsyncClient, i: int) -> httpx.Response:
        update = {"update_id": offset + i, "message": {
            "message_id": i + 1, "date": 1_790_000_000, "text": "/wie Ede",
            "chat": {"id": TG_USER, "type": "private"},
            "from": {"id": TG_USER, "is_bot": False, "first_name": "Bench"},
            "entities": [{"type": "bot_command", "offset": 0, "length": 4}]}}
        return await client.post("/telegram/webhook", content=json.dumps(update),
                                  headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET,
                                           "Content-Type": "application/json"})

    return send


def bare_telegram(api_url: str) -> tuple[Starlette, Application]:  # type: ignore[type-arg]
    # Concurrent updates as in ketenbot's own Application (PTB's default is one at a time).
    application = (Application.builder().token(TG_TOKEN).base_url(api_url)
                   .updater(None).concurrent_updates(64).build())

    async def nothing(update: Update, context: Any) -> None:
        return None

    application.add_handler(CommandHandler("wie", nothing))

    async def webhook(request: Request) -> Response:
        if request.headers.get("X-Telegram-Bot-Api-Secret-Token") != TG_SECRET:
            return Response(status_code=403)
        data = json.loads(await request.body())
        await application.process_update(Update.de_json(data, application.bot))
        return Response(status_code=200)

    return Starlette(routes=[Route("/telegram/webhook", webhook, methods=["POST"])]), application


def link_telegram(engine: Engine) -> None:
    with session_scope(engine) as session:
        person = session.exec(select(Person).where(
            Person.email == "jeroen.bakker@jbgld.example.org")).one()
        session.add(ChatIdentity(platform="telegram", external_id=str(TG_USER),
                                 person_id=person.id or 0))


# The fake Bot API runs in a process of its own, as Telegram would: its HTTP
# parsing must not take the measured process's CPU (the bare PTB app never calls it).
FAKE_API = f"""
import sys
from tests.fakes.telegram_api import FakeTelegramAPI
api = FakeTelegramAPI(token={TG_TOKEN!r}, keep_alive=True).start()
print(api.api_url, flush=True)
sys.stdin.read()
"""


def run(args: argparse.Namespace) -> None:
    # 200 answers a second is far over Telegram's 30/s per bot (and 1/s per
    # chat): with the throttle on, almost every answer would be left to a
    # worker the bench does not run. It measures the webhook, so: no slots.
    from scheduling.delivery.ratelimit import RateGate

    RateGate.throttle = False
    seconds = 20.0 if args.webhooks_full else 2.0
    n = int(RATE * seconds)
    fake_api = subprocess.Popen([sys.executable, "-c", FAKE_API], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
    assert fake_api.stdout is not None and fake_api.stdin is not None
    api_url = fake_api.stdout.readline().strip()
    fake_teams = teams.FakeProcess()
    try:
        with FakeSlack() as fake, bench.fresh_database(args.database_url) as engine:
            dialect = engine.dialect.name
            prepare(engine)
            link_telegram(engine)
            teams.link(engine, fake_teams.service_url)
            settings = Settings(_env_file=None, slack_bot_token=TOKEN,  # type: ignore[call-arg]
                                slack_signing_secret=SECRET, slack_api_url=fake.api_url,
                                telegram_bot_token=TG_TOKEN, telegram_webhook_secret=TG_SECRET,
                                telegram_api_url=api_url, **fake_teams.settings())
            bot = KetenBot(settings, engine, clock=system_clock(settings.timezone))
            results = asyncio.run(measure_all(bot, fake, api_url, fake_teams, seconds, n))
    finally:
        fake_api.stdin.close()
        fake_api.wait(10)
        fake_teams.close()
    print(f"\nwebhooks on {dialect}: {RATE} requests/s, open loop, {seconds:g} s "
          f"({n} requests) per app, timed from each request's scheduled start")
    drain = results.pop("telegram answers all sent, s after the load")[0][0] / 1e9
    for platform, (keten, bare) in results.items():
        k, b = bench.stats(keten), bench.stats(bare)
        print(f"\n  {platform:38} {'median ms':>10} {'p99 ms':>10}")
        print(f"  {'  ketenbot serve':38} {k.median_ms:10.2f} {k.p99_ms:10.2f}")
        label = BARE[platform]
        print(f"  {'  ' + label:38} {b.median_ms:10.2f} {b.p99_ms:10.2f}")
        print(f"  {'  ratio ketenbot / bare':38} {k.median_ms / b.median_ms:9.1f}x "
              f"{k.p99_ms / b.p99_ms:9.1f}x")
        verdict = "PASS" if k.p99_ms <= TARGET_RATIO * b.p99_ms else "FAIL"
        print(f"  target p99 within {TARGET_RATIO:g}x bare: {verdict}")
    print(f"\n  telegram: every answer sent {drain:.2f} s after the last request")


async def measure_all(bot: KetenBot, fake: FakeSlack, api_url: str,
                      fake_teams: teams.FakeProcess, seconds: float,
                      n: int) -> dict[str, tuple[list[int], list[int]]]:
    keten_app = build_web_app(bot, teams_token_provider=teams.FakeTokenProvider())
    bare_tg_app, bare_tg = bare_telegram(api_url)
    out: dict[str, tuple[list[int], list[int]]] = {}
    async with keten_app.router.lifespan_context(keten_app):
        await bare_tg.initialize()
        keten = httpx.AsyncClient(transport=httpx.ASGITransport(keten_app),
                                  base_url="http://bench", timeout=60)
        bare_slack = httpx.AsyncClient(transport=httpx.ASGITransport(bare_app(fake)),
                                       base_url="http://bench", timeout=60)
        bare_t = httpx.AsyncClient(transport=httpx.ASGITransport(bare_tg_app),
                                   base_url="http://bench", timeout=60)
        bare_ms = httpx.AsyncClient(transport=httpx.ASGITransport(teams.bare_app(fake_teams)),
                                    base_url="http://bench", timeout=60)
        async with keten, bare_slack, bare_t, bare_ms:
            # Warm-up: caches, connections, the directory in memory.
            await load(keten, slack_sender(fake, 20), 0.1)
            await load(keten, telegram_sender(10_000_000), 0.1)
            await load(keten, teams.sender(fake_teams, 10_000_000), 0.1)
            await load(bare_ms, teams.sender(fake_teams, 20_000_000), 0.1)
            await drained(bot.engine)
            # The bare app first: ketenbot's answers still being sent afterwards
            # must not weigh on the bare run.
            bare_s = await load(bare_slack, slack_sender(fake, n), seconds)
            out["slack"] = (await load(keten, slack_sender(fake, n), seconds), bare_s)
            bare_t_ns = await load(bare_t, telegram_sender(1), seconds)
            out["telegram"] = (await load(keten, telegram_sender(1), seconds), bare_t_ns)
            began = time.perf_counter()
            await drained(bot.engine)
            out["telegram answers all sent, s after the load"] = (
                [int((time.perf_counter() - began) * 1e9)], [])
            # Teams last: it answers in the request, and past what one process
            # can answer at this rate its backlog would weigh on what follows.
            bare_ms_ns = await load(bare_ms, teams.sender(fake_teams, 1), seconds)
            out["teams"] = (await load(keten, teams.sender(fake_teams, 1), seconds), bare_ms_ns)
        await bare_tg.shutdown()
    return out


async def drained(engine: Engine) -> None:
    """Wait until every update has been answered and every answer sent."""
    def pending() -> int:  # answers queued, and updates still to answer
        with engine.connect() as conn:
            return int(conn.execute(text(
                "SELECT (SELECT count(*) FROM outbox WHERE status = 'pending')"
                " + (SELECT count(*) FROM inbox)")).scalar_one())
    for _ in range(6000):
        if await asyncio.to_thread(pending) == 0:
            return
        await asyncio.sleep(0.05)
    raise RuntimeError("answers still queued after 5 minutes")

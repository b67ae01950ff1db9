"""Latency of a signed `/keten` slash command through `ketenbot serve`, next to
a bare slack-bolt app that only acknowledges.

Both are the same kind of ASGI app (Starlette + bolt's request handler, the
signature check on, the answer in the acknowledgement), driven in-process
through httpx's ASGI transport, interleaved request by request in one run. The
ratio is what ketenbot adds on top of bolt: who is asking (one indexed query),
the command (`help`, or `wie Ede` against the Gelderland sample) in a worker
thread, and the rendering. The Web API is a local fake (auth.test, once).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import httpx
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Engine
from sqlmodel import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import bench
from bot.app import KetenBot, system_clock
from bot.config import Settings
from bot.serve import build_web_app
from storage.db import session_scope
from storage.directory.importer import import_doc
from storage.directory.read import load
from storage.models import ChatIdentity, Person
from tests.conftest import SAMPLE
from tests.fakes.slack_api import FakeSlack, command_body, signed_headers

TARGET_P99_MS = 50.0
TARGET_RATIO = 3.0
SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"
USER = "UBENCH"
COMMANDS = [("help", "Commando"), ("wie Ede", "Bram de Vries")]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("slack")
    group.add_argument("--slack-requests", type=int, default=3000, metavar="N",
                       help="timed slash commands per app (default: 3000)")
    group.add_argument("--slack-warmup", type=int, default=200, metavar="N",
                       help="untimed requests first (default: 200)")


def bare_app(fake: FakeSlack) -> Starlette:
    app = AsyncApp(client=AsyncWebClient(token=TOKEN, base_url=fake.api_url),
                   signing_secret=SECRET, process_before_response=True)

    @app.command("/keten")
    async def only_ack(ack: AsyncAck) -> None:
        await ack(response_type="ephemeral", text="ok")

    handler = AsyncSlackRequestHandler(app)

    async def events(request: Request) -> Response:
        return await handler.handle(request)

    return Starlette(routes=[Route("/slack/events", events, methods=["POST"])])


def prepare(engine: Engine) -> None:
    with session_scope(engine) as session:
        result = import_doc(load(SAMPLE), session)
        assert result.ok, result.problems[:3]
        person = session.exec(select(Person).where(
            Person.email == "jeroen.bakker@jbgld.example.org")).one()
        session.add(ChatIdentity(platform="slack", external_id=USER, person_id=person.id or 0))


Samples = dict[str, tuple[list[int], list[int]]]  # command -> (ketenbot, bare)


async def measure(keten: httpx.AsyncClient, bare: httpx.AsyncClient, n: int, fake: FakeSlack,
                  ) -> Samples:
    clock = time.perf_counter_ns
    samples: Samples = {c: ([], []) for c, _ in COMMANDS}
    for i in range(n):
        text, expect = COMMANDS[i % len(COMMANDS)]
        body = command_body(USER, text, fake.response_url())
        headers = signed_headers(body, SECRET)  # signing is the client's cost: not timed
        t0 = clock()
        r1 = await keten.post("/slack/events", content=body, headers=headers)
        t1 = clock()
        r2 = await bare.post("/slack/events", content=body, headers=headers)
        t2 = clock()
        answer: dict[str, Any] = r1.json()
        if r1.status_code != 200 or expect not in answer["text"] or r2.status_code != 200:
            raise RuntimeError(f"/keten {text}: {r1.status_code} {r1.text[:200]}")
        samples[text][0].append(t1 - t0)
        samples[text][1].append(t2 - t1)
    return samples


def run(args: argparse.Namespace) -> None:
    n, warmup = args.slack_requests, args.slack_warmup
    if n < 1 or warmup < 0:
        raise SystemExit("bench slack: needs --slack-requests >= 1 and --slack-warmup >= 0")
    with FakeSlack() as fake, bench.fresh_database(args.database_url) as engine:
        dialect = engine.dialect.name
        prepare(engine)
        settings = Settings(_env_file=None, slack_bot_token=TOKEN,  # type: ignore[call-arg]
                            slack_signing_secret=SECRET, slack_api_url=fake.api_url)
        bot = KetenBot(settings, engine, clock=system_clock(settings.timezone))

        async def go() -> Samples:
            keten = httpx.AsyncClient(transport=httpx.ASGITransport(build_web_app(bot)),
                                      base_url="http://bench")
            bare = httpx.AsyncClient(transport=httpx.ASGITransport(bare_app(fake)),
                                     base_url="http://bench")
            async with keten, bare:
                await measure(keten, bare, warmup, fake)
                return await measure(keten, bare, n, fake)

        samples = asyncio.run(go())

    print(f"\nslack benchmark on {dialect}: signed /keten slash command -> HTTP response")
    print(f"  {n} requests per app after {warmup} warm-up, "
          f"alternating {', '.join(c for c, _ in COMMANDS)}")
    rows = {f"/keten {c}": s for c, s in samples.items()}
    rows["all"] = ([x for k, _ in samples.values() for x in k],
                   [x for _, b in samples.values() for x in b])
    ok_p99 = ok_ratio = False
    for label, (keten_ns, bare_ns) in rows.items():
        k, b = bench.stats(keten_ns), bench.stats(bare_ns)
        ratio = k.p99_ms / b.p99_ms
        print(f"\n  {label:34} {'median ms':>10} {'p99 ms':>10}")
        print(f"  {'  ketenbot serve (/slack/events)':34} {k.median_ms:10.3f} {k.p99_ms:10.3f}")
        print(f"  {'  bare bolt AsyncApp (ack only)':34} {b.median_ms:10.3f} {b.p99_ms:10.3f}")
        print(f"  {'  ratio ketenbot / bare':34} {k.median_ms / b.median_ms:9.1f}x "
              f"{ratio:9.1f}x")
        if label == "all":
            ok_p99, ok_ratio = k.p99_ms < TARGET_P99_MS, ratio < TARGET_RATIO
    print()
    print(f"target p99 < {TARGET_P99_MS:g} ms: {'PASS' if ok_p99 else 'FAIL'}")
    print(f"target p99 ratio < {TARGET_RATIO:g}: {'PASS' if ok_ratio else 'FAIL'}")

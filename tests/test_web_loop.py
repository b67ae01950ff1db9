"""The overview page must not stop the bot (issue 18, point 14).

`ketenbot serve` answers Slack, Telegram, /healthz and the overview on one
event loop. While a page is being built (its data function held up here on a
threading.Event: deterministic, no sleep in product code), /healthz and a
Slack slash command still answer within 100 ms, because the page's blocking
database work runs in Starlette's threadpool.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

import bot.web.figures_page
import bot.web.pages
from bot.app import KetenBot
from bot.serve import build_web_app
from tests.conftest import FakeClock
from tests.fakes.slack_api import FakeSlack, command_body, signed_headers
from tests.test_slack import JB_CHANNEL, JEROEN, MONIQUE, USERS, set_channel, slack_settings

LIMIT = 0.1  # seconds: Slack wants its ack within 3 s; the loop must stay far below that


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(users=dict(USERS)) as f:
        yield f


@pytest.fixture
async def served(sample_engine: Engine, clock: FakeClock, fake: FakeSlack
                 ) -> AsyncIterator[tuple[KetenBot, httpx.AsyncClient]]:
    set_channel(sample_engine, "jbgld-food-valley", JB_CHANNEL)
    kb = KetenBot(slack_settings(fake), sample_engine, clock)
    app = build_web_app(kb)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://ketenbot") as http:
        yield kb, http


async def sign_in(kb: KetenBot, http: httpx.AsyncClient, email: str) -> None:
    reply = kb.registry.dispatch(kb.context("console", kb.person_by_email(email)), "overzicht")
    token = str(reply.data["url"]).rsplit("/", 1)[1]
    page = await http.get(f"/overzicht/login/{token}")  # the form's CSRF token and cookie
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert csrf, page.text
    assert (await http.post("/overzicht/login", data={"token": token, "csrf": csrf.group(1)})
            ).status_code == 303


async def slash(http: httpx.AsyncClient, fake: FakeSlack, text: str) -> httpx.Response:
    from tests.test_slack import SECRET

    body = command_body("UJEROEN", text, fake.response_url())
    return await http.post("/slack/events", content=body.encode(),
                           headers=signed_headers(body, SECRET))


def held(real: Callable[..., Any], entered: threading.Event,
         release: threading.Event) -> Callable[..., Any]:
    """`real`, but it first waits (blocking, as a slow database does) until released."""
    def slow(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        release.wait(3)
        return real(*args, **kwargs)
    return slow


async def timed(call: Callable[[], Any], tries: int = 3) -> tuple[httpx.Response, float]:
    """The response and the fastest of `tries` answers: two cores shared by many test
    runs add scheduler noise; a blocked loop would make every try wait for the page."""
    best, response = float("inf"), None
    for _ in range(tries):
        start = time.perf_counter()
        response = await call()
        best = min(best, time.perf_counter() - start)
    assert response is not None
    return response, best


@pytest.mark.parametrize("path, module, name, email", [
    ("/overzicht/", bot.web.pages, "open_referrals", JEROEN),
    ("/overzicht/cijfers", bot.web.figures_page, "figures", MONIQUE),
])
async def test_healthz_and_slack_answer_while_a_slow_page_is_built(
        served: tuple[KetenBot, httpx.AsyncClient], fake: FakeSlack,
        monkeypatch: pytest.MonkeyPatch, path: str, module: Any, name: str,
        email: str) -> None:
    kb, http = served
    await sign_in(kb, http, email)
    # Warm up: the first slash command links Jeroen's Slack account (users.info).
    assert (await slash(http, fake, "help")).status_code == 200
    assert (await http.get(path)).status_code == 200  # the page works unhindered

    entered, release = threading.Event(), threading.Event()
    monkeypatch.setattr(module, name, held(getattr(module, name), entered, release))
    page = asyncio.create_task(http.get(path))
    for _ in range(300):
        if entered.is_set():
            break
        await asyncio.sleep(0.01)
    assert entered.is_set() and not page.done()  # the page is being built, and held up
    try:
        health, health_s = await timed(lambda: http.get("/healthz"))
        answer, slack_s = await timed(lambda: slash(http, fake, "help"))
        assert health.status_code == 200 and answer.status_code == 200
        assert "Commando's" in answer.json()["text"]
        assert health_s < LIMIT, f"/healthz took {health_s * 1000:.0f} ms"
        assert slack_s < LIMIT, f"the slash command took {slack_s * 1000:.0f} ms"
        assert not page.done()  # both answered while the page was still being built
    finally:
        release.set()
    assert (await page).status_code == 200

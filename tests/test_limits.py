"""Unauthenticated load: request bodies are capped per route while they stream
in, and anonymous refusals on the overview are not written one row each."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from bot.app import KetenBot
from bot.config import Settings
from bot.limits import KB, MB
from bot.serve import build_web_app
from bot.telegram.web import PATH as TELEGRAM_PATH
from bot.telegram.web import SECRET_HEADER
from storage.web_tables import WebAccess
from tests.conftest import FakeClock
from tests.fakes.slack_api import FakeSlack

ROUTES = [("/slack/events", 3 * MB), (TELEGRAM_PATH, 1 * MB), ("/overzicht/login", 64 * KB)]
TG_SECRET = "webhook-secret-value"


@pytest.fixture
def kb(sample_engine: Engine, db_url: str, clock: FakeClock) -> Iterator[KetenBot]:
    with FakeSlack(users={}) as slack:
        settings = Settings(_env_file=None, database_url=db_url,  # type: ignore[call-arg]
                            slack_bot_token="xoxb-1-limits", slack_signing_secret="limits",
                            slack_api_url=slack.api_url, telegram_bot_token="1:limits",
                            telegram_webhook_secret=TG_SECRET,
                            telegram_api_url="http://127.0.0.1:9/bot")
        yield KetenBot(settings, sample_engine, clock)


@pytest.fixture
async def http(kb: KetenBot) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_web_app(kb))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


class Flood:
    """A body that never ends (150 MB if read), counting what was taken from it."""

    def __init__(self, chunk: int = 64 * KB, total: int = 150 * MB) -> None:
        self.chunk, self.total, self.taken = chunk, total, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.taken < self.total:
            self.taken += self.chunk
            yield b"x" * self.chunk


@pytest.mark.parametrize(("path", "limit"), ROUTES)
async def test_a_declared_oversized_body_gets_413_unread(
        http: httpx.AsyncClient, path: str, limit: int) -> None:
    body = b"x" * (limit + 1)
    response = await http.post(path, content=body, headers={SECRET_HEADER: TG_SECRET})
    assert response.status_code == 413


@pytest.mark.parametrize(("path", "limit"), ROUTES)
async def test_a_streamed_body_is_cut_off_at_the_limit(
        http: httpx.AsyncClient, path: str, limit: int) -> None:
    # No Content-Length (chunked): the 150 MB POST of the report.
    flood = Flood()
    response = await http.post(path, content=flood, headers={SECRET_HEADER: TG_SECRET})
    assert response.status_code == 413
    assert flood.taken <= limit + flood.chunk  # read up to the limit, not one chunk more


async def test_a_small_form_still_gets_its_own_answer(http: httpx.AsyncClient) -> None:
    response = await http.post("/overzicht/login", content=b"token=nope",
                               headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code in (400, 403)  # the form's own refusal (bad link, no CSRF), no 413


def _rows(engine: Engine) -> list[WebAccess]:
    with Session(engine) as s:
        return list(s.exec(select(WebAccess).where(col(WebAccess.person_id).is_(None))).all())


async def test_anonymous_refusals_are_counted_not_written_one_row_each(
        http: httpx.AsyncClient, kb: KetenBot, clock: FakeClock) -> None:
    for i in range(300):
        response = await http.get("/overzicht/" if i % 2 else f"/overzicht/verwijzing/KB-{i:04}")
        assert response.status_code == 401
    rows = _rows(kb.engine)
    assert len(rows) <= 2  # one per route and status in this minute, not 300
    clock.set(clock() + timedelta(minutes=2))
    await http.get("/overzicht/")  # a new minute: the last one's totals are written
    with Session(kb.engine) as s:
        total = s.exec(select(func.sum(WebAccess.count))
                       .where(col(WebAccess.person_id).is_(None))).one()
    assert total == 301  # every refusal is still counted
    by_path: dict[tuple[str, int], int] = {}
    for r in _rows(kb.engine):
        by_path[(r.path, r.status)] = by_path.get((r.path, r.status), 0) + r.count
    assert by_path[("/overzicht/verwijzing/*", 401)] == 150
    assert by_path[("/overzicht/", 401)] == 150 + 1

"""The Telegram webhook's inbox: an update is stored before Telegram hears 200,
so a web process that stops or dies before answering loses nothing; a worker
answers it, once. Through the real webhook route and python-telegram-bot."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

import bot.telegram.inbox as telegram_inbox
import bot.telegram.web as telegram_web
from bot.serve import build_web_app
from bot.telegram.inbox import handle_stale
from bot.transports import build_inbox_jobs
from storage import inbox
from storage.tables import InboxUpdate
from tests.conftest import FakeClock
from tests.test_telegram import (
    BRAM,
    BRAM_TG,
    SECRET,
    TelegramChat,
    client,
    telegram_chat,
)

GOOD = {"X-Telegram-Bot-Api-Secret-Token": SECRET}


@pytest.fixture
async def tg(sample_engine: Engine, clock: FakeClock) -> AsyncIterator[TelegramChat]:
    async with telegram_chat(sample_engine, clock) as chat:  # with a fake Bot API of its own
        yield chat


def rows(tg: TelegramChat) -> list[InboxUpdate]:
    with Session(tg.bot.engine) as s:
        return list(s.exec(select(InboxUpdate)).all())


@pytest.fixture
def stalled(monkeypatch: pytest.MonkeyPatch) -> None:
    """A web process that stores updates but never gets to handle them."""
    monkeypatch.setattr(telegram_inbox, "HANDLERS", 0)
    monkeypatch.setattr(telegram_web, "DRAIN_SECONDS", 0.1)


async def test_an_update_is_handled_from_the_inbox_and_leaves_nothing(tg: TelegramChat) -> None:
    tg.link(BRAM, BRAM_TG)
    web = build_web_app(tg.bot)
    async with web.router.lifespan_context(web), client(web) as http:
        r = await http.post("/telegram/webhook", json=tg.message(BRAM_TG, "/wie Ede"),
                            headers=GOOD)
        assert r.status_code == 200
        for _ in range(200):
            if tg.api.called("sendMessage"):
                break
            await asyncio.sleep(0.02)
    [answer] = tg.api.called("sendMessage", chat_id=BRAM_TG)
    assert "Ede (GM0228)" in str(answer.params["text"])
    assert rows(tg) == []  # deleted in the commit that queued the answer


async def test_an_update_the_web_process_did_not_handle_is_answered_by_a_worker(
        tg: TelegramChat, stalled: None) -> None:
    tg.link(BRAM, BRAM_TG)
    web = build_web_app(tg.bot)
    update = tg.message(BRAM_TG, "/wie Ede")
    async with web.router.lifespan_context(web), client(web) as http:
        assert (await http.post("/telegram/webhook", json=update, headers=GOOD)).status_code == 200
        # Committed before the 200: the row is there while nothing answered yet.
        [row] = rows(tg)
        assert row.event_id == str(update["update_id"]) and '"/wie Ede"' in row.body
        # Telegram sending it again while it waits stores nothing twice.
        assert (await http.post("/telegram/webhook", json=update, headers=GOOD)).status_code == 200
        assert len(rows(tg)) == 1
    assert tg.api.called("sendMessage") == []
    # The process stopped and let it go: the next worker pass answers it, once.
    assert await asyncio.to_thread(handle_stale, tg.bot) == 1
    [answer] = tg.api.called("sendMessage", chat_id=BRAM_TG)
    assert "Ede (GM0228)" in str(answer.params["text"])
    assert rows(tg) == []
    assert await asyncio.to_thread(handle_stale, tg.bot) == 0
    assert len(tg.api.called("sendMessage")) == 1


async def test_a_died_web_process_leaves_its_updates_to_a_worker_once_the_claim_runs_out(
        tg: TelegramChat) -> None:
    tg.link(BRAM, BRAM_TG)
    update = tg.message(BRAM_TG, "/wie Ede")
    # What a web process that died right after its 200 leaves behind.
    inbox.store(tg.bot.engine, "telegram", [(str(update["update_id"]), json.dumps(update))],
                tg.clock())
    [jobs] = build_inbox_jobs(tg.bot)
    assert await asyncio.to_thread(jobs) == 0  # still claimed: it may yet answer
    assert tg.api.called("sendMessage") == []
    tg.clock.set(tg.clock() + inbox.CLAIM + timedelta(seconds=1))
    assert await asyncio.to_thread(jobs) == 1
    assert len(tg.api.called("sendMessage", chat_id=BRAM_TG)) == 1
    # Had that process answered after all (seen before), a late row is only deleted.
    inbox.store(tg.bot.engine, "telegram", [(str(update["update_id"]), json.dumps(update))],
                tg.clock() - inbox.CLAIM)
    assert await asyncio.to_thread(jobs) == 1
    assert len(tg.api.called("sendMessage")) == 1 and rows(tg) == []


async def test_no_database_at_the_webhook_tells_the_user_to_try_again(
        tg: TelegramChat, monkeypatch: pytest.MonkeyPatch) -> None:
    tg.link(BRAM, BRAM_TG)

    def away(*_a: object, **_k: object) -> dict[str, int]:
        raise OperationalError("INSERT", None, sqlite3.OperationalError("unable to open database"))

    monkeypatch.setattr(inbox, "store", away)
    web = build_web_app(tg.bot)
    async with web.router.lifespan_context(web), client(web) as http:
        r = await http.post("/telegram/webhook", json=tg.message(BRAM_TG, "/wie Ede"),
                            headers=GOOD)
        assert r.status_code == 200
    [answer] = tg.api.called("sendMessage", chat_id=BRAM_TG)
    assert "ogenblik" in str(answer.params["text"])


async def test_telegram_away_keeps_the_update_for_a_later_worker_pass(tg: TelegramChat) -> None:
    tg.link(BRAM, BRAM_TG)
    update = tg.message(BRAM_TG, "/wie Ede")
    inbox.store(tg.bot.engine, "telegram", [(str(update["update_id"]), json.dumps(update))],
                tg.clock() - inbox.CLAIM)
    tg.api.fail_next("getMe", status=502, retry_after=None)
    # No exception into the worker's round (its outbox goes on), the update stays.
    assert await asyncio.to_thread(handle_stale, tg.bot) == 0
    assert inbox.waiting(tg.bot.engine, "telegram") == 1
    tg.clock.set(tg.clock() + inbox.CLAIM + timedelta(seconds=1))
    assert await asyncio.to_thread(handle_stale, tg.bot) == 1
    assert len(tg.api.called("sendMessage", chat_id=BRAM_TG)) == 1

"""Telegram delivery under faults, against the fake Bot API: a command's answer
surviving flood control, a flood-control storm, a user who blocked the bot and
a group that is gone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from storage.tables import Outbox
from tests.conftest import FakeClock
from tests.test_telegram import (
    BRAM,
    BRAM_TG,
    JEROEN,
    JEROEN_TG,
    LT_GROUP,
    TelegramChat,
    telegram_chat,
)

TESS = "tess.visser@jbgld.example.org"  # the jeugdbeschermer's team leader
TESS_TG = 5003
CARLA = "carla.smit@sociaalteam-ede.example.org"
CARLA_TG = 5004


@pytest.fixture
async def tg(sample_engine: Engine, clock: FakeClock) -> AsyncIterator[TelegramChat]:
    async with telegram_chat(sample_engine, clock) as chat:
        for email, user in ((BRAM, BRAM_TG), (JEROEN, JEROEN_TG), (TESS, TESS_TG),
                            (CARLA, CARLA_TG)):
            chat.link(email, user)
        yield chat


def rows(tg: TelegramChat) -> list[Outbox]:
    with Session(tg.bot.engine) as s:
        return list(s.exec(select(Outbox).order_by(col(Outbox.id))).all())


async def tick(tg: TelegramChat) -> None:
    await tg.tick()


async def test_command_answer_survives_flood_control(tg: TelegramChat) -> None:
    tg.api.fail_next("sendMessage", retry_after=5)
    await tg.feed(tg.message(JEROEN_TG, "/wie Ede"))
    [refused] = tg.api.called("sendMessage", chat_id=JEROEN_TG)
    [row] = rows(tg)
    assert (row.kind, row.status, row.attempts) == ("reply", "pending", 1)
    assert row.deliver_after == tg.clock() + timedelta(seconds=5)
    tg.clock.set(tg.clock() + timedelta(seconds=3))
    await tick(tg)  # inside the window: no call
    assert len(tg.api.called("sendMessage")) == 1
    tg.clock.set(tg.clock() + timedelta(seconds=3))
    await tick(tg)
    await tick(tg)
    answers = tg.api.called("sendMessage", chat_id=JEROEN_TG)
    assert len(answers) == 2 and answers[1].params["text"] == refused.params["text"]
    assert "Bram de Vries" in answers[1].params["text"]
    assert [r.status for r in rows(tg)] == ["sent"]


async def test_command_answer_is_sent_at_once_and_only_once(tg: TelegramChat) -> None:
    assert "Bram de Vries" in await tg.say(JEROEN_TG, "/wie Ede")
    tg.clock.set(tg.clock() + timedelta(minutes=5))  # past the hold: the worker runs
    await tick(tg)
    assert len(tg.api.called("sendMessage", chat_id=JEROEN_TG)) == 1
    assert [r.status for r in rows(tg)] == ["sent"]


async def test_flood_control_storm_pauses_the_whole_bot(tg: TelegramChat) -> None:
    tg.team_chat("lt-ede", LT_GROUP)
    for i in range(3):
        ctx = tg.bot.context("telegram", tg.person(JEROEN))
        assert tg.bot.registry.dispatch(ctx, f"verwijs 301 Ede JB-2026-00{i}").ok
    queued = len(rows(tg))
    assert queued >= 6
    before = len(tg.api.calls)
    tg.api.fail_next("getChat", retry_after=20)
    await tick(tg)
    calls = [c.method for c in tg.api.calls[before:] if c.method != "getMe"]
    assert calls == ["getChat"]  # one call, then nothing
    tg.clock.set(tg.clock() + timedelta(seconds=19))
    await tick(tg)
    assert len(tg.api.calls) == before + 2  # getMe, getChat
    tg.clock.set(tg.clock() + timedelta(seconds=2))
    await tick(tg)
    await tick(tg)
    assert [r.status for r in rows(tg)] == ["sent"] * queued
    roots = [c for c in tg.api.called("sendMessage", chat_id=LT_GROUP)]
    assert len(roots) == 3  # one per referral, each once
    private = [c.params["text"] for c in tg.api.called("sendMessage")
               if int(c.params["chat_id"]) > 0]
    assert len(private) == len(set(private))


async def test_blocked_user_is_dead_at_once_and_people_are_told(tg: TelegramChat) -> None:
    tg.team_chat("lt-ede", LT_GROUP)
    tg.api.refuse_chat(BRAM_TG, 403, "Forbidden: bot was blocked by the user")
    ctx = tg.bot.context("telegram", tg.person(JEROEN))
    assert tg.bot.registry.dispatch(ctx, "verwijs 301 Ede JB-2026-0042").ok
    await tick(tg)
    [dead] = [r for r in rows(tg) if r.status == "dead"]
    assert dead.person_id == tg.person(BRAM).id and dead.attempts == 1
    assert dead.last_error == "telegram: Forbidden: bot was blocked by the user"
    await tick(tg)
    in_group = tg.api.texts("sendMessage", chat_id=LT_GROUP)
    assert any("Bram de Vries is niet bereikbaar via Telegram" in t for t in in_group)
    [to_tess] = tg.api.texts("sendMessage", chat_id=TESS_TG)
    assert "Bram de Vries" in to_tess and "geblokkeerd" in to_tess
    tries = len(tg.api.called("sendMessage", chat_id=BRAM_TG))
    tg.clock.set(tg.clock() + timedelta(days=1))
    await tick(tg)
    assert len(tg.api.called("sendMessage", chat_id=BRAM_TG)) == tries == 1


async def test_group_gone_is_dead_at_once_and_the_jb_side_is_told(tg: TelegramChat) -> None:
    tg.team_chat("lt-ede", LT_GROUP)
    tg.api.refuse_chat(LT_GROUP, 400, "Bad Request: chat not found")
    ctx = tg.bot.context("telegram", tg.person(JEROEN))
    assert tg.bot.registry.dispatch(ctx, "verwijs 301 Ede JB-2026-0042").ok
    await tick(tg)
    [dead] = [r for r in rows(tg) if r.status == "dead"]
    assert dead.kind == "thread" and dead.last_error == "telegram: Chat not found"
    await tick(tg)
    for user in (JEROEN_TG, TESS_TG):
        [text] = tg.api.texts("sendMessage", chat_id=user)
        assert "De draad van KB-0001 in Telegram is niet bereikbaar" in text
    tg.clock.set(tg.clock() + timedelta(hours=3))
    await tick(tg)
    assert len(tg.api.called("getChat", chat_id=LT_GROUP)) == 1


async def test_flood_control_between_line_and_root_edit_posts_the_line_once(
        tg: TelegramChat) -> None:
    tg.team_chat("lt-ede", LT_GROUP)
    ctx = tg.bot.context("telegram", tg.person(JEROEN))
    assert tg.bot.registry.dispatch(ctx, "verwijs 301 Ede JB-2026-0042").ok
    await tick(tg)
    assert tg.bot.registry.dispatch(tg.bot.context("telegram", tg.person(BRAM)),
                                    "ontvangen KB-0001").ok
    tg.api.fail_next("editMessageText", retry_after=5)
    await tick(tg)
    lines = [t for t in tg.api.texts("sendMessage", chat_id=LT_GROUP) if "stap 2" in t]
    assert len(lines) == 1 and len(tg.api.called("editMessageText")) == 1  # refused
    tg.clock.set(tg.clock() + timedelta(seconds=6))
    await tick(tg)
    lines = [t for t in tg.api.texts("sendMessage", chat_id=LT_GROUP) if "stap 2" in t]
    assert len(lines) == 1  # not posted again
    edits = tg.api.called("editMessageText", chat_id=LT_GROUP)
    assert len(edits) == 2 and "Stap 2" in edits[-1].params["text"]
    assert all(r.status == "sent" for r in rows(tg))

"""`overzicht` on Telegram: the sign-in link reaches the person only, never a group."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Engine

from tests.conftest import FakeClock
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.test_telegram import CARLA, LT_GROUP, TOKEN, TelegramChat, telegram_chat

CARLA_TG = 5003


@pytest.fixture
async def tg(sample_engine: Engine, clock: FakeClock) -> AsyncIterator[TelegramChat]:
    api = FakeTelegramAPI(token=TOKEN).start()
    async with telegram_chat(sample_engine, clock, api) as chat:
        yield chat
    api.stop()


async def test_link_in_private_chat(tg: TelegramChat) -> None:
    tg.link(CARLA, CARLA_TG)
    text = await tg.say(CARLA_TG, "/overzicht")
    assert "/overzicht/login/" in text and "15 minuten" in text


async def test_link_asked_in_a_group_goes_to_the_private_chat(tg: TelegramChat) -> None:
    tg.link(CARLA, CARLA_TG)
    before = len(tg.api.calls)
    await tg.feed(tg.message(CARLA_TG, "/overzicht", chat_id=int(LT_GROUP)))
    sent = [c.params for c in tg.api.calls[before:] if c.method == "sendMessage"]
    to_group = [p for p in sent if str(p["chat_id"]) == LT_GROUP]
    to_person = [p for p in sent if str(p["chat_id"]) == str(CARLA_TG)]
    assert len(to_group) == 1 and "login" not in str(to_group[0]["text"])
    assert "privéchat" in str(to_group[0]["text"])
    assert len(to_person) == 1 and "/overzicht/login/" in str(to_person[0]["text"])

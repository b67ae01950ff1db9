"""A tafel case lives in chat like a referral: its own topic in the lokaal
team's Telegram group, the voorzitter's private message, buttons pressed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from storage.tables import Referral
from tests.conftest import FakeClock
from tests.test_telegram import BRAM, BRAM_TG, LT_GROUP, TelegramChat, telegram_chat
from tests.test_telegram_threads import buttons

ASTRID = "astrid.vandijk@jbt-foodvalley.example.org"  # voorzitter, tafel Food Valley
ASTRID_TG = 5101


@pytest.fixture
async def tg(sample_engine: Engine, clock: FakeClock) -> AsyncIterator[TelegramChat]:
    async with telegram_chat(sample_engine, clock) as chat:
        yield chat


def tafel_case(tg: TelegramChat) -> Referral:
    with Session(tg.bot.engine) as s:
        ref = s.exec(select(Referral).where(Referral.route == "jbt")).one()
        s.expunge(ref)
        return ref


async def test_a_tafel_case_in_its_topic_with_the_voorzitters_buttons(tg: TelegramChat) -> None:
    api = tg.api
    api.forums.add(LT_GROUP)
    tg.team_chat("lt-ede", LT_GROUP)
    tg.link(BRAM, BRAM_TG)
    tg.link(ASTRID, ASTRID_TG)
    reply = await tg.say(BRAM_TG, "/tafel Ede T-2026-7")
    assert "Aangemeld voor de Jeugdbeschermingstafel: JT-0001" in reply
    await tg.tick()
    [topic] = api.called("createForumTopic", chat_id=LT_GROUP)
    assert topic.params["name"] == "JT-0001 · Jeugdbeschermingstafel · Ede"
    [root] = api.called("sendMessage", chat_id=LT_GROUP)
    assert "JT-0001 · Jeugdbeschermingstafel · Ede" in root.params["text"]
    assert "Aangemeld door: Bram de Vries" in root.params["text"]
    assert buttons(root.params) == ["k:status:1"]  # a date is typed, not pressed
    [dm] = api.called("sendMessage", chat_id=ASTRID_TG)
    assert "u bent aan zet in JT-0001" in dm.params["text"]
    assert "uiterlijk di 8 dec 2026. Afronden met /gepland JT-0001 <datum>." in dm.params["text"]

    assert "Tafel gepland" in await tg.say(ASTRID_TG, "/gepland JT-0001 3-12")
    assert "Uitkomst vastgelegd" in await tg.say(ASTRID_TG, "/uitkomst JT-0001 1")
    await tg.tick()
    edits = api.called("editMessageText", chat_id=LT_GROUP)
    assert "Stap 3" in edits[-1].params["text"]
    assert buttons(edits[-1].params) == ["k:verslag:1", "k:status:1"]

    # Bram may not record the verslag; the voorzitter presses the button.
    await tg.feed(tg.press(BRAM_TG, "k:verslag:1", chat_id=int(LT_GROUP)))
    assert api.calls[-1].params["show_alert"] == "true"
    assert tafel_case(tg).status == "open"
    await tg.feed(tg.press(ASTRID_TG, "k:verslag:1"))
    assert tafel_case(tg).status == "closed"
    await tg.tick()
    lines = api.texts("sendMessage", chat_id=LT_GROUP)
    done = "JT-0001 is afgerond: het verslag is verstuurd aan de ouders en de professional."
    assert done in lines

"""`ik` with its buttons on Slack (Block Kit) and Telegram (inline keyboard),
through the real slack-bolt and python-telegram-bot apps and the local fakes."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import select

from storage.db import session_scope
from storage.models import Person
from tests.conftest import AMS, FakeClock
from tests.fakes.slack_api import action_body
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.test_slack import (  # noqa: F401 (fixtures)
    BRAM,
    CARLA,
    Slack,
    action_ids,
    fake,
    slack,
)
from tests.test_telegram import BRAM_TG, STRANGER_TG, fake_api, telegram_chat  # noqa: F401


async def press_entry(s: Slack, user: str, word: str) -> dict[str, Any]:
    before = len(s.fake.of("response_url"))
    body = action_body(user, "x", word, s.fake.response_url("press")).replace(
        "keten_x", f"ketenik_{word}")
    response = await s.post(body)
    assert response.status_code == 200, response.text
    await s.idle()
    return s.fake.wait_for("response_url", before + 1)[-1].args


async def test_slack_ik_has_buttons_and_klopt_nog_confirms(slack: Slack) -> None:  # noqa: F811
    answer = await slack.command("UBRAM", "ik")
    assert answer["response_type"] == "ephemeral" and "Bram de Vries" in answer["text"]
    ids = action_ids(answer["blocks"])
    assert ids[:2] == ["ketenik_klopt", "ketenik_telefoon"]
    assert "ketenik_koppelgenoot" in ids

    sent = await press_entry(slack, "UBRAM", "klopt")
    assert sent["replace_original"] is True and "gegevens zijn bevestigd" in sent["text"]
    bram = slack.bot.person_by_email(BRAM)
    assert bram is not None and bram.verified_on == date(2026, 11, 24)
    # A button that needs input says how to type it, and changes nothing.
    how = await press_entry(slack, "UBRAM", "telefoon")
    assert how["response_type"] == "ephemeral" and "/keten ik telefoon" in how["text"]


async def test_telegram_ik_has_an_inline_keyboard_and_klopt_nog_confirms(
        sample_engine: Engine, clock: FakeClock, fake_api: FakeTelegramAPI) -> None:  # noqa: F811
    async with telegram_chat(sample_engine, clock, fake_api) as tg:
        tg.link(BRAM, BRAM_TG)
        before = len(tg.api.calls)
        await tg.feed(tg.message(BRAM_TG, "/ik"))
        [sent] = [c for c in tg.api.calls[before:] if c.method == "sendMessage"]
        markup = sent.params["reply_markup"]
        keyboard = (json.loads(markup) if isinstance(markup, str) else markup)["inline_keyboard"]
        data = [b["callback_data"] for row in keyboard for b in row]
        assert data[:2] == ["ik:klopt", "ik:telefoon"] and "Bram de Vries" in sent.params["text"]

        before = len(tg.api.calls)
        await tg.feed(tg.press(BRAM_TG, "ik:klopt"))
        bram = tg.bot.person_by_email(BRAM)
        assert bram is not None and bram.verified_on == date(2026, 11, 24)
        methods = [c.method for c in tg.api.calls[before:]]
        assert "answerCallbackQuery" in methods
        [fresh] = [c for c in tg.api.calls[before:] if c.method == "sendMessage"]
        assert "gegevens zijn bevestigd" in fresh.params["text"]
        # Unlinked: nothing changes.
        await tg.feed(tg.press(STRANGER_TG, "ik:klopt"))


async def test_slack_freshness_question_is_a_dm_with_the_klopt_button(slack: Slack) -> None:  # noqa: F811
    await slack.meet("UBRAM")  # links Bram's Slack account by e-mail
    with session_scope(slack.bot.engine) as s:
        bram = s.exec(select(Person).where(Person.email == BRAM)).one()
        bram.verified_on = date(2026, 6, 1)
        s.add(bram)
    slack.clock.set(datetime(2026, 12, 7, 9, 0, tzinfo=AMS))
    slack.fake.clear()
    await slack.tick()
    [dm] = [c for c in slack.fake.of("chat.postMessage") if c.args["channel"] == "DBRAM"]
    assert "Kloppen uw gegevens" in dm.args["text"]
    assert action_ids(dm.args["blocks"])[0] == "ketenik_klopt"
    await press_entry(slack, "UBRAM", "klopt")
    assert slack.bot.person_by_email(BRAM).verified_on == date(2026, 12, 7)  # type: ignore[union-attr]


async def test_slack_koppelgenoot_proposal_is_answered_with_a_button(slack: Slack) -> None:  # noqa: F811
    await slack.meet("UCARLA", "UBRAM")  # links their Slack accounts
    await slack.command("UBRAM", f"koppelgenoot {CARLA}")
    slack.fake.clear()
    await slack.tick()
    [dm] = [c for c in slack.fake.of("chat.postMessage") if c.args["channel"] == "DCARLA"]
    assert "Bram de Vries" in dm.args["text"]
    assert action_ids(dm.args["blocks"]) == ["ketenik_koppel_ja", "ketenik_koppel_nee"]
    sent = await press_entry(slack, "UCARLA", "koppel_ja")
    assert "elkaars koppelgenoot" in sent["text"]
    carla, bram = slack.bot.person_by_email(CARLA), slack.bot.person_by_email(BRAM)
    assert carla and bram and carla.koppelgenoot_id == bram.id and bram.koppelgenoot_id == carla.id

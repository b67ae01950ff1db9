"""Approving an escalation's report with a button, in Slack and in Telegram."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from storage.tables import ModelEscalation
from tests.conftest import FakeClock
from tests.test_slack import Slack, action_ids, start_referral
from tests.test_slack import fake as fake  # noqa: F401  (fixture)
from tests.test_slack import slack as slack  # noqa: F401  (fixture)
from tests.test_telegram import BRAM, BRAM_TG, JEROEN, TelegramChat, telegram_chat
from tests.test_telegram_threads import buttons


def _status(engine: Engine) -> str:
    with Session(engine) as s:
        return s.exec(select(ModelEscalation.status)).one()


async def test_slack_participant_approves_the_report_with_a_button(slack: Slack) -> None:  # noqa: F811
    await start_referral(slack)
    assert "ES-0001" in (await slack.command("UJEROEN", "escaleer KB-0001 samenwerking"))["text"]
    await slack.command("UBRAM", "trede ES-0001 2")  # Bram's first command links him
    answer = await slack.command("UJEROEN", "verslag ES-0001 plek gevonden <spoed> & geregeld")
    assert "Wacht op: Bram de Vries" in answer["text"]
    assert "&lt;spoed&gt; &amp; geregeld" in answer["text"]  # typed text, escaped for mrkdwn
    await slack.tick()
    dm = [c for c in slack.fake.of("chat.postMessage") if c.args["channel"] == "DBRAM"][-1]
    assert "legt het verslag van het overleg van trede 2 aan u voor" in dm.args["text"]
    assert action_ids(dm.args["blocks"]) == ["keten_akkoord", "keten_status"]
    values = {e["value"] for b in dm.args["blocks"] if b["type"] == "actions"
              for e in b["elements"]}
    assert values == {"ES-0001"}
    sent = await slack.press("UBRAM", "akkoord", "ES-0001")
    assert sent["replace_original"] is True and "Verslag goedgekeurd" in sent["text"]
    refused = await slack.press("UBRAM", "akkoord", "ES-0001")
    assert refused["response_type"] == "ephemeral" and "al goedgekeurd" in refused["text"]
    assert _status(slack.bot.engine) == "open"  # the leidinggevenden have not yet


@pytest.fixture
async def tg(sample_engine: Engine, clock: FakeClock) -> AsyncIterator[TelegramChat]:
    async with telegram_chat(sample_engine, clock) as chat:
        yield chat


async def test_telegram_participant_approves_the_report_with_a_button(tg: TelegramChat) -> None:
    tg.link(BRAM, BRAM_TG)
    for who, command in ((JEROEN, "verwijs 301 Ede K-1"),
                         (JEROEN, "escaleer KB-0001 zorgelijk"),
                         (BRAM, "verslag ES-0001 afspraken gemaakt")):
        reply = tg.bot.registry.dispatch(tg.bot.context("telegram", tg.person(who)), command)
        assert reply.ok, reply.data
    await tg.tick()
    dm = [c for c in tg.api.called("sendMessage", chat_id=BRAM_TG)
          if "akkoord" in c.params["text"]]
    assert not dm  # Bram recorded it: his is the first approval, no request to himself
    reply = tg.bot.registry.dispatch(tg.bot.context("telegram", tg.person(JEROEN)),
                                     "verslag ES-0001 afspraken gemaakt, aangevuld")
    assert reply.ok and reply.data["pending"] == ["Bram de Vries"]
    await tg.tick()
    [dm] = [c for c in tg.api.called("sendMessage", chat_id=BRAM_TG)
            if "verslag van het overleg" in c.params["text"]]
    assert buttons(dm.params) == ["k:akkoord:1", "k:esstatus:1"]
    await tg.feed(tg.press(BRAM_TG, "k:akkoord:1"))
    answer = tg.api.called("answerCallbackQuery")[-1]
    # The last approval records the meeting; the escalation goes on until the
    # parties say it is resolved.
    assert answer.params["text"].startswith("Overleg vastgelegd: ES-0001")
    assert _status(tg.bot.engine) == "open"

"""Telegram in the worker: messages to people, referral threads in team groups,
buttons, flood control, and one referral living on Slack and Telegram at once."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.app import KetenBot
from handlers.core import Reply
from storage.db import session_scope
from storage.models import Person
from storage.outbox import enqueue
from storage.tables import Outbox, ReferralThread
from tests.conftest import FakeClock
from tests.test_telegram import (
    BRAM,
    BRAM_TG,
    JEROEN,
    JEROEN_TG,
    LT_GROUP,
    STRANGER_TG,
    TelegramChat,
    telegram_chat,
)


@pytest.fixture
async def tg(sample_engine: Engine, clock: FakeClock) -> AsyncIterator[TelegramChat]:
    async with telegram_chat(sample_engine, clock) as chat:
        yield chat


def start_referral(tg: TelegramChat, platform: str = "telegram") -> Reply:
    ctx = tg.bot.context(platform, tg.person(JEROEN))
    reply = tg.bot.registry.dispatch(ctx, "verwijs 301 Ede JB-2026-0042")
    assert reply.ok, reply.data
    assert reply.data["ref"] == "KB-0001" and reply.data["lokaal_team"] == "Bram de Vries"
    return reply


def buttons(call_params: dict[str, Any]) -> list[str]:
    markup = call_params.get("reply_markup") or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


def outbox_for(tg: TelegramChat, email: str) -> list[Outbox]:
    pid = tg.person(email).id
    with Session(tg.bot.engine) as s:
        return list(s.exec(select(Outbox).where(Outbox.person_id == pid)).all())


async def test_forum_topic_root_and_button_press(tg: TelegramChat) -> None:
    api = tg.api
    api.forums.add(LT_GROUP)
    tg.team_chat("lt-ede", LT_GROUP)
    tg.link(BRAM, BRAM_TG)
    tg.link(JEROEN, JEROEN_TG)
    # Jeroen starts it from Telegram itself
    assert "Verwijzing gestart: KB-0001" in await tg.say(JEROEN_TG, "/verwijs 301 Ede JB-2026-0042")
    await tg.tick()

    topic = api.called("createForumTopic", chat_id=LT_GROUP)
    assert [c.params["name"] for c in topic] == ["KB-0001 · 301 · Ede"]
    # The root alone in the new topic: a "now at step 1" line would repeat it,
    # and an edit of the root just posted would change nothing.
    [root] = api.called("sendMessage", chat_id=LT_GROUP)
    assert api.called("editMessageText") == []
    assert root.params.get("message_thread_id")  # in the new topic
    assert "KB-0001 · 301-route · Ede" in root.params["text"]
    assert buttons(root.params) == ["k:ontvangen:1", "k:status:1"]
    with Session(tg.bot.engine) as s:
        thread = s.exec(select(ReferralThread)).one()
        assert (thread.platform, thread.channel) == ("telegram", LT_GROUP)
        assert thread.topic_id == str(root.params["message_thread_id"])

    # Bram's own message, with the buttons, in his private chat
    [dm] = api.called("sendMessage", chat_id=BRAM_TG)
    assert "De jeugdbeschermer zoekt contact met u" in dm.params["text"]
    assert buttons(dm.params)[0] == "k:ontvangen:1"

    # Someone unlinked, and Jeroen (not his step), press the group's button: refused
    for user, why in ((STRANGER_TG, "niet gekoppeld"), (JEROEN_TG, "die rondt u af met")):
        await tg.feed(tg.press(user, "k:volgende:1", chat_id=int(LT_GROUP)))
        answer = api.calls[-1]
        assert answer.method == "answerCallbackQuery" and answer.params["show_alert"] == "true"
        assert why in answer.params["text"] and len(answer.params["text"]) <= 200
    assert tg.referral().step == "contact"

    # Bram presses "ontvangen" on his message
    await tg.feed(tg.press(BRAM_TG, "k:ontvangen:1"))
    [answer] = [c for c in api.called("answerCallbackQuery") if "show_alert" not in c.params]
    assert answer.params["text"].startswith("Ontvangst bevestigd: KB-0001")
    assert api.called("editMessageReplyMarkup", chat_id=BRAM_TG)  # buttons used up
    assert "Ontvangst bevestigd" in api.texts("sendMessage", chat_id=BRAM_TG)[-1]
    assert tg.referral().step != "contact"

    await tg.tick()
    lines = api.called("sendMessage", chat_id=LT_GROUP)
    assert len(lines) == 2 and "staat nu op stap 2" in lines[-1].params["text"]
    assert str(lines[-1].params["message_thread_id"]) == str(root.params["message_thread_id"])
    edits = api.called("editMessageText", chat_id=LT_GROUP)
    assert str(edits[-1].params["message_id"]) == str(thread.root_id)
    assert "Stap 2" in edits[-1].params["text"]
    assert buttons(edits[-1].params)[0] == "k:volgende:1"


async def test_plain_group_replies_to_the_root(tg: TelegramChat) -> None:
    tg.team_chat("lt-ede", LT_GROUP)  # not a forum
    start_referral(tg)
    await tg.tick()
    api = tg.api
    assert api.called("createForumTopic") == []
    [root] = api.called("sendMessage", chat_id=LT_GROUP)
    assert "message_thread_id" not in root.params
    with Session(tg.bot.engine) as s:
        thread = s.exec(select(ReferralThread)).one()
    assert thread.topic_id is None
    tg.bot.registry.dispatch(tg.bot.context("telegram", tg.person(BRAM)), "ontvangen KB-0001")
    await tg.tick()
    root, line = api.called("sendMessage", chat_id=LT_GROUP)
    assert str(line.params["reply_parameters"]["message_id"]) == thread.root_id


async def test_flood_control_waited_out(tg: TelegramChat) -> None:
    tg.link(BRAM, BRAM_TG)
    start_referral(tg)
    tg.api.fail_next("sendMessage", retry_after=30)
    await tg.tick()
    [row] = outbox_for(tg, BRAM)
    assert row.status == "pending" and row.attempts == 1
    assert "flood" in (row.last_error or "") and "TEST-token" not in (row.last_error or "")
    assert row.deliver_after == tg.clock() + timedelta(seconds=30)
    tg.clock.set(tg.clock() + timedelta(seconds=20))
    await tg.tick()  # not yet
    assert len(tg.api.called("sendMessage", chat_id=BRAM_TG)) == 1
    tg.clock.set(tg.clock() + timedelta(seconds=11))
    await tg.tick()
    await tg.tick()
    attempts = tg.api.called("sendMessage", chat_id=BRAM_TG)
    assert len(attempts) == 2  # the refused one, and the one delivery
    [row] = outbox_for(tg, BRAM)
    assert row.status == "sent"


async def test_server_error_is_retried_with_backoff(tg: TelegramChat) -> None:
    tg.link(BRAM, BRAM_TG)
    start_referral(tg)
    tg.api.fail_next("sendMessage", status=502)
    await tg.tick()
    [row] = outbox_for(tg, BRAM)
    assert row.status == "pending"
    now = tg.clock()
    assert now + timedelta(seconds=1) <= row.deliver_after <= now + timedelta(seconds=2)
    tg.clock.set(tg.clock() + timedelta(seconds=3))
    await tg.tick()
    assert outbox_for(tg, BRAM)[0].status == "sent"


async def test_escalate_button_asks_first(tg: TelegramChat) -> None:
    tg.link(JEROEN, JEROEN_TG)
    start_referral(tg)
    await tg.feed(tg.press(JEROEN_TG, "k:escaleer:1"))
    question = tg.api.called("sendMessage", chat_id=JEROEN_TG)[-1]
    assert "escaleer KB-0001?" in question.params["text"]
    assert buttons(question.params) == ["k:escaleer!:1", "k:cancel:1"]
    assert tg.referral().step == "contact"
    await tg.feed(tg.press(JEROEN_TG, "k:cancel:1"))
    assert tg.referral().step == "contact"
    await tg.feed(tg.press(JEROEN_TG, "k:escaleer!:1"))
    # Confirmed, but step 6 comes only after step 5: refused, with the reason.
    refusal = tg.api.called("answerCallbackQuery")[-1]
    assert refusal.params["show_alert"] == "true" and "stap 1" in refusal.params["text"]
    assert tg.referral().step == "contact"
    assert len(tg.api.called("answerCallbackQuery")) == 3  # every press answered


# -- one referral, two platforms -------------------------------------------------------

@pytest.fixture
def slack() -> Iterator[Any]:
    pytest.importorskip("bot.slack.sender")
    from tests.fakes.slack_api import FakeSlack

    fake = FakeSlack().start()
    yield fake
    fake.stop()


def senders(tg: TelegramChat, slack: Any) -> list[Any]:
    from bot.slack.sender import SlackSender

    tg.bot.settings.slack_bot_token = "xoxb-test"
    tg.bot.settings.slack_api_url = slack.api_url
    return [SlackSender(tg.bot), tg.sender]


def set_preferred(bot: KetenBot, email: str, platform: str) -> None:
    with session_scope(bot.engine) as s:
        person = s.exec(select(Person).where(Person.email == email)).one()
        person.preferred_platform = platform
        s.add(person)


async def test_linked_on_both_gets_one_message_on_the_preferred(tg: TelegramChat,
                                                                 slack: Any) -> None:
    from handlers.accounts.linking import link

    tg.link(BRAM, BRAM_TG)
    with session_scope(tg.bot.engine) as s:
        link(s, "slack", "UBRAM", tg.person(BRAM).id or 0)
    set_preferred(tg.bot, BRAM, "telegram")
    start_referral(tg, "slack")
    await tg.tick(senders(tg, slack))
    assert len(tg.api.called("sendMessage", chat_id=BRAM_TG)) == 1
    assert slack.of("conversations.open") == []
    # the other way round: his next message goes to Slack only
    set_preferred(tg.bot, BRAM, "slack")
    [first] = outbox_for(tg, BRAM)
    with session_scope(tg.bot.engine) as s:
        enqueue(s, dedupe_key="again", kind="notice", template=first.template,
                payload=first.payload, now=tg.clock(), deliver_after=tg.clock(),
                person_id=first.person_id, referral_id=first.referral_id)
    await tg.tick(senders(tg, slack))
    assert len(tg.api.called("sendMessage", chat_id=BRAM_TG)) == 1
    [opened] = slack.of("conversations.open")
    assert opened.args["users"] == "UBRAM"
    last = str(slack.of("chat.postMessage")[-1].args["text"])
    assert "De jeugdbeschermer zoekt contact met u" in last


async def test_referral_on_slack_acknowledged_on_telegram(tg: TelegramChat, slack: Any) -> None:
    tg.team_chat("jbgld-food-valley", None, slack="CJB")
    tg.team_chat("lt-ede", LT_GROUP)
    tg.link(BRAM, BRAM_TG)
    start_referral(tg, "slack")
    both = senders(tg, slack)
    await tg.tick(both)
    slack_root = slack.of("chat.postMessage")[0]
    assert slack_root.args["channel"] == "CJB" and "thread_ts" not in slack_root.args
    tg_root = tg.api.called("sendMessage", chat_id=LT_GROUP)[0]
    assert "KB-0001" in tg_root.params["text"]

    await tg.feed(tg.press(BRAM_TG, "k:ontvangen:1"))
    assert tg.api.called("answerCallbackQuery")
    await tg.tick(both)

    in_thread = [c for c in slack.of("chat.postMessage") if c.args.get("thread_ts")]
    assert "staat nu op stap 2" in str(in_thread[-1].args["text"])
    with Session(tg.bot.engine) as s:
        threads = {t.platform: t for t in s.exec(select(ReferralThread)).all()}
    assert set(threads) == {"slack", "telegram"}
    assert in_thread[-1].args["thread_ts"] == threads["slack"].root_id
    update = slack.of("chat.update")[-1]
    assert update.args["ts"] == threads["slack"].root_id
    assert "Stap 2-3" in str(update.args["text"])
    edit = tg.api.called("editMessageText", chat_id=LT_GROUP)[-1]
    assert str(edit.params["message_id"]) == threads["telegram"].root_id
    assert "Stap 2-3" in edit.params["text"]
    # the JB team has no Telegram group: the referral lives in the LT's group only
    assert threads["telegram"].channel == LT_GROUP

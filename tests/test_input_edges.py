"""Hostile or broken chat input: one normalisation before anything sees it,
and the BSN guard on that normalised text and on every free-text field."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Engine

from storage.privacy import any_bsn, contains_bsn
from tests.conftest import FakeClock
from tests.test_referrals import BRAM, JEROEN, Chat, to_start
from tests.test_referrals import chat as chat  # noqa: F401  (fixture)
from tests.test_referrals import started as started  # noqa: F401  (fixture)
from tests.test_slack import Slack
from tests.test_slack import fake as fake  # noqa: F401  (fixture)
from tests.test_slack import slack as slack  # noqa: F401  (fixture)
from tests.test_telegram import JEROEN_TG, TelegramChat, telegram_chat

BSN = "111222333"  # passes the elfproef


@pytest.mark.parametrize("text", [
    "111\t222\t333",
    "111\u00a0222\u00a0333",           # no-break spaces (a copy from Word or a web page)
    "111\u202f222\u2009333",           # narrow no-break and thin space
    "111\n222\n333",
    "111\r\n222\r\n333",
    "111\u2028222333",                 # Unicode line separator
    "111 - 222 - 333",                 # spaced dashes
    "111\u2013222\u2014333",           # en and em dash
    "111\u2212222\u2010333",           # minus sign, hyphen
    "111\u00b7222\u00b7333",           # middle dots
    "1.1.1.2.2.2.3.3.3",
    "111\u200b222\u200b333",           # zero-width spaces
    "111\u00ad222\u00ad333",           # soft hyphens
    "１１１２２２３３３",               # full-width digits
    "١١١٢٢٢٣٣٣",                       # Arabic-Indic digits
    "bsn:\t111 222 333.",
    "100031 111222333",                 # no country code: six digits before it
    "KB-0001 111222333",                # "0001" is no country code either
])
def test_bsn_variants_are_found(text: str) -> None:
    assert contains_bsn(text)


@pytest.mark.parametrize("text", [
    "+31\t6 0000 1271",                # a phone number, with a tab after the country code
    "+31\u00a06\u00a00000\u00a01271",
    "+31  6  0000  1271",
    "0031 6 0000 1271",                # the same number with 00 for the plus
    "0031-6-00001271",
    "KB-0001 2026-11-24",
    "111222334",                        # fails the elfproef
    "1112223330",                       # ten digits
])
def test_numbers_that_are_no_bsn_pass(text: str) -> None:
    assert not contains_bsn(text)


def test_any_bsn_looks_into_nested_detail() -> None:
    assert any_bsn({"reden": "ok", "extra": ["x", {"y": "111 222 333"}]})
    assert not any_bsn({"reden": "geen plek", "n": 3, "lijst": ["KB-0001"]})


@pytest.mark.parametrize("command", [
    "afwijzing KB-0001 kind\t111\t222\t333",
    "afwijzing KB-0001 bsn\u00a0111\u00a0222\u00a0333",
    "intrekken KB-0001 zie 111\n222\n333",
    "escaleer KB-0001\u00a0111.222.333",
    "status\tKB-0001 111 222 333",
    "verwijs 301 Ede 111-222-333",
    "verwijs\u00a0301 Ede\t111\u2013222\u2013333",
])
def test_bsn_with_other_whitespace_in_a_free_text_field_is_refused(started: Chat,
                                                                    command: str) -> None:
    if command.startswith("afwijzing"):
        to_start(started)  # a provider may reject from here
    started.refused(JEROEN, command, "bsn")


def test_tab_separates_the_command_word(started: Chat) -> None:
    reply = started.do(JEROEN, "status\tKB-0001")
    assert reply.ok and reply.data["ref"] == "KB-0001"


def test_over_long_reason_is_refused_not_cut_into_a_bsn(started: Chat) -> None:
    to_start(started)
    # Cut at 200 characters, this reason would end in "111222333" (a BSN).
    reason = "x" * 191 + BSN + "0"
    text = started.refused(JEROEN, f"intrekken KB-0001 {reason}", "field_too_long")
    assert "te lang" in text and "200" in text
    started.ok(JEROEN, "afwijzing KB-0001 geen plek")
    assert started.events()[-2][3]["reden"] == "geen plek"


@pytest.mark.parametrize("text", [
    "wie Ede\x00", "status KB-0001 \ud800", "wie \udcff", "\x1b[31mwie Ede", "wie\x7fEde",
])
def test_nul_control_and_lone_surrogates_are_refused(started: Chat, text: str) -> None:
    nl = started.refused(JEROEN, text, "text_unreadable")
    assert "geen tekst" in nl


def test_over_long_message_is_refused(started: Chat) -> None:
    started.refused(JEROEN, "wie " + "Ede " * 5000, "text_too_long")


def test_text_is_nfc_before_the_handlers(started: Chat) -> None:
    started.ok(JEROEN, "intrekken KB-0001 dubbel ingevoerd, zie e\u0301e\u0301rdere")
    assert started.events()[-1][3] == {"reden": "dubbel ingevoerd, zie éérdere"}


def test_console_refuses_unreadable_lines(chat: Chat) -> None:
    from bot.console import ConsoleSession

    session = ConsoleSession(chat.bot, chat.person(JEROEN), None, __import__("io").StringIO())
    assert "geen tekst" in session.handle(":als a\udcff@example.org")
    assert "geen tekst" in session.handle("wie\x00 Ede")


# -- the refusal tells the truth about where the message still is -------------------------


async def test_slack_dm_with_a_bsn_asks_to_delete_it_in_slack(slack: Slack) -> None:
    assert (await slack.event("UJEROEN", "wie Ede 111\t222\t333", "Ev9")).status_code == 200
    await slack.idle()
    text = slack.fake.of("chat.postMessage")[0].args["text"]
    assert "BSN" in text and "Slack bewaart" in text and "verwijder het daar" in text
    assert "niet bewaard" not in text and "111" not in text


async def test_slack_link_word_gets_the_normalisation_too(slack: Slack) -> None:
    # JSON may carry a lone surrogate ("\\ud800"); a form-encoded command cannot.
    assert (await slack.event("USTRANGER", "koppel \ud800ABC", "Ev10")).status_code == 200
    await slack.idle()
    assert "geen tekst" in slack.fake.of("chat.postMessage")[0].args["text"]


@pytest.fixture
async def tg(sample_engine: Engine, clock: FakeClock) -> AsyncIterator[TelegramChat]:
    async with telegram_chat(sample_engine, clock) as chat:
        yield chat


async def test_telegram_bsn_refusal_asks_to_delete_it_in_telegram(tg: TelegramChat) -> None:
    tg.link(JEROEN, JEROEN_TG)
    text = await tg.say(JEROEN_TG, "wie Ede 111\u00a0222\u00a0333")
    assert "BSN" in text and "Telegram bewaart" in text and "niet bewaard" not in text


async def test_telegram_start_with_a_half_character_is_a_wrong_code(tg: TelegramChat) -> None:
    assert "klopt niet" in await tg.say(JEROEN_TG, "/start \ud800")


def test_bram_may_still_work_after_refusals(started: Chat) -> None:
    started.refused(BRAM, "ontvangen KB-0001 \x00", "text_unreadable")
    started.ok(BRAM, "ontvangen KB-0001")


def test_history_detail_is_checked_again_whatever_path_it_came_by(started: Chat) -> None:
    """Defence in depth: a new command that forgets the guard still stores no BSN."""
    from sqlmodel import select

    from handlers.core import Refused
    from handlers.referrals.flow import record
    from storage.db import session_scope
    from storage.tables import Referral

    before = started.state()
    ctx = started.bot.context("console", started.person(JEROEN), "nl")
    with pytest.raises(Refused) as refused, session_scope(started.engine) as session:
        ref = session.exec(select(Referral)).one()
        record(session, ctx, ref, "afwijzing", ctx.actor, reden="zie 111\u2009222\u2009333")
    assert refused.value.reply.data == {"code": "bsn"}
    assert started.state() == before

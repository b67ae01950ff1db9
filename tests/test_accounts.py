"""Accounts under attack, through the real Telegram Application and the registry:
link codes stay private, a new link is announced and can be undone, one account
per person per platform, removal ends access, personal answers leave groups,
strangers cannot make the bot talk, and the link-code races hold."""

from __future__ import annotations

from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.app import KetenBot
from bot.cli.main import app as cli_app
from bot.config import Settings
from handlers.accounts.linking import link, new_code, redeem
from messages import Renderer
from scheduling.delivery.contract import Outgoing
from storage.db import session_scope
from storage.models import ChatIdentity
from storage.tables import LinkCode, Outbox
from tests.conftest import FakeClock
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.test_telegram import (
    BRAM,
    CARLA,
    LT_GROUP,
    STRANGER_TG,
    TOKEN,
    TelegramChat,
    telegram_chat,
)

CARLA_TG, CARLA_SLACK = 5003, "UCARLA"


@pytest.fixture
async def tg(sample_engine: Engine, clock: FakeClock) -> AsyncIterator[TelegramChat]:
    api = FakeTelegramAPI(token=TOKEN).start()
    async with telegram_chat(sample_engine, clock, api) as chat:
        yield chat
    api.stop()


class Recorder:
    """A platform's sender that keeps what it was given (the worker's side)."""

    def __init__(self, platform: str) -> None:
        self.platform = platform
        self.got: list[str] = []
        self.renderer = Renderer(platform)

    def paused_until(self, now: Any) -> None:
        return None

    def deliver(self, message: Outgoing) -> None:
        self.got.append(self.renderer.render_name(message.template, message.payload, "nl"))


def plain_bot(engine: Engine, clock: FakeClock) -> KetenBot:
    return KetenBot(Settings(_env_file=None), engine, clock)  # type: ignore[call-arg]


def sent(tg: TelegramChat, since: int) -> list[tuple[str, str]]:
    return [(str(c.params["chat_id"]), str(c.params["text"])) for c in tg.api.calls[since:]
            if c.method == "sendMessage"]


def identities(engine: Engine, email_person_id: int) -> list[tuple[str, str]]:
    with Session(engine) as s:
        return [(i.platform, i.external_id) for i in s.exec(select(ChatIdentity).where(
            ChatIdentity.person_id == email_person_id)).all()]


# -- item 1: the link code never reaches a group; a new link is told and undone --------

async def test_link_code_asked_in_a_group_goes_privately(tg: TelegramChat) -> None:
    tg.link(CARLA, CARLA_TG)
    before = len(tg.api.calls)
    await tg.feed(tg.message(CARLA_TG, "/koppelcode", chat_id=int(LT_GROUP)))
    out = sent(tg, before)
    in_group = [t for chat, t in out if chat == LT_GROUP]
    private = [t for chat, t in out if chat == str(CARLA_TG)]
    assert len(in_group) == 1 and "privéchat" in in_group[0]
    assert len(private) == 1 and "Uw koppelcode:" in private[0]
    code = private[0].split("Uw koppelcode: ")[1].split()[0]
    assert code not in in_group[0]


async def test_new_link_is_announced_elsewhere_and_replaces_the_old(tg: TelegramChat) -> None:
    carla = tg.person(CARLA)
    tg.link(CARLA, CARLA_TG)
    with session_scope(tg.bot.engine) as s:
        link(s, "slack", CARLA_SLACK, carla.id or 0)
    code = new_code(tg.bot.engine, carla.id or 0, tg.clock())
    before = len(tg.api.calls)
    await tg.feed(tg.message(STRANGER_TG, f"/start {code}"))  # a member who saw the code
    [answer] = [t for chat, t in sent(tg, before) if chat == str(STRANGER_TG)]
    assert "Uw vorige Telegram-account is ontkoppeld" in answer and "/ontkoppel" in answer
    # The account it replaced hears it at once ...
    old = [t for chat, t in sent(tg, before) if chat == str(CARLA_TG)]
    assert len(old) == 1 and "niet meer gekoppeld" in old[0]
    # ... and so does Carla on Slack, with how to undo it.
    slack = Recorder("slack")
    await tg.tick([slack, tg.sender])
    assert len(slack.got) == 1
    assert "Telegram-account aan u gekoppeld" in slack.got[0]
    assert "vervangt uw vorige" in slack.got[0] and "/keten ontkoppel telegram" in slack.got[0]
    # one Telegram account per person: the old one is gone
    assert sorted(identities(tg.bot.engine, carla.id or 0)) == [
        ("slack", CARLA_SLACK), ("telegram", str(STRANGER_TG))]
    assert tg.bot.person_by_identity("telegram", str(CARLA_TG)) is None
    # Carla undoes it from Slack.
    reply = tg.bot.registry.dispatch(tg.bot.context("slack", carla), "ontkoppel telegram")
    assert reply.template == "unlinked" and reply.data["platforms"] == ["telegram"]
    assert tg.bot.person_by_identity("telegram", str(STRANGER_TG)) is None
    assert "niet gekoppeld" in await tg.say(STRANGER_TG, "/mijn")


async def test_ontkoppel_on_telegram_and_usage(tg: TelegramChat) -> None:
    tg.link(CARLA, CARLA_TG)
    assert "Ontkoppeld: Telegram" in await tg.say(CARLA_TG, "/ontkoppel")
    assert tg.bot.person_by_identity("telegram", str(CARLA_TG)) is None
    tg.link(CARLA, CARLA_TG)
    assert "Gebruik:" in await tg.say(CARLA_TG, "/ontkoppel whatsapp")
    assert tg.bot.person_by_identity("telegram", str(CARLA_TG)) is not None


def test_admin_unlink_from_the_command_line(env_db: str, sample_engine: Engine,
                                            clock: FakeClock) -> None:
    engine = sample_engine
    carla = plain_bot(engine, clock).person_by_email(CARLA)
    assert carla is not None
    with session_scope(engine) as s:
        link(s, "telegram", str(CARLA_TG), carla.id or 0)
        link(s, "slack", CARLA_SLACK, carla.id or 0)
    runner = CliRunner()
    r = runner.invoke(cli_app, ["unlink", CARLA, "--platform", "telegram"])
    assert r.exit_code == 0 and "telegram" in r.output, r.output
    assert identities(engine, carla.id or 0) == [("slack", CARLA_SLACK)]
    r = runner.invoke(cli_app, ["unlink", CARLA])
    assert r.exit_code == 0 and identities(engine, carla.id or 0) == []
    assert runner.invoke(cli_app, ["unlink", CARLA, "--platform", "fax"]).exit_code == 2
    assert runner.invoke(cli_app, ["unlink", "niemand@example.org"]).exit_code == 1


# -- item 3: removal ends chat access ---------------------------------------------------

async def test_removed_person_loses_telegram_and_their_codes(tg: TelegramChat) -> None:
    bram = tg.person(BRAM)
    tg.link(BRAM, 5001)
    code = new_code(tg.bot.engine, bram.id or 0, tg.clock())
    with session_scope(tg.bot.engine) as s:  # nothing of his open: he may be removed
        from storage.tables import Referral

        assert not s.exec(select(Referral)).all()
    reply = tg.bot.registry.dispatch(tg.bot.context("console", tg.person(CARLA)),
                                     f"verwijder {BRAM}")
    assert reply.template == "contact_done", reply
    assert "niet gekoppeld" in await tg.say(5001, "/mijn")
    tg.clock.set(tg.clock() + timedelta(minutes=61))
    assert "klopt niet" in await tg.say(STRANGER_TG, f"/start {code}")  # his code died too


# -- item 7: personal answers leave the group -----------------------------------------

@pytest.mark.parametrize("command", ["/mijn", "/status KB-0001", "/ik", "/overzicht"])
async def test_personal_answers_asked_in_a_group_go_privately(tg: TelegramChat,
                                                              command: str) -> None:
    tg.link(CARLA, CARLA_TG)
    private_answer = await tg.say(CARLA_TG, command)
    before = len(tg.api.calls)
    await tg.feed(tg.message(CARLA_TG, command, chat_id=int(LT_GROUP)))
    out = sent(tg, before)
    in_group = [t for chat, t in out if chat == LT_GROUP]
    private = [t for chat, t in out if chat == str(CARLA_TG)]
    assert len(in_group) == 1 and "privéchat" in in_group[0], out
    assert len(private) == 1
    assert private[0].splitlines()[0][:20] == private_answer.splitlines()[0][:20]


async def test_other_commands_in_a_group_stay_in_the_group(tg: TelegramChat) -> None:
    tg.link(CARLA, CARLA_TG)
    before = len(tg.api.calls)
    await tg.feed(tg.message(CARLA_TG, "/wie Ede", chat_id=int(LT_GROUP)))
    assert [chat for chat, _ in sent(tg, before)] == [LT_GROUP]


# -- item 9: strangers and rate limits -------------------------------------------------

async def test_unlinked_accounts_get_one_answer_an_hour(tg: TelegramChat) -> None:
    before = len(tg.api.calls)
    for i in range(200):
        await tg.feed(tg.message(STRANGER_TG, f"/wie Ede{i}"))
    for _ in range(20):
        await tg.feed(tg.message(STRANGER_TG, "/help"))
    assert len(sent(tg, before)) == 1
    with Session(tg.bot.engine) as s:
        assert s.exec(select(func.count()).select_from(Outbox)).one() == 1
    tg.clock.set(tg.clock() + timedelta(minutes=61))
    assert "niet gekoppeld" in await tg.say(STRANGER_TG, "/mijn")
    # Another stranger has an answer of their own.
    assert "niet gekoppeld" in await tg.say(STRANGER_TG + 1, "/mijn")


async def test_sign_in_links_and_link_codes_are_limited_per_person(tg: TelegramChat) -> None:
    tg.link(CARLA, CARLA_TG)
    for _ in range(5):
        assert "/overzicht/login/" in await tg.say(CARLA_TG, "/overzicht")
    refused = await tg.say(CARLA_TG, "/overzicht")
    assert "Te vaak gevraagd" in refused and "/overzicht/login/" not in refused
    for _ in range(5):
        assert "Uw koppelcode" in await tg.say(CARLA_TG, "/koppelcode")
    assert "Te vaak gevraagd" in await tg.say(CARLA_TG, "/koppelcode")
    with Session(tg.bot.engine) as s:
        assert s.exec(select(func.count()).select_from(LinkCode)).one() == 5
    tg.clock.set(tg.clock() + timedelta(hours=1, minutes=1))
    assert "/overzicht/login/" in await tg.say(CARLA_TG, "/overzicht")


# -- item 1: the races, with real concurrency (threads, a connection each) -------------

def _together(n: int, work: Any) -> list[Any]:
    start = Barrier(n)

    def one(i: int) -> Any:
        start.wait()
        return work(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def test_one_code_redeemed_by_sixteen_accounts_at_once(sample_engine: Engine,
                                                       clock: FakeClock) -> None:
    carla = plain_bot(sample_engine, clock).person_by_email(CARLA)
    assert carla is not None
    code = new_code(sample_engine, carla.id or 0, clock())
    results = _together(16, lambda i: redeem(sample_engine, "telegram", str(7000 + i), code,
                                             clock()))
    winners = [r for r in results if r.person is not None]
    assert len(winners) == 1
    assert {r.reason for r in results if r.person is None} == {"used"}
    assert len(identities(sample_engine, carla.id or 0)) == 1


def test_sixteen_concurrent_wrong_guesses_hit_the_lock_at_five(sample_engine: Engine,
                                                               clock: FakeClock) -> None:
    carla = plain_bot(sample_engine, clock).person_by_email(CARLA)
    assert carla is not None
    results = _together(16, lambda i: redeem(sample_engine, "telegram", str(STRANGER_TG),
                                             f"WRONG{i:03d}", clock()))
    reasons = sorted(str(r.reason) for r in results)
    assert reasons.count("invalid") == 5 and reasons.count("throttled") == 11
    good = new_code(sample_engine, carla.id or 0, clock())
    assert redeem(sample_engine, "telegram", str(STRANGER_TG), good, clock()).reason == \
        "throttled"

"""Telegram: the real python-telegram-bot Application against a fake Bot API.

Updates go through the Application's own update path (`process_update`, and
the webhook over HTTP); replies, buttons and thread posts are what the fake
Bot API (tests/fakes/telegram_api.py) recorded. The Application runs on the
test's own event loop (`async def` tests, pytest-asyncio), as under `serve`;
the worker's sender runs in a thread, as in `ketenbot worker`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from telegram import Update

from bot.app import KetenBot
from bot.config import Settings
from bot.serve import build_web_app
from bot.telegram.app import build_application
from bot.telegram.sender import TelegramSender
from handlers.accounts.linking import link, new_code
from storage.db import session_scope
from storage.models import Person, Team
from storage.tables import Outbox, ProcessedEvent, Referral
from tests.conftest import FakeClock
from tests.fakes.telegram_api import FakeTelegramAPI

TOKEN = "123456:TEST-token_abc"
SECRET = "webhook-secret-42"
JEROEN = "jeroen.bakker@jbgld.example.org"  # jeugdbeschermer, team jbgld-food-valley
BRAM = "bram.devries@sociaalteam-ede.example.org"  # LT Ede: gets KB-0001 (Anouk is away)
CARLA = "carla.smit@sociaalteam-ede.example.org"  # LT Ede teamleider
BRAM_TG, JEROEN_TG, STRANGER_TG = 5001, 5002, 6666
LT_GROUP, JB_GROUP = "-1001000000001", "-1001000000002"


class TelegramChat:
    """Telegram users talking to the bot through the real Application."""

    def __init__(self, bot: KetenBot, api: FakeTelegramAPI, clock: FakeClock) -> None:
        self.bot, self.api, self.clock = bot, api, clock
        self.app = build_application(bot)
        self.next_update = 1
        self._sender: TelegramSender | None = None

    async def close(self) -> None:
        await self.app.shutdown()
        if self._sender:
            await asyncio.to_thread(self._sender.close)

    async def tick(self, senders: list[Any] | None = None) -> None:
        """The worker's beat, in a thread as in `ketenbot worker` (the sender
        has its own event loop there)."""
        await asyncio.to_thread(self.bot.tick, senders or [self.sender])

    @property
    def sender(self) -> TelegramSender:
        if self._sender is None:
            self._sender = TelegramSender(self.bot)
        return self._sender

    # -- updates -------------------------------------------------------------------
    def update(self, **body: Any) -> dict[str, Any]:
        self.next_update += 1
        return {"update_id": self.next_update, **body}

    def message(self, user_id: int, text: str, chat_id: int | None = None) -> dict[str, Any]:
        chat = chat_id or user_id
        msg: dict[str, Any] = {
            "message_id": self.next_update + 1000, "date": 1_790_000_000, "text": text,
            "chat": {"id": chat, "type": "private" if chat > 0 else "supergroup"},
            "from": {"id": user_id, "is_bot": False, "first_name": f"user{user_id}"},
        }
        if text.startswith("/"):
            msg["entities"] = [{"type": "bot_command", "offset": 0,
                                "length": len(text.split()[0])}]
        return self.update(message=msg)

    def press(self, user_id: int, data: str, chat_id: int | None = None,
              message_id: int = 77) -> dict[str, Any]:
        chat = chat_id or user_id
        return self.update(callback_query={
            "id": f"cb{self.next_update}", "chat_instance": "ci", "data": data,
            "from": {"id": user_id, "is_bot": False, "first_name": f"user{user_id}"},
            "message": {"message_id": message_id, "date": 1_790_000_000, "text": "…",
                        "chat": {"id": chat, "type": "private" if chat > 0 else "supergroup"}},
        })

    async def feed(self, update: dict[str, Any]) -> None:
        await self.app.process_update(Update.de_json(update, self.app.bot))
        # Answers are queued and sent in the background: wait for those under way.
        await self.app.bot_data["ketenbot"].replies.idle()

    async def say(self, user_id: int, text: str) -> str:
        """Send a message; the bot's one reply to that chat."""
        before = len(self.api.calls)
        await self.feed(self.message(user_id, text))
        replies = [c for c in self.api.calls[before:] if c.method == "sendMessage"]
        assert len(replies) == 1, [c.method for c in self.api.calls[before:]]
        assert str(replies[0].params["chat_id"]) == str(user_id)
        assert "parse_mode" not in replies[0].params  # plain text: nothing to escape
        return str(replies[0].params["text"])

    # -- the directory -------------------------------------------------------------
    def person(self, email: str) -> Person:
        person = self.bot.person_by_email(email)
        assert person is not None and person.id is not None
        return person

    def link(self, email: str, user_id: int) -> None:
        with session_scope(self.bot.engine) as s:
            link(s, "telegram", str(user_id), self.person(email).id or 0)

    def team_chat(self, team_key: str, chat: str | None = None, slack: str | None = None) -> None:
        with session_scope(self.bot.engine) as s:
            team = s.exec(select(Team).where(Team.key == team_key)).one()
            team.telegram_chat, team.slack_channel = chat, slack
            s.add(team)

    def referral(self, ref: str = "KB-0001") -> Referral:
        with Session(self.bot.engine) as s:
            found = s.exec(select(Referral).where(Referral.ref == ref)).one()
            s.expunge(found)
            return found


@pytest.fixture
def fake_api() -> Iterator[FakeTelegramAPI]:
    api = FakeTelegramAPI(token=TOKEN).start()
    yield api
    api.stop()


def make_bot(engine: Engine, clock: FakeClock, api: FakeTelegramAPI) -> KetenBot:
    settings = Settings(telegram_bot_token=TOKEN, telegram_webhook_secret=SECRET,
                        telegram_api_url=api.api_url, language="nl")
    return KetenBot(settings, engine, clock)


@asynccontextmanager
async def telegram_chat(engine: Engine, clock: FakeClock, api: FakeTelegramAPI | None = None
                        ) -> AsyncIterator[TelegramChat]:
    """A bot wired to a fake Bot API (its own, unless `api` is given)."""
    own = api is None
    api = api or FakeTelegramAPI(token=TOKEN).start()
    chat = TelegramChat(make_bot(engine, clock, api), api, clock)
    await chat.app.initialize()
    try:
        yield chat
    finally:
        await chat.close()
        if own:
            api.stop()


@pytest.fixture
async def tg(sample_engine: Engine, clock: FakeClock, fake_api: FakeTelegramAPI
             ) -> AsyncIterator[TelegramChat]:
    async with telegram_chat(sample_engine, clock, fake_api) as chat:
        yield chat


def client(web: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://kb")


# -- commands and linking ------------------------------------------------------------

async def test_linked_user_asks_wie(tg: TelegramChat) -> None:
    tg.link(BRAM, BRAM_TG)
    text = await tg.say(BRAM_TG, "/wie Ede")
    assert text.startswith("Ede (GM0228)") and "Lokaal team: Sociaal Team Ede" in text
    assert "Bram de Vries" in text and "AFWEZIG" in text  # Anouk is away


async def test_unlinked_user_is_refused_everything_but_start_and_help(tg: TelegramChat) -> None:
    async def say(text: str) -> str:
        tg.clock.set(tg.clock() + timedelta(minutes=61))  # one answer an hour (see below)
        return await tg.say(STRANGER_TG, text)

    for command in ("/wie Ede", "/mijn", "/status KB-0001", "/koppelcode", "/bericht301 1"):
        text = await say(command)
        assert "niet gekoppeld" in text and "koppelcode" in text and "/start CODE" in text
    assert "wie <gemeente>" in await say("/help")
    assert "/bericht301 <ref>" in await say("/help")
    assert "niet gekoppeld" in await say("wie Ede")  # plain text in private too
    assert "niet gekoppeld" in await say("/start")


async def test_a_strangers_chat_id_is_not_kept_once_answered(tg: TelegramChat) -> None:
    """Issue 17: an unlinked account's answers leave no chat id in the outbox."""
    await tg.say(STRANGER_TG, "/wie Ede")
    await tg.say(STRANGER_TG, "/start 0000-FOUT")
    with Session(tg.bot.engine) as s:
        rows = s.exec(select(Outbox).where(Outbox.kind == "reply")).all()
    assert len(rows) == 2 and all(r.status == "sent" and r.payload == {} for r in rows)
    assert str(STRANGER_TG) not in str([r.payload for r in rows])


async def test_a_link_code_answer_is_emptied_once_delivered(tg: TelegramChat) -> None:
    tg.link("bram.devries@sociaalteam-ede.example.org", BRAM_TG)
    text = await tg.say(BRAM_TG, "/koppelcode")
    code = text.split()[-1] if text else ""
    with Session(tg.bot.engine) as s:
        rows = s.exec(select(Outbox).where(Outbox.kind == "reply")).all()
    assert [(r.template, r.status, r.payload) for r in rows] == [
        ("reply-credential", "sent", {})]
    assert code and code not in str([r.payload for r in rows])


async def test_link_with_code_then_expired_and_reused_codes(tg: TelegramChat) -> None:
    bram = tg.person(BRAM)
    code = new_code(tg.bot.engine, bram.id or 0, tg.clock())
    linked = await tg.say(BRAM_TG, f"/start {code}")
    assert linked.startswith(f"Gekoppeld: dit Telegram-account hoort nu bij {bram.name}")
    assert tg.bot.person_by_identity("telegram", str(BRAM_TG)).id == bram.id  # type: ignore[union-attr]
    assert "Ede" in await tg.say(BRAM_TG, "/wie Ede")
    # the same code again, from another account: used
    assert "al gebruikt" in await tg.say(STRANGER_TG, f"/start {code}")
    # a code left lying for more than 24 hours: expired
    old = new_code(tg.bot.engine, bram.id or 0, tg.clock())
    tg.clock.set(tg.clock() + timedelta(hours=25))
    assert "verlopen" in await tg.say(STRANGER_TG + 1, f"/start {old}")
    assert tg.bot.person_by_identity("telegram", str(STRANGER_TG)) is None
    assert tg.bot.person_by_identity("telegram", str(STRANGER_TG + 1)) is None


async def test_deep_link_start_and_throttling(tg: TelegramChat) -> None:
    carla = tg.person(CARLA)
    for _ in range(5):
        assert "klopt niet" in await tg.say(STRANGER_TG, "/start WRONG123")
    good = new_code(tg.bot.engine, carla.id or 0, tg.clock())
    # even the right code is refused while throttled, and does not get used up
    assert "Te veel" in await tg.say(STRANGER_TG, f"/start {good}")
    tg.clock.set(tg.clock() + timedelta(minutes=16))
    # t.me/<bot>?start=CODE arrives as "/start CODE"
    assert "Gekoppeld" in await tg.say(STRANGER_TG, f"/start {good}")
    assert tg.bot.person_by_identity("telegram", str(STRANGER_TG)).id == carla.id  # type: ignore[union-attr]


async def test_repeated_update_is_processed_once(tg: TelegramChat) -> None:
    tg.link(BRAM, BRAM_TG)
    update = tg.message(BRAM_TG, "/wie Ede")
    await tg.feed(update)
    await tg.feed(update)
    assert len(tg.api.called("sendMessage", chat_id=BRAM_TG)) == 1
    with Session(tg.bot.engine) as s:
        assert s.exec(select(ProcessedEvent).where(ProcessedEvent.platform == "telegram")).all()


# -- the webhook -----------------------------------------------------------------------

async def test_webhook_secret_and_duplicates(tg: TelegramChat) -> None:
    tg.link(BRAM, BRAM_TG)
    web = build_web_app(tg.bot)
    async with web.router.lifespan_context(web), client(web) as http:
        update = tg.message(BRAM_TG, "/wie Ede")
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
            assert (await http.post("/telegram/webhook", json=update, headers=headers)
                    ).status_code == 403
        assert tg.api.called("sendMessage") == []
        with Session(tg.bot.engine) as s:
            assert s.exec(select(ProcessedEvent)).all() == []  # nothing processed, nothing kept
        good = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        assert (await http.post("/telegram/webhook", json=update, headers=good)).status_code == 200
        assert (await http.post("/telegram/webhook", json=update, headers=good)).status_code == 200
        assert (await http.post("/telegram/webhook", content=b"nonsense", headers=good)
                ).status_code == 400
    replies = tg.api.called("sendMessage", chat_id=BRAM_TG)
    assert len(replies) == 1 and "Ede" in str(replies[0].params["text"])


@pytest.mark.parametrize("text", ["/wie Ede", "wie Ede", "help", "/help", "/start"])
async def test_an_update_delivered_twice_is_answered_once(tg: TelegramChat, text: str) -> None:
    # Commands and plain text are recorded as seen in the hop that answers them,
    # the rest before any handler: either way a redelivery gets no second answer.
    tg.link(BRAM, BRAM_TG)
    update = tg.message(BRAM_TG, text)
    await tg.feed(update)
    await tg.feed(update)
    assert len(tg.api.called("sendMessage", chat_id=BRAM_TG)) == 1


async def test_webhook_route_only_with_a_secret(sample_engine: Engine, clock: FakeClock,
                                                fake_api: FakeTelegramAPI) -> None:
    bot = make_bot(sample_engine, clock, fake_api)
    bot.settings.telegram_webhook_secret = None
    async with client(build_web_app(bot)) as http:
        assert (await http.post("/telegram/webhook", json={"update_id": 1})).status_code == 404


# -- the command line ------------------------------------------------------------------

def test_cli_sets_webhook_with_secret_and_menu(env_db: str, sample_engine: Engine,
                                               fake_api: FakeTelegramAPI,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from bot.cli.telegram import app

    monkeypatch.setenv("KETENBOT_TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("KETENBOT_TELEGRAM_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("KETENBOT_TELEGRAM_API_URL", fake_api.api_url)
    result = CliRunner().invoke(app, ["set-webhook", "https://bot.example.org/"])
    assert result.exit_code == 0, result.output
    [hook] = fake_api.called("setWebhook")
    assert hook.params["url"] == "https://bot.example.org/telegram/webhook"
    assert hook.params["secret_token"] == SECRET
    assert hook.params["allowed_updates"] == ["message", "callback_query"]
    menus = fake_api.called("setMyCommands")
    names = [c["command"] for c in menus[0].params["commands"]]
    assert {"start", "wie", "bericht301", "bericht315", "koppelcode"} <= set(names)
    assert all(n.isascii() and n[:1].isalpha() for n in names)
    assert menus[1].params["language_code"] == "en"
    assert TOKEN not in result.output
    result = CliRunner().invoke(app, ["delete-webhook"])
    assert result.exit_code == 0 and fake_api.called("deleteWebhook")


def test_polling_application_has_an_updater(sample_engine: Engine, clock: FakeClock,
                                            fake_api: FakeTelegramAPI) -> None:
    bot = make_bot(sample_engine, clock, fake_api)
    assert build_application(bot, polling=True).updater is not None
    assert build_application(bot).updater is None

"""No secret in a log line, an error or the database.

A full session through `ketenbot serve`'s web app (Slack slash command and
button, Telegram webhook) and the worker's senders, against the local fakes,
with every secret set to a recognisable value and every library's logger
opened up to DEBUG: the operator's log (our one handler), the errors stored
with failed deliveries, and every text column in the database are searched.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import Engine, inspect, make_url, text
from sqlmodel import Session, select

from bot.app import KetenBot
from bot.config import Settings
from bot.logs import QUIET, setup_logging
from bot.serve import build_web_app
from bot.slack.sender import SlackSender
from bot.telegram.sender import TelegramSender
from bot.telegram.web import PATH, SECRET_HEADER
from storage.db import session_scope
from storage.models import ChatIdentity, Person, Team
from storage.tables import Outbox
from tests.conftest import FakeClock
from tests.fakes.slack_api import FakeSlack, action_body, command_body, signed_headers
from tests.fakes.telegram_api import FakeTelegramAPI

SLACK_TOKEN = "xoxb-1234-SLACKBOTTOKENVALUE"
SIGNING = "SIGNINGSECRETVALUE-abc123"
TG_TOKEN = "424242:TELEGRAMTOKENVALUE_xyz"
TG_SECRET = "WEBHOOKSECRETVALUE-789"
DB_PASSWORD = "DBPASSWORDVALUE-42"
JEROEN = "jeroen.bakker@jbgld.example.org"
BRAM = "bram.devries@sociaalteam-ede.example.org"
BRAM_TG, LT_GROUP = 5001, "-1001000000001"


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = list(root.handlers), root.level, {n: logging.getLogger(n).level for n in QUIET}
    stream = io.StringIO()
    setup_logging("DEBUG", "text", [SLACK_TOKEN, SIGNING, TG_TOKEN, TG_SECRET, DB_PASSWORD],
                  stream)
    # The second line of defence is what is tested: every library may talk.
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield stream
    root.handlers[:], root.level = saved[0], saved[1]
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


def _with_password(url: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return url
    # Trust authentication ignores it, but it is in the URL the bot is given.
    return parsed.set(password=DB_PASSWORD).render_as_string(hide_password=False)


def _setup_directory(engine: Engine) -> None:
    with session_scope(engine) as s:
        s.exec(select(Team).where(Team.key == "jbgld-food-valley")).one().slack_channel = "C0JB"
        s.exec(select(Team).where(Team.key == "lt-ede")).one().telegram_chat = LT_GROUP
        bram = s.exec(select(Person).where(Person.email == BRAM)).one()
        s.add(ChatIdentity(person_id=bram.id or 0, platform="telegram",
                           external_id=str(BRAM_TG)))


def _database_text(engine: Engine) -> str:
    out = []
    with engine.connect() as conn:
        for table in inspect(engine).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                out.append(" ".join(str(v) for v in row))
    return "\n".join(out)


def _tg_update(n: int, user: int, text_: str) -> dict[str, object]:
    return {"update_id": n, "message": {
        "message_id": n, "date": 1_790_000_000, "text": text_,
        "chat": {"id": user, "type": "private"},
        "from": {"id": user, "is_bot": False, "first_name": "Bram"},
        "entities": [{"type": "bot_command", "offset": 0, "length": len(text_.split()[0])}]}}


async def test_a_full_session_leaves_no_secret_anywhere(
        sample_engine: Engine, db_url: str, clock: FakeClock,
        log_stream: io.StringIO) -> None:
    _setup_directory(sample_engine)
    with FakeSlack(users={"UJEROEN": JEROEN}) as slack:
        tg = FakeTelegramAPI(token=TG_TOKEN).start()
        try:
            settings = Settings(
                _env_file=None, database_url=_with_password(db_url),  # type: ignore[call-arg]
                slack_bot_token=SLACK_TOKEN, slack_signing_secret=SIGNING,
                slack_api_url=slack.api_url, telegram_bot_token=TG_TOKEN,
                telegram_webhook_secret=TG_SECRET, telegram_api_url=tg.api_url)
            kb = KetenBot.start(settings, clock=clock)
            errors = await _session(kb, slack, tg, clock)
        finally:
            tg.stop()

    logged = log_stream.getvalue()
    assert "referral step ref=KB-0001 " in logged and "escalation ref=KB-0001 " in logged
    assert "delivered outbox=" in logged  # deliveries were logged...
    assert "delivery failed, retrying outbox=" in logged  # ...and so were the failures
    with Session(kb.engine) as s:
        stored = [r.last_error or "" for r in s.exec(select(Outbox)).all()]
    assert [e for e in stored if e.startswith(("slack:", "telegram:"))]  # errors were kept
    everything = {"log": logged, "errors": "\n".join(stored + errors),
                  "database": _database_text(kb.engine)}
    for where, content in everything.items():
        for secret in (SLACK_TOKEN, SIGNING, TG_TOKEN, TG_SECRET, DB_PASSWORD,
                       TG_TOKEN.split(":")[1], SLACK_TOKEN.split("-")[-1]):
            assert secret not in content, f"{secret} in the {where}"
    kb.engine.dispose()


async def _session(kb: KetenBot, slack: FakeSlack, tg: FakeTelegramAPI,
                   clock: FakeClock) -> list[str]:
    web = build_web_app(kb)
    senders = [SlackSender(kb), TelegramSender(kb)]
    errors: list[str] = []

    async def tick() -> None:
        # The worker's beat runs in its own thread, as in `ketenbot worker`.
        await asyncio.to_thread(kb.tick, senders)  # type: ignore[arg-type]

    async with web.router.lifespan_context(web), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=web), base_url="http://kb") as http:

        async def slack_post(body: str) -> httpx.Response:
            return await http.post("/slack/events", content=body.encode(),
                                   headers=signed_headers(body, SIGNING))

        started = await slack_post(command_body("UJEROEN", "verwijs 301 Ede JB-2026-0042",
                                                slack.response_url()))
        assert started.status_code == 200 and "KB-0001" in started.text
        tg.fail_next("sendMessage", status=502, retry_after=None)
        slack.fail_next("chat.postMessage", 429, retry_after=1)
        await tick()
        clock.set(clock() + timedelta(minutes=5))
        await tick()
        assert slack.of("chat.postMessage") and tg.called("sendMessage", chat_id=LT_GROUP)

        # Bram acknowledges on Telegram through the webhook; a wrong secret is refused.
        update = _tg_update(10, BRAM_TG, "/ontvangen KB-0001")
        refused = await http.post(PATH, json=update, headers={SECRET_HEADER: "nope"})
        assert refused.status_code == 403
        before = len(tg.texts("sendMessage", chat_id=BRAM_TG))
        ok = await http.post(PATH, json=update, headers={SECRET_HEADER: TG_SECRET})
        assert ok.status_code == 200
        for _ in range(250):  # answered right after the 200, from the inbox
            if len(tg.texts("sendMessage", chat_id=BRAM_TG)) > before:
                break
            await asyncio.sleep(0.02)
        assert "KB-0001" in tg.texts("sendMessage", chat_id=BRAM_TG)[before]

        # Jeroen presses a button in Slack; then days pass and the worker escalates.
        pressed = await slack_post(action_body("UJEROEN", "status", "KB-0001",
                                               slack.response_url("press")))
        assert pressed.status_code == 200
        clock.set(clock() + timedelta(days=20))
        await tick()
        await tick()

        # A bad Telegram token in a URL, as an error would show it.
        try:
            httpx.get(f"{tg.api_url}{TG_TOKEN}x/getMe", timeout=2).raise_for_status()
        except httpx.HTTPError as exc:
            logging.getLogger("ketenbot.test").warning("call failed: %s", exc, exc_info=True)
            errors.append(str(exc).replace(TG_TOKEN, "***"))  # what the log must do itself
    return errors


def test_an_uncaught_traceback_is_redacted_too(log_stream: io.StringIO) -> None:
    try:
        raise RuntimeError(f"connect to postgresql://kb:{DB_PASSWORD}@db/kb with {SLACK_TOKEN}")
    except RuntimeError:
        logging.getLogger("ketenbot.test").exception("start failed")
    logged = log_stream.getvalue()
    assert "RuntimeError" in logged and "postgresql://kb:***@db/kb" in logged
    assert DB_PASSWORD not in logged and SLACK_TOKEN not in logged


def test_json_lines(log_stream: io.StringIO) -> None:
    import json

    stream = io.StringIO()
    setup_logging("INFO", "json", [TG_TOKEN], stream)
    logging.getLogger("ketenbot.referral").info(
        "referral step", extra={"ref": "KB-0001", "action": "created", "attempt": 2})
    logging.getLogger("httpx").info(f"POST https://api.telegram.org/bot{TG_TOKEN}/sendMessage")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1  # httpx at INFO is held back
    record = json.loads(lines[0])
    assert record["message"] == "referral step"  # the facts are fields, not in the message
    assert record["ref"] == "KB-0001" and record["action"] == "created" and record["attempt"] == 2
    assert record["level"] == "INFO" and record["logger"] == "ketenbot.referral"

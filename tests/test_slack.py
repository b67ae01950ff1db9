"""Slack: the real bolt app behind `ketenbot serve`, driven with signed requests,
talking to a local fake of the Slack Web API (tests/fakes/slack_api.py).

Every request goes through Starlette, bolt's signature check and listeners,
the registry and the database, as one from Slack would, on the test's own
event loop (`async def` tests): bolt's AsyncApp answers and finishes its
background work there, as under `serve`. The outbox is delivered by
`SlackSender` on `bot.tick` in a thread, as the worker does.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.app import KetenBot
from bot.config import Settings
from bot.serve import build_web_app
from bot.slack.runtime import SlackRuntime
from bot.slack.sender import SlackSender
from handlers.accounts.linking import new_code
from storage.db import session_scope
from storage.models import ChatIdentity, Person, Team
from storage.tables import Outbox, ProcessedEvent, Referral, ReferralThread
from tests.conftest import FakeClock
from tests.fakes.slack_api import (
    FakeSlack,
    action_body,
    command_body,
    im_event_body,
    signed_headers,
)

SECRET = "test-signing-secret"
TOKEN = "xoxb-1-test-token"
JB_CHANNEL = "C0JBFOODVALLEY"
JEROEN = "jeroen.bakker@jbgld.example.org"
TESS = "tess.visser@jbgld.example.org"
BRAM = "bram.devries@sociaalteam-ede.example.org"
CARLA = "carla.smit@sociaalteam-ede.example.org"
MONIQUE = "monique.peters@regio-foodvalley.example.org"
ASTRID = "astrid.vandijk@jbt-foodvalley.example.org"  # voorzitter, tafel Food Valley
USERS = {"UJEROEN": JEROEN, "UBRAM": BRAM, "UCARLA": CARLA, "UTESS": TESS, "UMONIQUE": MONIQUE,
         "UASTRID": ASTRID}


def slack_settings(fake: FakeSlack, **extra: Any) -> Settings:
    return Settings(_env_file=None, slack_bot_token=TOKEN,  # type: ignore[call-arg]
                    slack_signing_secret=SECRET, slack_api_url=fake.api_url, **extra)


def set_channel(engine: Engine, team_key: str, channel: str) -> None:
    with session_scope(engine) as s:
        team = s.exec(select(Team).where(Team.key == team_key)).one()
        team.slack_channel = channel
        s.add(team)


@dataclass
class Slack:
    bot: KetenBot
    http: httpx.AsyncClient
    fake: FakeSlack
    runtime: SlackRuntime
    clock: FakeClock

    async def post(self, body: str, content_type: str = "application/x-www-form-urlencoded",
                   secret: str = SECRET, timestamp: int | None = None, **headers: str
                   ) -> httpx.Response:
        return await self.http.post("/slack/events", content=body.encode(),
                                    headers=signed_headers(body, secret, timestamp, content_type,
                                                           **headers))

    async def command(self, user: str, text: str) -> dict[str, Any]:
        response = await self.post(command_body(user, text, self.fake.response_url()))
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def press(self, user: str, action: str, ref: str = "KB-0001",
                    message_ts: str = "1700000000.999999") -> dict[str, Any]:
        """Press a button; what was sent to the response_url."""
        before = len(self.fake.of("response_url"))
        response = await self.post(action_body(user, action, ref,
                                               self.fake.response_url("press"), message_ts))
        assert response.status_code == 200, response.text
        await self.idle()
        return self.fake.wait_for("response_url", before + 1)[-1].args

    async def event(self, user: str, text: str, event_id: str, **headers: str
                    ) -> httpx.Response:
        return await self.post(im_event_body(user, text, event_id), "application/json", SECRET,
                               None, **headers)

    async def idle(self) -> None:
        await self.runtime.idle()

    async def meet(self, *users: str) -> None:
        """The users' first command links them by e-mail; the DM that announces
        each link goes out, and the fake forgets it, so a test counts only its own."""
        for user in users:
            await self.command(user, "help")
        await self.tick()
        self.fake.clear()

    async def tick(self) -> None:
        await asyncio.to_thread(self.bot.tick, [SlackSender(self.bot)])

    def referral(self, ref: str = "KB-0001") -> Referral:
        with Session(self.bot.engine) as s:
            found = s.exec(select(Referral).where(Referral.ref == ref)).one()
            s.expunge(found)
            return found

    def thread(self) -> ReferralThread:
        with Session(self.bot.engine) as s:
            found = s.exec(select(ReferralThread).where(ReferralThread.platform == "slack")).one()
            s.expunge(found)
            return found


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(users=dict(USERS)) as f:
        yield f


@pytest.fixture
async def slack(sample_engine: Engine, clock: FakeClock, fake: FakeSlack
                ) -> AsyncIterator[Slack]:
    set_channel(sample_engine, "jbgld-food-valley", JB_CHANNEL)
    bot = KetenBot(slack_settings(fake), sample_engine, clock)
    web = build_web_app(bot)
    route = next(r for r in web.routes if getattr(r, "path", "") == "/slack/events")
    runtime = route.endpoint.__self__.runtime  # type: ignore[attr-defined]
    async with web.router.lifespan_context(web), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=web), base_url="http://ketenbot") as http:
        yield Slack(bot, http, fake, runtime, clock)


def blocks_text(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def action_ids(blocks: list[dict[str, Any]]) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


# -- commands -------------------------------------------------------------------------


async def test_wie_is_answered_ephemerally_and_links_by_email(slack: Slack) -> None:
    answer = await slack.command("UJEROEN", "wie Ede")
    assert answer["response_type"] == "ephemeral"
    assert "Bram de Vries" in answer["text"]  # Anouk is absent: her koppelgenoot
    assert [c.args["user"] for c in slack.fake.of("users.info")] == ["UJEROEN"]
    assert slack.bot.person_by_identity("slack", "UJEROEN").email == JEROEN  # type: ignore[union-attr]
    await slack.command("UJEROEN", "help")
    assert len(slack.fake.of("users.info")) == 1  # linked once, looked up in the DB since
    assert all(c.token == TOKEN for c in slack.fake.calls if c.method != "response_url")


async def test_unlinked_user_may_ask_help_only(slack: Slack) -> None:
    answer = await slack.command("USTRANGER", "wie Ede")
    assert answer["response_type"] == "ephemeral"
    assert "niet gekoppeld" in answer["text"] and "/keten koppel" in answer["text"]
    assert "Commando's" in (await slack.command("USTRANGER", "help"))["text"]
    assert "Commando's" in (await slack.command("USTRANGER", ""))["text"]
    with Session(slack.bot.engine) as s:
        assert s.exec(select(ChatIdentity)).all() == []


async def test_koppel_redeems_a_link_code(slack: Slack) -> None:
    tess = slack.bot.person_by_email(TESS)
    assert tess is not None and tess.id is not None
    code = new_code(slack.bot.engine, tess.id, slack.clock())
    assert "klopt niet" in (await slack.command("USTRANGER", "koppel WRONGCODE"))["text"]
    assert "Tess Visser" in (await slack.command("USTRANGER", f"koppel {code}"))["text"]
    assert "Tess Visser" in (await slack.command("USTRANGER", "mijn"))["text"]
    assert "al gebruikt" in (await slack.command("UOTHER", f"koppel {code}"))["text"]


async def test_bsn_is_refused_before_anything_else(slack: Slack) -> None:
    answer = await slack.command("USTRANGER", "verwijs 301 Ede 111222333")
    assert "BSN" in answer["text"]
    with Session(slack.bot.engine) as s:
        assert s.exec(select(Referral)).all() == []


# -- a referral's thread and its buttons ------------------------------------------------


async def start_referral(slack: Slack) -> None:
    answer = await slack.command("UJEROEN", "verwijs 301 Ede K-1")
    assert answer["response_type"] == "ephemeral" and "KB-0001" in answer["text"]
    # No Slack Web API call in the request path: the outbox carries the news.
    assert {c.method for c in slack.fake.calls} <= {"auth.test", "users.info"}


async def test_referral_gets_a_root_message_and_its_thread(slack: Slack) -> None:
    await slack.meet("UJEROEN")  # Bram is new: his first press links him
    await start_referral(slack)
    await slack.tick()
    # The root alone: a "now at step 1" line under it would repeat it, and an
    # edit of a root posted a moment ago would change nothing.
    [root] = slack.fake.of("chat.postMessage")
    assert slack.fake.of("chat.update") == []
    assert root.args["channel"] == JB_CHANNEL and "thread_ts" not in root.args
    text = root.args["text"]
    for expected in ("KB-0001", "301-route", "Ede", "K-1", "Stap 1", "jeugdbeschermer",
                     "Jeroen Bakker", "uiterlijk"):
        assert expected in text, expected
    assert action_ids(root.args["blocks"])[0] == "keten_ontvangen"
    values = {e["value"] for b in root.args["blocks"] if b["type"] == "actions"
              for e in b["elements"]}
    assert values == {"KB-0001"}  # no family data in button values
    thread = slack.thread()
    # The second post of the fake workspace (the first: the DM announcing Jeroen's link).
    assert (thread.channel, thread.root_id) == (JB_CHANNEL, "1700000000.000002")

    # The lokaal-team worker acknowledges with the root message's button.
    slack.fake.clear()
    sent = await slack.press("UBRAM", "ontvangen", message_ts=thread.root_id)
    assert sent["replace_original"] is True and "Stap 2-3" in sent["text"]
    assert "keten_volgende" in action_ids(sent["blocks"])
    assert slack.referral().step == "bepaling"
    await slack.tick()
    line = [c for c in slack.fake.of("chat.postMessage") if c.args.get("thread_ts")][-1]
    assert line.args["channel"] == JB_CHANNEL and "stap 2-3" in line.args["text"]
    # The press replaced the root already: no second, identical edit.
    assert slack.fake.of("chat.update") == []
    # Jeroen's turn now: a DM with the step's button.
    opened = slack.fake.of("conversations.open")
    assert [c.args["users"] for c in opened] == ["UBRAM", "UJEROEN"]  # Bram: his welcome
    dm = [c for c in slack.fake.of("chat.postMessage") if c.args["channel"] == "DJEROEN"]
    assert dm and "keten_volgende" in action_ids(dm[0].args["blocks"])
    # Bram is told by DM that his Slack account is now linked, and how to undo it.
    [welcome] = [c.args["text"] for c in slack.fake.of("chat.postMessage")
                 if c.args["channel"] == "DBRAM"]
    assert "Slack-account is nu gekoppeld" in welcome and "ontkoppel" in welcome
    assert len(slack.fake.of("chat.postMessage")) == 3  # nothing twice
    assert all(c.token == TOKEN for c in slack.fake.calls if c.method != "response_url")


async def test_refused_press_answers_only_the_presser(slack: Slack) -> None:
    await slack.meet("UJEROEN", "UCARLA")
    await start_referral(slack)
    await slack.tick()
    root_ts = slack.thread().root_id
    with Session(slack.bot.engine) as s:
        before = [(o.dedupe_key, o.status) for o in s.exec(select(Outbox))]
    sent = await slack.press("UCARLA", "volgende", message_ts=root_ts)
    assert sent["response_type"] == "ephemeral" and sent["replace_original"] is False
    assert "Er is niets veranderd" in sent["text"]
    assert slack.referral().step == "contact"
    # Step 6 pressed on step 1: refused, with the step-1 rule as the reason.
    sent = await slack.press("UJEROEN", "escaleer", message_ts=root_ts)
    assert sent["response_type"] == "ephemeral" and "regionale contactpersoon" in sent["text"]
    assert slack.referral().step == "contact"
    with Session(slack.bot.engine) as s:
        assert [(o.dedupe_key, o.status) for o in s.exec(select(Outbox))] == before
    status = await slack.press("UJEROEN", "status", message_ts=root_ts)
    assert status["response_type"] == "ephemeral" and "Geschiedenis" in status["text"]


async def test_a_step_1_lapse_messages_the_regional_contact_person_and_the_thread(
        slack: Slack) -> None:
    await start_referral(slack)
    await slack.command("UMONIQUE", "help")  # Monique's first contact links her
    await slack.tick()
    slack.fake.clear()
    slack.clock.set(slack.clock.now.replace(day=30, hour=9))  # Monday after the Friday term
    await slack.tick()
    opened = {c.args["users"] for c in slack.fake.of("conversations.open")}
    assert "UMONIQUE" in opened
    dm = [c for c in slack.fake.of("chat.postMessage") if c.args["channel"] == "DMONIQUE"]
    assert len(dm) == 1 and "Termijn verstreken" in dm[0].args["text"]
    assert "KB-0001" in dm[0].args["text"] and "neemt geen taken" in dm[0].args["text"]
    # She arranges the contact: no escalation button on step 1.
    assert action_ids(dm[0].args["blocks"]) == ["keten_status"]
    root_ts = slack.thread().root_id
    lines = [c for c in slack.fake.of("chat.postMessage") if c.args.get("thread_ts") == root_ts]
    assert lines and any("Monique Peters" in c.args["text"] for c in lines)


async def test_rate_limit_is_waited_out_and_delivered_once(slack: Slack) -> None:
    await slack.meet("UJEROEN")
    await start_referral(slack)
    slack.fake.fail_next("chat.postMessage", 429, retry_after=30)
    await slack.tick()
    assert len(slack.fake.of("chat.postMessage")) == 1  # the refused root post
    with Session(slack.bot.engine) as s:
        row = s.exec(select(Outbox).where(Outbox.kind == "thread")
                     .order_by(col(Outbox.id))).first()
        assert row is not None and row.status == "pending" and row.attempts == 1
        assert row.deliver_after == slack.clock.now + timedelta(seconds=30)
        assert row.last_error and "rate limited" in row.last_error and TOKEN not in row.last_error
        assert s.exec(select(ReferralThread)).all() == []
    slack.clock.set(slack.clock.now + timedelta(seconds=10))
    await slack.tick()
    assert len(slack.fake.of("chat.postMessage")) == 1  # still waiting
    slack.clock.set(slack.clock.now + timedelta(seconds=21))
    await slack.tick()
    await slack.tick()
    roots = [c for c in slack.fake.of("chat.postMessage") if "thread_ts" not in c.args]
    assert len(roots) == 2  # the refused one, and the one that got through
    lines = [c for c in slack.fake.of("chat.postMessage") if "thread_ts" in c.args]
    assert lines == []  # the step-1 line would only repeat the root
    with Session(slack.bot.engine) as s:
        assert s.exec(select(Outbox).where(Outbox.kind == "thread")).one().status == "sent"


# -- the door: signatures, retries --------------------------------------------------------


async def test_bad_or_stale_signature_is_refused(slack: Slack) -> None:
    body = command_body("UJEROEN", "verwijs 301 Ede K-1", slack.fake.response_url())
    assert (await slack.post(body, secret="not-the-secret")).status_code == 401
    assert (await slack.post(body, timestamp=int(time.time()) - 600)).status_code == 401
    tampered = signed_headers(body, SECRET)
    response = await slack.http.post("/slack/events", content=body.replace("K-1", "K-2").encode(),
                               headers=tampered)
    assert response.status_code == 401
    assert (await slack.http.post("/slack/events", content=body.encode())).status_code == 401
    assert [c.method for c in slack.fake.calls] == []
    with Session(slack.bot.engine) as s:
        assert s.exec(select(Referral)).all() == []
        assert s.exec(select(ChatIdentity)).all() == []


async def test_direct_message_is_handled_once_across_retries(slack: Slack) -> None:
    assert (await slack.event("UJEROEN", "wie Ede", "Ev001")).status_code == 200
    await slack.idle()
    answers = slack.fake.of("chat.postMessage")
    assert len(answers) == 1 and answers[0].args["channel"] == "DUSER"
    assert "Bram de Vries" in answers[0].args["text"]
    retry = await slack.event("UJEROEN", "wie Ede", "Ev001", **{"X-Slack-Retry-Num": "1",
                                                          "X-Slack-Retry-Reason": "http_timeout"})
    assert retry.status_code == 200
    assert (await slack.event("UJEROEN", "wie Ede", "Ev001")).status_code == 200
    await slack.idle()
    assert len(slack.fake.of("chat.postMessage")) == 1
    with Session(slack.bot.engine) as s:
        assert len(s.exec(select(ProcessedEvent)).all()) == 1
    # A channel message, or the bot's own, is acknowledged and ignored.
    body = json.loads(im_event_body("UKETENBOT", "hallo", "Ev002"))
    body["event"]["bot_id"] = "BKETENBOT"
    assert (await slack.post(json.dumps(body), "application/json")).status_code == 200
    await slack.idle()
    assert len(slack.fake.of("chat.postMessage")) == 1


# -- the sender on its own ----------------------------------------------------------------


def test_sender_maps_server_and_connection_errors(sample_engine: Engine, clock: FakeClock,
                                                  fake: FakeSlack) -> None:
    from scheduling.delivery.contract import Outgoing, TemporaryFailure

    bot = KetenBot(slack_settings(fake), sample_engine, clock)
    with session_scope(sample_engine) as s:
        carla = s.exec(select(Person).where(Person.email == CARLA)).one()
        s.add(ChatIdentity(platform="slack", external_id="UCARLA", person_id=carla.id or 0))
        s.expunge(carla)
    message = Outgoing(1, "notice", "link_code", {"code": "X", "hours": 24}, carla, None)
    fake.fail_next("conversations.open", 503, retry_after=None)
    with pytest.raises(TemporaryFailure) as failed:
        SlackSender(bot).deliver(message)
    assert failed.value.retry_after is None and TOKEN not in str(failed.value)
    SlackSender(bot).deliver(message)
    assert fake.of("chat.postMessage")[0].args["channel"] == "DCARLA"
    down = KetenBot(Settings(_env_file=None, slack_bot_token=TOKEN,  # type: ignore[call-arg]
                             slack_signing_secret=SECRET,
                             slack_api_url="http://127.0.0.1:9/api/"), sample_engine, clock)
    with pytest.raises(TemporaryFailure) as refused:
        SlackSender(down).deliver(message)
    assert TOKEN not in str(refused.value)

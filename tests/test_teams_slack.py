"""One referral across Slack and Teams: the jeugdbeschermer's team works in
Slack, the lokaal team in Teams. Each sees the referral in its own channel, and
an acknowledgement pressed on one platform moves the thread and the root on
the other (as Slack and Telegram do).

Both real apps behind one `ketenbot serve` (bolt for Slack, the Agents SDK for
Teams), each against its local fake (tests/fakes/slack_api.py and
tests/fakes/teams_api.py), and the worker's tick with both senders.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.app import KetenBot
from bot.serve import build_web_app
from bot.slack.sender import SlackSender
from bot.teams.sender import TeamsSender
from storage.tables import Outbox
from tests.conftest import FakeClock
from tests.fakes.slack_api import FakeSlack
from tests.fakes.teams_api import FakeTeams, member
from tests.test_route_walk import WILGENHOF
from tests.test_slack import JB_CHANNEL, USERS, Slack, action_ids, set_channel, slack_settings
from tests.test_teams import FakeTokenProvider, Teams, teams_settings
from tests.test_teams_threads import (
    BRAM,
    LT_CHANNEL,
    at,
    card_text,
    lines,
    press,
    set_teams_channel,
    step,
    verbs,
)


@pytest.fixture
def slack_fake() -> Iterator[FakeSlack]:
    with FakeSlack(users=dict(USERS)) as f:
        yield f


@pytest.fixture
def teams_fake() -> Iterator[FakeTeams]:
    uid, aad, email = BRAM
    with FakeTeams(members={uid: member(uid, aad, email)}) as f:
        yield f


@pytest.fixture
async def both(sample_engine: Engine, clock: FakeClock, slack_fake: FakeSlack,
               teams_fake: FakeTeams) -> AsyncIterator[tuple[Slack, Teams, list[object]]]:
    set_channel(sample_engine, "jbgld-food-valley", JB_CHANNEL)
    settings = teams_settings(teams_fake, **slack_settings(slack_fake).model_dump(
        include={"slack_bot_token", "slack_signing_secret", "slack_api_url"}))
    bot = KetenBot(settings, sample_engine, clock)
    web = build_web_app(bot, teams_token_provider=FakeTokenProvider())
    route = next(r for r in web.routes if getattr(r, "path", "") == "/slack/events")
    runtime = route.endpoint.__self__.runtime  # type: ignore[attr-defined]
    teams_sender = TeamsSender(bot, token_provider=FakeTokenProvider())
    async with web.router.lifespan_context(web), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=web), base_url="http://ketenbot") as http:
        slack, teams = Slack(bot, http, slack_fake, runtime, clock), Teams(bot, http, teams_fake,
                                                                          clock)
        set_teams_channel(teams, "lt-ede", LT_CHANNEL)
        yield slack, teams, [SlackSender(bot), teams_sender]
    teams_sender.close()


async def test_an_acknowledgement_on_one_platform_moves_the_other(
        both: tuple[Slack, Teams, list[object]]) -> None:
    slack, teams, senders = both

    async def tick() -> None:
        """The worker's passes until nothing more goes out (a channel's next
        line waits for its slot: Slack's one per second per channel)."""
        for _ in range(5):
            before = len(slack.fake.calls) + len(teams.fake.calls)
            await asyncio.to_thread(slack.bot.tick, senders)  # type: ignore[arg-type]
            if len(slack.fake.calls) + len(teams.fake.calls) == before:
                return

    await slack.meet("UJEROEN")
    slack.clock.set(at(24, 10))
    answer = await slack.command("UJEROEN", "verwijs 301 Ede K-1")
    assert "KB-0001" in answer["text"]
    await tick()
    # A root on each side: the Slack message in the JB channel, the card in the LT's.
    (root,) = [c for c in slack.fake.of("chat.postMessage") if c.args["channel"] == JB_CHANNEL]
    assert "Stap 1" in root.args["text"]
    (created,) = teams.fake.of("create")
    assert created.body["channelData"]["channel"]["id"] == LT_CHANNEL
    slack_root = slack.thread()

    # Bram (lokaal team, in Teams) presses "Contact gehad" on the card.
    seen = await press(teams, BRAM, "ontvangen")
    assert step(teams) == "bepaling" and "Stap 2" in card_text(seen)
    slack.clock.set(at(24, 11))
    await tick()
    slack_lines = [c for c in slack.fake.of("chat.postMessage")
                   if c.args.get("thread_ts") == slack_root.root_id]
    assert len(slack_lines) == 1 and "stap 2-3" in slack_lines[0].args["text"]
    (edit,) = slack.fake.of("chat.update")
    assert edit.args["ts"] == slack_root.root_id and "Stap 2-3" in edit.args["text"]
    assert "keten_volgende" in action_ids(edit.args["blocks"])
    assert len(lines(teams)) == 1 and len(lines(teams, "update")) == 1

    # Jeroen (jeugdbeschermer, in Slack) names the provider and presses
    # "Bepaling verstuurd" on his root.
    named = await slack.command("UJEROEN", f"aanbieder KB-0001 {WILGENHOF}")
    assert "Zorgaanbieder vastgelegd" in named["text"]
    sent = await slack.press("UJEROEN", "volgende", message_ts=slack_root.root_id)
    assert sent["replace_original"] is True, sent["text"]
    assert step(teams) == "toewijzing"
    slack.clock.set(at(24, 12))
    await tick()
    assert len(lines(teams)) > 1 and "KB-0001" in lines(teams)[-1].body["text"]
    card = lines(teams, "update")[-1].body["attachments"][0]["content"]
    assert "Stap 4" in card_text(card) and verbs(card)[0] == "301"
    # Nothing twice on either side, an hour later either.
    counts = (len(lines(teams)), len(lines(teams, "update")), len(slack.fake.calls))
    slack.clock.set(at(24, 13))
    await tick()
    assert (len(lines(teams)), len(lines(teams, "update")), len(slack.fake.calls)) == counts


async def test_a_gone_slack_channel_does_not_cost_the_teams_thread_its_lines(
        both: tuple[Slack, Teams, list[object]]) -> None:
    slack, teams, senders = both
    await slack.meet("UJEROEN")
    slack.clock.set(at(24, 10))
    assert "KB-0001" in (await slack.command("UJEROEN", "verwijs 301 Ede K-1"))["text"]
    # The JB team's Slack channel was deleted: its root cannot be posted.
    slack.fake.refuse = {"channel": {JB_CHANNEL: "channel_not_found"}}
    await asyncio.to_thread(slack.bot.tick, senders)  # type: ignore[arg-type]
    assert len(teams.fake.of("create")) == 1  # the Teams thread is there all the same
    seen = await press(teams, BRAM, "ontvangen")
    assert "Stap 2" in card_text(seen)
    slack.clock.set(at(24, 11))
    for _ in range(3):
        await asyncio.to_thread(slack.bot.tick, senders)  # type: ignore[arg-type]
    assert len(lines(teams)) == 1 and len(lines(teams, "update")) == 1
    with Session(slack.bot.engine) as s:
        rows = s.exec(select(Outbox).where(Outbox.kind == "thread")).all()
        assert rows and {r.status for r in rows} == {"sent"}
        # Jeroen hears that the Slack thread is gone (once, however many lines).
        told = s.exec(select(Outbox).where(Outbox.template == "unreachable")).all()
    assert len(told) >= 1 and all(t.payload["platform"] == "Slack" for t in told)
    assert len({t.person_id for t in told}) == len(told)

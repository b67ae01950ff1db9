"""Slack delivery under faults, against the fake Web API: a rate-limit storm,
a 429 between a thread line and its root's update, a deactivated account and
a deleted channel."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from bot.app import KetenBot
from bot.serve import build_web_app
from storage.outbox import enqueue
from storage.tables import Outbox
from tests.conftest import FakeClock
from tests.fakes.slack_api import FakeSlack
from tests.test_slack import (
    BRAM,
    JB_CHANNEL,
    USERS,
    Slack,
    set_channel,
    slack_settings,
    start_referral,
)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(users=dict(USERS)) as f:
        yield f


@pytest.fixture
def slack(sample_engine: Engine, clock: FakeClock, fake: FakeSlack) -> Iterator[Slack]:
    set_channel(sample_engine, "jbgld-food-valley", JB_CHANNEL)
    bot = KetenBot(slack_settings(fake), sample_engine, clock)
    web = build_web_app(bot)
    route = next(r for r in web.routes if getattr(r, "path", "") == "/slack/events")
    runtime = route.endpoint.__self__.runtime  # type: ignore[attr-defined]
    with TestClient(web) as http:
        yield Slack(bot, http, fake, runtime, clock)


def rows(slack: Slack) -> list[Outbox]:
    with Session(slack.bot.engine) as s:
        return list(s.exec(select(Outbox).order_by(col(Outbox.id))).all())


def web_api_calls(fake: FakeSlack) -> list[str]:
    return [c.method for c in fake.calls if c.method not in ("auth.test", "users.info",
                                                             "response_url")]


def link_everyone(slack: Slack) -> None:
    for user in ("UJEROEN", "UBRAM", "UCARLA", "UTESS"):
        slack.command(user, "help")  # the first command links by e-mail


def test_rate_limit_storm_pauses_the_whole_workspace(slack: Slack) -> None:
    link_everyone(slack)
    start_referral(slack)
    people = [slack.bot.person_by_email(USERS[u]) for u in ("UJEROEN", "UBRAM", "UCARLA", "UTESS")]
    with Session(slack.bot.engine) as s:  # a dozen more messages to four people
        for i in range(12):
            enqueue(s, dedupe_key=f"storm:{i}", kind="unreachable", template="unreachable",
                    payload={"ref": None, "name": f"Persoon {i}", "platform": "Slack",
                             "why": "other", "recipient": "x"},
                    now=slack.clock(), deliver_after=slack.clock(),
                    person_id=people[i % 4].id)  # type: ignore[union-attr]
        s.commit()
    pending = len([r for r in rows(slack) if r.status == "pending"])
    slack.fake.clear()
    slack.fake.fail_next("chat.postMessage", 429, retry_after=30)
    slack.tick()
    # One call was refused; nothing else went to the workspace inside the window.
    assert len(web_api_calls(slack.fake)) == 1
    assert all(r.status == "pending" for r in rows(slack))
    assert sum(r.attempts for r in rows(slack)) == 1  # the deferred ones count no attempt
    for seconds in (10, 29):
        slack.clock.set(slack.clock() + timedelta(seconds=seconds - (10 if seconds == 29 else 0)))
        slack.tick()
        assert len(web_api_calls(slack.fake)) == 1
    slack.clock.set(slack.clock() + timedelta(seconds=2))
    slack.tick()
    slack.tick()
    assert [r.status for r in rows(slack)] == ["sent"] * len(rows(slack))
    # Everything once: one root, and each person's messages one post each.
    posts = slack.fake.of("chat.postMessage")
    texts = [c.args["text"] for c in posts if c.args["channel"].startswith("D")]
    assert len(texts) == len(set(texts)) == pending - 1  # all but the thread root
    roots = [c for c in posts if c.args["channel"] == JB_CHANNEL]
    assert len(roots) == 2  # the refused first attempt and the one that got through


def test_429_between_line_and_root_update_posts_the_line_once(slack: Slack) -> None:
    link_everyone(slack)
    start_referral(slack)
    slack.tick()
    bram = slack.bot.person_by_email(BRAM)
    reply = slack.bot.registry.dispatch(slack.bot.context("slack", bram), "ontvangen KB-0001")
    assert reply.ok
    slack.fake.clear()
    slack.fake.fail_next("chat.update", 429, retry_after=5)
    slack.tick()
    lines = [c for c in slack.fake.of("chat.postMessage") if c.args.get("thread_ts")]
    assert len(lines) == 1 and "stap 2-3" in lines[0].args["text"]
    assert len(slack.fake.of("chat.update")) == 1  # refused
    slack.clock.set(slack.clock() + timedelta(seconds=6))
    slack.tick()
    lines = [c for c in slack.fake.of("chat.postMessage") if c.args.get("thread_ts")]
    assert len(lines) == 1  # not posted again
    updates = slack.fake.of("chat.update")
    assert len(updates) == 2 and "Stap 2-3" in updates[-1].args["text"]
    assert all(r.status == "sent" for r in rows(slack))
    slack.tick()
    assert len(slack.fake.of("chat.update")) == 2


def test_deactivated_account_is_dead_at_once_and_people_are_told(slack: Slack) -> None:
    link_everyone(slack)
    slack.fake.refuse = {"users": {"UBRAM": "account_inactive"}}
    start_referral(slack)
    slack.tick()
    [dead] = [r for r in rows(slack) if r.status == "dead"]
    assert dead.person_id == slack.bot.person_by_email(BRAM).id  # type: ignore[union-attr]
    assert dead.attempts == 1
    assert dead.last_error == "slack conversations.open: account_inactive"
    slack.tick()  # the notices go out
    posts = slack.fake.of("chat.postMessage")
    in_thread = [c.args["text"] for c in posts if c.args.get("thread_ts")]
    assert any("Bram de Vries is niet bereikbaar via Slack" in t for t in in_thread)
    to_tess = [c.args["text"] for c in posts if c.args["channel"] == "DTESS"]
    assert len(to_tess) == 1 and "Bram de Vries" in to_tess[0] and "KB-0001" in to_tess[0]
    # Never retried: a day later no further call for Bram.
    opened = len(slack.fake.of("conversations.open"))
    slack.clock.set(slack.clock() + timedelta(days=1))
    slack.tick()
    assert len(slack.fake.of("conversations.open")) == opened
    assert [r.status for r in rows(slack)].count("dead") == 1


def test_deleted_channel_is_dead_at_once_and_the_jb_side_is_told(slack: Slack) -> None:
    link_everyone(slack)
    slack.fake.refuse = {"channel": {JB_CHANNEL: "channel_not_found"}}
    start_referral(slack)
    slack.tick()
    [dead] = [r for r in rows(slack) if r.status == "dead"]
    assert dead.person_id is None and dead.kind == "thread"
    assert dead.last_error == "slack chat.postMessage: channel_not_found"
    slack.tick()
    posts = slack.fake.of("chat.postMessage")
    for user in ("DJEROEN", "DTESS"):  # the referral's sender and their team leader
        [text] = [c.args["text"] for c in posts if c.args["channel"] == user
                  and "niet bereikbaar" in c.args["text"]]
        assert "De draad van KB-0001 in Slack is niet bereikbaar" in text
    root_posts = [c for c in posts if c.args["channel"] == JB_CHANNEL]
    assert len(root_posts) == 1  # tried once, never again
    slack.clock.set(slack.clock() + timedelta(hours=2))
    slack.tick()
    assert len([c for c in slack.fake.of("chat.postMessage")
                if c.args["channel"] == JB_CHANNEL]) == 1


"""Slack delivery under faults, against the fake Web API: a rate-limit storm,
a 429 between a thread line and its root's update, a deactivated account and
a deleted channel."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from storage.outbox import enqueue
from storage.tables import Outbox
from tests.fakes.slack_api import FakeSlack
from tests.test_slack import (
    BRAM,
    JB_CHANNEL,
    USERS,
    Slack,
    start_referral,
)
from tests.test_slack import fake as fake  # noqa: F401  (fixture)
from tests.test_slack import slack as slack  # noqa: F401  (fixture)


def rows(slack: Slack) -> list[Outbox]:
    with Session(slack.bot.engine) as s:
        return list(s.exec(select(Outbox).order_by(col(Outbox.id))).all())


def web_api_calls(fake: FakeSlack) -> list[str]:
    return [c.method for c in fake.calls if c.method not in ("auth.test", "users.info",
                                                             "response_url")]


async def link_everyone(slack: Slack) -> None:
    await slack.meet("UJEROEN", "UBRAM", "UCARLA", "UTESS")


@pytest.mark.throttled
async def test_rate_limit_storm_holds_every_message_to_the_workspace(slack: Slack) -> None:
    await link_everyone(slack)
    welcomed = {r.id for r in rows(slack)}  # the DMs that announced the links: sent

    def fresh() -> list[Outbox]:
        return [r for r in rows(slack) if r.id not in welcomed]

    await start_referral(slack)
    people = [slack.bot.person_by_email(USERS[u]) for u in ("UJEROEN", "UBRAM", "UCARLA", "UTESS")]
    with Session(slack.bot.engine) as s:  # a dozen more messages to four people
        for i in range(12):
            enqueue(s, dedupe_key=f"storm:{i}", kind="unreachable", template="unreachable",
                    payload={"ref": None, "name": f"Persoon {i}", "platform": "Slack",
                             "why": "other", "recipient": "x"},
                    now=slack.clock(), deliver_after=slack.clock(),
                    person_id=people[i % 4].id)  # type: ignore[union-attr]
        s.commit()
    pending = len([r for r in fresh() if r.status == "pending"])
    slack.fake.clear()
    slack.fake.fail_next("chat.postMessage", 429, retry_after=30)
    await slack.tick()
    # One call was refused; nothing else went to the workspace inside the window.
    assert len(web_api_calls(slack.fake)) == 1
    assert all(r.status == "pending" for r in fresh())
    assert sum(r.attempts for r in fresh()) == 1  # the deferred ones count no attempt
    for seconds in (10, 29):
        slack.clock.set(slack.clock() + timedelta(seconds=seconds - (10 if seconds == 29 else 0)))
        await slack.tick()
        assert len(web_api_calls(slack.fake)) == 1
    # After the pause, each channel gets at most one post per second (Slack's
    # published limit): the rest wait for their slot, counting no attempt.
    for _ in range(8):
        slack.clock.set(slack.clock() + timedelta(seconds=2))
        before = len(slack.fake.of("chat.postMessage"))
        await slack.tick()
        channels = [c.args["channel"] for c in slack.fake.of("chat.postMessage")[before:]]
        assert len(channels) == len(set(channels))
    assert [r.status for r in fresh()] == ["sent"] * len(fresh())
    assert sum(r.attempts for r in fresh()) == 1  # only the 429 counted
    # Everything once: one root, and each person's messages one post each.
    posts = slack.fake.of("chat.postMessage")
    texts = [c.args["text"] for c in posts if c.args["channel"].startswith("D")]
    assert len(texts) == len(set(texts)) == pending - 1  # all but the thread root
    roots = [c for c in posts if c.args["channel"] == JB_CHANNEL]
    assert len(roots) == 2  # the refused first attempt and the one that got through


async def test_429_between_line_and_root_update_posts_the_line_once(slack: Slack) -> None:
    await link_everyone(slack)
    await start_referral(slack)
    await slack.tick()
    bram = slack.bot.person_by_email(BRAM)
    reply = slack.bot.registry.dispatch(slack.bot.context("slack", bram), "ontvangen KB-0001")
    assert reply.ok
    slack.fake.clear()
    slack.fake.fail_next("chat.update", 429, retry_after=5)
    await slack.tick()
    lines = [c for c in slack.fake.of("chat.postMessage") if c.args.get("thread_ts")]
    assert len(lines) == 1 and "stap 2-3" in lines[0].args["text"]
    assert len(slack.fake.of("chat.update")) == 1  # refused
    slack.clock.set(slack.clock() + timedelta(seconds=6))
    await slack.tick()
    lines = [c for c in slack.fake.of("chat.postMessage") if c.args.get("thread_ts")]
    assert len(lines) == 1  # not posted again
    updates = slack.fake.of("chat.update")
    assert len(updates) == 2 and "Stap 2-3" in updates[-1].args["text"]
    assert all(r.status == "sent" for r in rows(slack))
    await slack.tick()
    assert len(slack.fake.of("chat.update")) == 2


async def test_deactivated_account_is_dead_at_once_and_people_are_told(slack: Slack) -> None:
    await link_everyone(slack)
    slack.fake.refuse = {"users": {"UBRAM": "account_inactive"}}
    await start_referral(slack)
    await slack.tick()
    [dead] = [r for r in rows(slack) if r.status == "dead"]
    assert dead.person_id == slack.bot.person_by_email(BRAM).id  # type: ignore[union-attr]
    assert dead.attempts == 1
    assert dead.last_error == "slack conversations.open: account_inactive"
    await slack.tick()  # the notices go out
    posts = slack.fake.of("chat.postMessage")
    in_thread = [c.args["text"] for c in posts if c.args.get("thread_ts")]
    assert any("Bram de Vries is niet bereikbaar via Slack" in t for t in in_thread)
    to_tess = [c.args["text"] for c in posts if c.args["channel"] == "DTESS"]
    assert len(to_tess) == 1 and "Bram de Vries" in to_tess[0] and "KB-0001" in to_tess[0]
    # Never retried: a day later no further call for Bram.
    opened = len(slack.fake.of("conversations.open"))
    slack.clock.set(slack.clock() + timedelta(days=1))
    await slack.tick()
    assert len(slack.fake.of("conversations.open")) == opened
    assert [r.status for r in rows(slack)].count("dead") == 1


async def test_deleted_channel_is_dead_at_once_and_the_jb_side_is_told(slack: Slack) -> None:
    await link_everyone(slack)
    slack.fake.refuse = {"channel": {JB_CHANNEL: "channel_not_found"}}
    await start_referral(slack)
    await slack.tick()
    [dead] = [r for r in rows(slack) if r.status == "dead"]
    assert dead.person_id is None and dead.kind == "thread"
    assert dead.last_error == "slack chat.postMessage: channel_not_found"
    await slack.tick()
    posts = slack.fake.of("chat.postMessage")
    for user in ("DJEROEN", "DTESS"):  # the referral's sender and their team leader
        [text] = [c.args["text"] for c in posts if c.args["channel"] == user
                  and "niet bereikbaar" in c.args["text"]]
        assert "De draad van KB-0001 in Slack is niet bereikbaar" in text
    root_posts = [c for c in posts if c.args["channel"] == JB_CHANNEL]
    assert len(root_posts) == 1  # tried once, never again
    slack.clock.set(slack.clock() + timedelta(hours=2))
    await slack.tick()
    assert len([c for c in slack.fake.of("chat.postMessage")
                if c.args["channel"] == JB_CHANNEL]) == 1



async def test_a_pause_holds_only_the_method_slack_limited(slack: Slack) -> None:
    """Slack limits each Web API method on its own tier: a 429 on chat.update
    keeps root edits back for its Retry-After, not a direct message to someone."""
    await link_everyone(slack)
    await start_referral(slack)
    await slack.tick()
    bram = slack.bot.person_by_email(BRAM)
    assert slack.bot.registry.dispatch(slack.bot.context("slack", bram), "ontvangen KB-0001").ok
    slack.fake.clear()
    slack.fake.fail_next("chat.update", 429, retry_after=30)
    await slack.tick()
    assert len(slack.fake.of("chat.update")) == 1  # refused: the root waits 30 s
    tess = slack.bot.person_by_email("tess.visser@jbgld.example.org")
    with Session(slack.bot.engine) as s:
        enqueue(s, dedupe_key="other", kind="unreachable", template="unreachable",
                payload={"ref": None, "name": "Persoon", "platform": "Slack", "why": "other",
                         "recipient": "x"},
                now=slack.clock(), deliver_after=slack.clock(),
                person_id=tess.id)  # type: ignore[union-attr]
        s.commit()
    slack.clock.set(slack.clock() + timedelta(seconds=10))
    await slack.tick()
    assert [c.args["channel"] for c in slack.fake.of("chat.postMessage")][-1] == "DTESS"
    assert len(slack.fake.of("chat.update")) == 1  # still inside chat.update's window
    slack.clock.set(slack.clock() + timedelta(seconds=21))
    await slack.tick()
    assert len(slack.fake.of("chat.update")) == 2
    assert all(r.status == "sent" for r in rows(slack))

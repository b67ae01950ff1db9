"""Teams threads: a referral's root card in its team's channel, each event a
reply in that thread and the card updated when what it shows changed, and the
card's buttons (`Action.Execute`) running the same commands, with the same
checks, as typing them.

Driven as tests/test_teams.py drives the app: real activities (`message`,
`invoke`) through the Agents SDK, the worker's tick with the clock, and the fake
Connector, which records `create` (a new thread), `send` and `update` calls.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.teams.cards import CARD, action
from bot.teams.sender import TeamsSender
from storage.db import session_scope
from storage.directory.export import dump, export_doc
from storage.models import Team
from storage.tables import Referral, ReferralThread
from tests.conftest import AMS
from tests.fakes.teams_api import BOT_TOKEN, card_action, member
from tests.test_directory_import import run_import
from tests.test_teams import FakeTokenProvider, Teams
from tests.test_teams import fake as fake  # noqa: F401  (fixtures)
from tests.test_teams import teams as teams  # noqa: F401

LT_CHANNEL = "19:lt-ede@thread.tacv2"
BRAM = ("29:1bram", "aad-0000-bram", "bram.devries@sociaalteam-ede.example.org")


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=AMS)


def set_teams_channel(teams: Teams, team_key: str, channel: str) -> None:
    with session_scope(teams.bot.engine) as s:
        team = s.exec(select(Team).where(Team.key == team_key)).one()
        team.teams_channel = channel
        s.add(team)


@pytest.fixture
def sender(teams: Teams) -> Iterator[TeamsSender]:
    set_teams_channel(teams, "lt-ede", LT_CHANNEL)
    uid, aad, email = BRAM
    teams.fake.members[uid] = member(uid, aad, email)
    made = TeamsSender(teams.bot, token_provider=FakeTokenProvider())
    yield made
    made.close()


async def tick(teams: Teams, sender: TeamsSender) -> None:
    await asyncio.to_thread(teams.bot.tick, [sender])


def card_text(content: dict[str, Any]) -> str:
    return " ".join(run["text"] for block in _blocks(content.get("body", []))
                    for run in block.get("inlines", []))


def _blocks(body: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for block in body:
        yield block
        yield from _blocks(block.get("items", []))


def verbs(content: dict[str, Any]) -> list[str]:
    out = []
    for a in content.get("actions", []):
        out.append(a["verb"] if a["type"] == "Action.Execute"
                   else a["card"]["actions"][0]["verb"])
    return out


def lines(teams: Teams, method: str = "send") -> list[Any]:
    """The calls into the LT channel (a thread's lines), not to personal chats."""
    return [c for c in teams.fake.of(method) if f"/v3/conversations/{LT_CHANNEL}" in c.path]


def thread(teams: Teams) -> ReferralThread:
    with Session(teams.bot.engine) as s:
        found = s.exec(select(ReferralThread).where(ReferralThread.platform == "teams")).one()
        s.expunge(found)
        return found


def step(teams: Teams, ref: str = "KB-0001") -> str:
    with Session(teams.bot.engine) as s:
        return s.exec(select(Referral).where(Referral.ref == ref)).one().step


async def press(teams: Teams, who: tuple[str, str, str], verb: str, ref: str = "KB-0001",
                **kw: Any) -> dict[str, Any]:
    """Press a card's button in the thread; the card Teams shows the presser next."""
    uid, aad, _ = who
    root = thread(teams)
    activity = card_action(verb, {"ref": ref}, user_id=uid, aad=aad,
                           conversation=f"{root.channel};messageid={root.root_id}",
                           service_url=teams.fake.service_url, **kw)
    response = await teams.post(activity)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["statusCode"] == 200 and answer["type"] == CARD
    return dict(answer["value"])


async def start(teams: Teams, sender: TeamsSender) -> None:
    await teams.say("jeroen", "help")  # Jeroen's account, linked by e-mail
    teams.clock.set(at(24, 10))
    (started,) = await teams.say("jeroen", "verwijs 301 Ede K-1")
    assert "KB-0001" in started
    await tick(teams, sender)


async def test_a_referral_gets_a_root_card_in_the_lt_channel_once(
        teams: Teams, sender: TeamsSender) -> None:
    await start(teams, sender)
    (created,) = teams.fake.of("create")
    assert created.token == BOT_TOKEN
    assert created.body["channelData"]["channel"]["id"] == LT_CHANNEL
    (attachment,) = created.body["activity"]["attachments"]
    assert attachment["contentType"] == CARD
    content = attachment["content"]
    assert "KB-0001" in card_text(content) and "Stap 1" in card_text(content)
    assert verbs(content)[0] == "ontvangen" and "status" in verbs(content)
    # Plain runs only: nothing in a card is read as Markdown.
    assert all(b["type"] in ("RichTextBlock", "Container") for b in _blocks(content["body"]))
    # The root says what the first line would: no reply, no update.
    assert lines(teams) == [] and teams.fake.of("update") == []
    await tick(teams, sender)
    await tick(teams, TeamsSender(teams.bot, token_provider=FakeTokenProvider()))
    assert len(teams.fake.of("create")) == 1


async def test_a_press_advances_the_step_and_the_thread_and_card_follow(
        teams: Teams, sender: TeamsSender) -> None:
    await start(teams, sender)
    root = thread(teams)
    seen = await press(teams, BRAM, "ontvangen")  # Bram, lokaal team Ede, linked by e-mail
    assert step(teams) == "bepaling"
    assert "Stap 2" in card_text(seen) and "ontvangen" not in verbs(seen)
    teams.clock.set(at(24, 11))
    await tick(teams, sender)
    (line,) = lines(teams)
    assert line.path.endswith(f"/v3/conversations/{root.channel};messageid={root.root_id}"
                              "/activities")
    assert "KB-0001" in line.body["text"] and line.body["textFormat"] == "plain"
    (update,) = teams.fake.of("update")
    assert update.path.endswith(f"/v3/conversations/{root.channel}/activities/{root.root_id}")
    updated = update.body["attachments"][0]["content"]
    assert "Stap 2" in card_text(updated) and verbs(updated)[0] == "volgende"
    await tick(teams, sender)
    assert len(lines(teams)) == 1 and len(teams.fake.of("update")) == 1


async def test_a_failed_card_update_is_retried_without_posting_the_line_again(
        teams: Teams, sender: TeamsSender) -> None:
    await start(teams, sender)
    await press(teams, BRAM, "ontvangen")
    teams.fake.refuse(LT_CHANNEL, 503, method="update")
    teams.clock.set(at(24, 11))
    await tick(teams, sender)
    assert len(lines(teams)) == 1 and len(lines(teams, "update-refused")) == 1
    teams.clock.set(at(24, 12))  # past the retry's backoff
    await tick(teams, sender)
    assert len(lines(teams)) == 1 and len(lines(teams, "update")) == 1


async def test_a_press_is_checked_like_typing(teams: Teams, sender: TeamsSender) -> None:
    await start(teams, sender)
    # Bram (lokaal team) may not send the bepaling: refused, nothing changes.
    await press(teams, BRAM, "ontvangen")
    refused = await press(teams, BRAM, "volgende")
    assert step(teams) == "bepaling"
    assert "volgende" in verbs(refused)  # the card still offers it (to the JB)
    assert card_text(refused).count("KB-0001") >= 1
    # A stranger (no directory entry for their e-mail) is told to link first.
    uid, aad = "29:1stranger", "aad-0000-stranger"
    stranger = await press(teams, (uid, aad, ""), "volgende")
    assert "gekoppeld" in card_text(stranger) and stranger.get("actions") is None
    assert step(teams) == "bepaling"
    # Data that is not one of our buttons changes nothing.
    odd = await press(teams, BRAM, "verwijder", ref="KB-0001")
    assert "Onbekend commando" in card_text(odd)
    odd = await press(teams, BRAM, "ontvangen", ref="<at>everyone</at>")
    assert "Onbekend commando" in card_text(odd)
    assert step(teams) == "bepaling"


async def test_the_same_press_delivered_twice_counts_once(teams: Teams,
                                                          sender: TeamsSender) -> None:
    await start(teams, sender)
    first = await press(teams, BRAM, "ontvangen", activity_id="f:same")
    again = await press(teams, BRAM, "ontvangen", activity_id="f:same")
    assert "Stap 2" in card_text(first) and "al verwerkt" in card_text(again)
    with Session(teams.bot.engine) as s:
        ref = s.exec(select(Referral).where(Referral.ref == "KB-0001")).one()
        assert ref.step == "bepaling"


async def test_a_press_that_fails_is_answered_with_a_sentence(
        teams: Teams, sender: TeamsSender, monkeypatch: pytest.MonkeyPatch) -> None:
    await start(teams, sender)
    from bot.teams.runtime import TeamsRuntime

    def broken(*_args: Any, **_kw: Any) -> None:
        raise RuntimeError("boom at /work/main/bot/teams/runtime.py line 1")

    monkeypatch.setattr(TeamsRuntime, "press", broken)
    seen = await press(teams, BRAM, "ontvangen")
    assert card_text(seen).startswith("Er ging iets mis; er is niets veranderd.")
    assert "boom" not in json.dumps(seen) and "runtime.py" not in json.dumps(seen)
    assert step(teams) == "contact"


def test_the_directory_keeps_a_teams_channel(engine: Engine, tmp_path: Path) -> None:
    small = (Path(__file__).parent / "data" / "small.yaml").read_text(encoding="utf-8")
    line = f"        teams_channel: '{LT_CHANNEL}'\n"
    serves = "        serves: [GM0228]\n"
    with_channel = small.replace(serves, serves + line, 1)
    assert with_channel != small
    path = tmp_path / "teams.yaml"
    path.write_text(with_channel, encoding="utf-8")
    assert run_import(engine, path).ok
    with Session(engine) as s:
        assert s.exec(select(Team.teams_channel).where(Team.key == "lt-ede")).one() == LT_CHANNEL
        exported = dump(export_doc(s))
    assert f"teams_channel: {LT_CHANNEL}\n" in exported
    # Too long for the column: reported with its line, nothing written.
    long = with_channel.replace(LT_CHANNEL, "19:" + "x" * 130)
    path.write_text(long, encoding="utf-8")
    result = run_import(engine, path)
    assert not result.ok and any(p.field == "teams_channel" for p in result.problems)
    with Session(engine) as s:
        assert s.exec(select(Team.teams_channel).where(Team.key == "lt-ede")).one() == LT_CHANNEL


def test_a_step_that_cannot_be_undone_asks_first() -> None:
    button = action("afwijzing", "KB-0007", "nl")
    assert button["type"] == "Action.ShowCard" and button["title"] == "Afwijzing"
    (confirm,) = button["card"]["actions"]
    assert confirm == {"type": "Action.Execute", "title": "Ja", "verb": "afwijzing",
                       "data": {"ref": "KB-0007"}, "style": "destructive"}
    assert "KB-0007" in json.dumps(button["card"]["body"])
    assert action("ontvangen", "KB-0007", "en")["title"] == "Contact made"

"""Teams, proactively: reminders, escalations and notices from the outbox reach a
Teams user's personal chat through the Agents SDK (`TeamsSender`), once; a 429
pauses the app for its Retry-After across processes; a bot removed or a person
without a personal chat ends the row and their team leader is told once.

Driven as in tests/test_teams.py: real activities to the real app (which keeps
the personal chat), then the worker's tick with the clock, against the fake
Connector, which records each send and answers what the test asks of it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from bot.app import choose_sender
from bot.teams.sender import NO_CHAT, TeamsSender
from scheduling.delivery.ratelimit import RateGate
from storage.db import session_scope
from storage.models import ChatIdentity, Person
from storage.tables import Outbox, Referral
from tests.conftest import AMS
from tests.fakes.teams_api import BOT_TOKEN, card_action, member
from tests.test_teams import JEROEN, TESS, FakeTokenProvider, Teams
from tests.test_teams import fake as fake  # noqa: F401  (fixtures)
from tests.test_teams import teams as teams  # noqa: F401

JEROEN_CHAT = "a:1personal-jeroen"
TESS_CHAT = "a:1personal-tess"


def at(day: int, hour: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=AMS)


async def _tick(teams: Teams, sender: TeamsSender) -> None:
    await asyncio.to_thread(teams.bot.tick, [sender])


def _sent(teams: Teams, conversation: str, needle: str = "KB-0001") -> list[str]:
    """The texts sent (not replies) into a conversation that mention `needle`."""
    return [str(c.body["text"]) for c in teams.fake.of("send")
            if c.path.endswith(f"/v3/conversations/{conversation}/activities")
            and needle in str(c.body.get("text"))]


def _rows(teams: Teams, email: str) -> list[Outbox]:
    person = teams.bot.person_by_email(email)
    assert person is not None
    with Session(teams.bot.engine) as s:
        return list(s.exec(select(Outbox).where(Outbox.person_id == person.id)).all())


async def _link_tess(teams: Teams) -> None:
    """Tess (Jeroen's GI teamleider) links her Teams account with a code."""
    tess = teams.bot.person_by_email(TESS)
    assert tess is not None
    code = teams.bot.registry.dispatch(teams.bot.context("slack", tess), "koppelcode").data["code"]
    (linked,) = await teams.say("tess", f"koppel {code}")
    assert "Tess" in linked


@pytest.fixture
def sender(teams: Teams) -> Iterator[TeamsSender]:
    made = TeamsSender(teams.bot, token_provider=FakeTokenProvider())
    yield made
    made.close()


async def test_a_reminder_and_an_escalation_reach_teams_once(teams: Teams,
                                                             sender: TeamsSender) -> None:
    await teams.say("jeroen", "help")  # linked by e-mail; the personal chat is kept
    teams.clock.set(at(24, 10))
    (started,) = await teams.say("jeroen", "verwijs 301 Ede K-1")
    assert "KB-0001" in started
    # Fri 27 Nov: the term ends tonight; Jeroen is reminded in his personal chat.
    teams.clock.set(at(27, 9))
    await _tick(teams, sender)
    (reminder,) = _sent(teams, JEROEN_CHAT)
    # Mon 30 Nov: the term lapsed: escalated to the regionale contactpersoon, and
    # Jeroen is told so in his personal chat.
    teams.clock.set(at(30, 9))
    await _tick(teams, sender)
    first, escalation = _sent(teams, JEROEN_CHAT)
    assert first == reminder and escalation != reminder
    assert "regionale contactpersoon" in escalation
    # Once: more ticks (and a restarted sender) send nothing again.
    await _tick(teams, sender)
    await _tick(teams, TeamsSender(teams.bot, token_provider=FakeTokenProvider()))
    assert len(_sent(teams, JEROEN_CHAT)) == 2
    # Proactive sends carry the bot's own token and are plain text, not replies.
    for call in teams.fake.of("send"):
        assert call.token == BOT_TOKEN and call.body["textFormat"] == "plain"
        assert "replyToId" not in call.body
    assert {r.status for r in _rows(teams, JEROEN) if "KB-0001" in str(r.payload)} == {"sent"}


async def test_a_429_pauses_every_process_until_retry_after(teams: Teams,
                                                            sender: TeamsSender) -> None:
    await teams.say("jeroen", "help")
    teams.clock.set(at(24, 10))
    await teams.say("jeroen", "verwijs 301 Ede K-1")
    teams.fake.refuse(JEROEN_CHAT, 429, retry_after=120)
    teams.clock.set(at(27, 9))
    await _tick(teams, sender)
    assert _sent(teams, JEROEN_CHAT) == [] and len(teams.fake.of("send-refused")) == 1
    # The pause is in the database: another process's sender sees it too.
    other = TeamsSender(teams.bot, token_provider=FakeTokenProvider(),
                        gate=RateGate(teams.bot.engine))
    assert other.paused_until(teams.clock()) is not None
    calls = len(teams.fake.calls)
    teams.clock.set(at(27, 9) + timedelta(seconds=60))
    await _tick(teams, other)
    assert len(teams.fake.calls) == calls  # nobody called inside the window
    teams.clock.set(at(27, 9) + timedelta(seconds=125))
    await _tick(teams, other)
    assert len(_sent(teams, JEROEN_CHAT)) == 1
    other.close()


async def test_a_removed_bot_ends_the_row_and_the_team_leader_is_told(
        teams: Teams, sender: TeamsSender) -> None:
    await teams.say("jeroen", "help")
    await _link_tess(teams)
    teams.clock.set(at(24, 10))
    await teams.say("jeroen", "verwijs 301 Ede K-1")
    teams.fake.refuse(JEROEN_CHAT, 403, times=5)
    teams.clock.set(at(27, 9))
    await _tick(teams, sender)
    dead = [r for r in _rows(teams, JEROEN) if r.status == "dead"]
    assert dead and all("removed or blocked (403)" in (r.last_error or "") for r in dead)
    await _tick(teams, sender)  # the notice to Tess goes out on the next beat
    told = _sent(teams, TESS_CHAT, needle="Jeroen Bakker")
    assert len(told) == 1 and "Microsoft Teams" in told[0]
    refused = len(teams.fake.of("send-refused"))
    await _tick(teams, sender)
    assert len(teams.fake.of("send-refused")) == refused  # not retried every tick


async def test_someone_linked_without_a_personal_chat_is_named_once(
        teams: Teams, sender: TeamsSender) -> None:
    # Linked by e-mail from an @mention in a channel: no personal chat known.
    await teams.say("jeroen", "<at>ketenbot</at> wie Ede", personal=False, mention=True)
    await _link_tess(teams)
    with Session(teams.bot.engine) as s:
        jeroen = s.exec(select(ChatIdentity).where(
            ChatIdentity.external_id == "aad-0000-jeroen")).one()
        assert jeroen.address is None
    teams.bot.registry.dispatch(teams.bot.context("teams", teams.bot.person_by_email(JEROEN)),
                                "verwijs 301 Ede K-1")
    teams.clock.set(at(27, 9))
    await _tick(teams, sender)
    await _tick(teams, sender)
    assert _sent(teams, JEROEN_CHAT) == []
    dead = [r for r in _rows(teams, JEROEN) if r.status == "dead"]
    assert dead and all(r.last_error == NO_CHAT for r in dead)
    assert len(_sent(teams, TESS_CHAT, needle="Jeroen Bakker")) == 1


async def test_without_a_personal_chat_another_linked_platform_is_used(
        teams: Teams, sender: TeamsSender) -> None:
    # Jeroen prefers Teams but has written there only in a channel; he is on
    # Slack too: his messages go to Slack, not into a dead row.
    await teams.say("jeroen", "<at>ketenbot</at> wie Ede", personal=False, mention=True)
    jeroen = teams.bot.person_by_email(JEROEN)
    assert jeroen is not None and jeroen.id is not None
    with session_scope(teams.bot.engine) as s:
        s.add(ChatIdentity(platform="slack", external_id="UJEROEN", person_id=jeroen.id))
        person = s.get(Person, jeroen.id)
        assert person is not None
        person.preferred_platform = "teams"
    slack = FakeSender("slack")
    choose = choose_sender([slack, sender])  # type: ignore[list-item]
    with Session(teams.bot.engine) as s:
        row = Outbox(dedupe_key="x", kind="reminder", template="reminder", payload={},
                     person_id=jeroen.id, created_at=at(27, 9), deliver_after=at(27, 9))
        assert choose(s, row) is slack
        # Once his personal chat is known, Teams (his preference) is used.
    await teams.say("jeroen", "help")
    with Session(teams.bot.engine) as s:
        assert choose(s, row) is sender


class FakeSender:
    def __init__(self, platform: str) -> None:
        self.platform = platform


async def test_the_personal_installation_keeps_the_chat(teams: Teams) -> None:
    await teams.say("jeroen", "<at>ketenbot</at> help", personal=False, mention=True)
    installed = teams.activity("jeroen", "")
    installed.update(type="installationUpdate", action="add", text=None)
    assert (await teams.post(installed)).status_code == 202
    with Session(teams.bot.engine) as s:
        identity = s.exec(select(ChatIdentity).where(
            ChatIdentity.external_id == "aad-0000-jeroen")).one()
    assert identity.address is not None
    assert identity.address["conversation_id"] == JEROEN_CHAT
    assert identity.address["service_url"] == teams.fake.service_url


def _cards(teams: Teams, conversation: str) -> list[dict[str, Any]]:
    """The cards sent into a conversation, in order (a message without one: {})."""
    return [dict(c.body["attachments"][0]["content"]) if c.body.get("attachments") else {}
            for c in teams.fake.of("send")
            if c.path.endswith(f"/v3/conversations/{conversation}/activities")]


async def _press(teams: Teams, who: tuple[str, str], verb: str,
                 conversation: str) -> dict[str, Any]:
    uid, aad = who
    response = await teams.post(card_action(
        verb, {"ref": "KB-0001"}, user_id=uid, aad=aad, conversation=conversation,
        service_url=teams.fake.service_url, conversation_type="personal"))
    assert response.status_code == 200, response.text
    return dict(response.json()["value"])


def _card_text(content: dict[str, Any]) -> str:
    def texts(items: list[dict[str, Any]]) -> list[str]:
        out = []
        for b in items:
            out += [r["text"] for r in b.get("inlines", [])] + texts(b.get("items", []))
        return out
    return "\n".join(texts(content.get("body", [])))


async def test_a_reminder_carries_the_steps_buttons_and_a_press_acts(
        teams: Teams, sender: TeamsSender) -> None:
    """As in Slack's DMs: the reminder's buttons are the step's; pressing one in the
    personal chat runs the command, checked as typed, and shows the case as it is
    now; someone who is no party (any more) sees the answer, not the case."""
    await teams.say("jeroen", "help")
    teams.clock.set(at(24, 10))
    await teams.say("jeroen", "verwijs 301 Ede K-1")
    teams.clock.set(at(27, 9))
    await _tick(teams, sender)
    (reminder,) = _sent(teams, JEROEN_CHAT)
    (buttons,) = [c for c in _cards(teams, JEROEN_CHAT) if c]
    verbs = [a.get("verb") for a in buttons["actions"]]
    assert verbs and verbs[-1] == "status" and "afwijzing" not in verbs
    assert buttons["body"] == []  # the text is the message's, plain
    with Session(teams.bot.engine) as s:
        step = s.exec(select(Referral.step).where(Referral.ref == "KB-0001")).one()
    first = verbs[0]
    seen = await _press(teams, ("29:1jeroen", "aad-0000-jeroen"), first, JEROEN_CHAT)
    with Session(teams.bot.engine) as s:
        assert s.exec(select(Referral.step).where(Referral.ref == "KB-0001")).one() != step
    assert "KB-0001" in _card_text(seen) and "Ede" in _card_text(seen)
    # Olga (a JB in the Achterhoek, linked by e-mail) is no party: the refusal only.
    olga = ("29:1olga", "aad-0000-olga")
    teams.fake.members[olga[0]] = member(*olga, "olga.huisman@jbgld.example.org")
    response = await teams.post(teams.activity("jeroen", "help") | {
        "from": {"id": olga[0], "name": "Teams User", "aadObjectId": olga[1]},
        "conversation": {"id": "a:1personal-olga", "conversationType": "personal",
                         "tenantId": teams.activity("jeroen", "x")["conversation"]["tenantId"]}})
    assert response.status_code == 202
    refused = await _press(teams, olga, "status", "a:1personal-olga")
    assert "Ede" not in _card_text(refused) and refused.get("actions") is None

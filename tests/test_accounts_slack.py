"""Accounts in Slack, through bolt with signed requests: a replayed `overzicht`
gets no second link, a removed person is not linked again by e-mail, a link by
code or by e-mail is confirmed by DM (and on the person's other platform),
personal answers stay ephemeral, and a removal or a role change counts from the
next command although the runtime remembers who a Slack user is for a minute."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from bot.slack.sender import SlackSender
from handlers.accounts.linking import new_code, unlink
from scheduling.delivery.contract import Outgoing
from storage.db import session_scope
from storage.directory.importer import import_doc
from storage.directory.read import load
from storage.models import ChatIdentity
from storage.web_tables import WebLogin
from tests.conftest import SAMPLE
from tests.fakes.slack_api import command_body
from tests.test_slack import JEROEN, TESS, Slack, fake, slack

__all__ = ["fake", "slack"]  # the fixtures


class Recorder:
    """A Telegram that takes every message."""

    platform = "telegram"

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []

    def deliver(self, message: Outgoing) -> None:
        self.sent.append(message)


def links(slack: Slack) -> int:
    with Session(slack.bot.engine) as s:
        return int(s.exec(select(func.count()).select_from(WebLogin)).one())


async def test_replayed_signed_overzicht_gets_no_new_link(slack: Slack) -> None:
    body = command_body("UJEROEN", "overzicht", slack.fake.response_url())
    ts = int(time.time())
    first = await slack.post(body, timestamp=ts)
    assert first.status_code == 200 and "/overzicht/login/" in first.json()["text"]
    replay = await slack.post(body, timestamp=ts)  # byte for byte, within five minutes
    assert replay.status_code == 200
    assert "/overzicht/login/" not in replay.json()["text"]
    assert "al beantwoord" in replay.json()["text"]
    assert links(slack) == 1
    # A new request (its own timestamp and signature) is a new question.
    again = await slack.post(body, timestamp=ts + 1)
    assert "/overzicht/login/" in again.json()["text"] and links(slack) == 2


async def test_removed_person_is_not_linked_again_by_email(slack: Slack) -> None:
    assert "Jeroen" in (await slack.command("UJEROEN", "ik"))["text"]  # linked by e-mail
    done = await slack.command("UTESS", f"verwijder {JEROEN}")
    assert "uit de contactenlijst gehaald" in done["text"], done
    slack.runtime.forget("UJEROEN")  # another web process: nothing remembered there
    answer = await slack.command("UJEROEN", "overzicht")
    assert "niet gekoppeld" in answer["text"] and "/overzicht/login/" not in answer["text"]
    with Session(slack.bot.engine) as s:
        assert not s.exec(select(ChatIdentity).where(ChatIdentity.external_id == "UJEROEN")
                          ).all()
    assert links(slack) == 0


async def test_removed_person_remembered_by_this_process_gets_no_credential(
        slack: Slack) -> None:
    await slack.command("UJEROEN", "ik")
    assert "gehaald" in (await slack.command("UTESS", f"verwijder {JEROEN}"))["text"]
    # This process still remembers UJEROEN for up to a minute: no link or code anyway.
    assert "/overzicht/login/" not in (await slack.command("UJEROEN", "overzicht"))["text"]
    assert "koppelcode:" not in (await slack.command("UJEROEN", "koppelcode"))["text"]
    assert links(slack) == 0


async def test_link_by_code_is_confirmed_by_a_direct_message(slack: Slack) -> None:
    tess = slack.bot.person_by_email(TESS)
    assert tess is not None and tess.id is not None
    code = new_code(slack.bot.engine, tess.id, slack.clock())
    assert "Tess Visser" in (await slack.command("USTRANGER", f"koppel {code}"))["text"]
    await slack.tick()
    [dm] = slack.fake.of("chat.postMessage")
    assert "Dit Slack-account is nu gekoppeld" in dm.args["text"]
    assert "/keten ontkoppel" in dm.args["text"]


async def test_link_by_email_is_announced_by_dm_and_on_telegram(slack: Slack) -> None:
    # Tess reads ketenbot on Telegram; a Slack account with her e-mail address appears.
    tess = slack.bot.person_by_email(TESS)
    assert tess is not None and tess.id is not None
    with session_scope(slack.bot.engine) as s:
        s.add(ChatIdentity(platform="telegram", external_id="7001", person_id=tess.id))
    assert "Tess" in (await slack.command("UTESS", "ik"))["text"]  # linked by e-mail
    await slack.command("UTESS", "ik")  # the same link again: no second announcement
    telegram = Recorder()
    await asyncio.to_thread(slack.bot.tick, [SlackSender(slack.bot), telegram])
    [dm] = [c.args["text"] for c in slack.fake.of("chat.postMessage")]
    assert slack.fake.of("conversations.open")[0].args["users"] == "UTESS"
    assert "Dit Slack-account is nu gekoppeld" in dm and "/keten ontkoppel" in dm
    [elsewhere] = telegram.sent
    assert elsewhere.template == "account_linked_elsewhere"
    assert elsewhere.person is not None and elsewhere.person.id == tess.id


@pytest.mark.parametrize("command", ["mijn", "status KB-0001", "ik", "overzicht", "koppelcode"])
async def test_personal_answers_are_ephemeral(slack: Slack, command: str) -> None:
    answer = await slack.command("UTESS", command)
    assert answer["response_type"] == "ephemeral"


async def test_removal_counts_from_the_next_command_although_the_user_is_remembered(
        slack: Slack) -> None:
    assert "Bram de Vries" in (await slack.command("UJEROEN", "wie Ede"))["text"]
    assert slack.runtime.cached_person("UJEROEN") is not None  # remembered for a minute
    assert "gehaald" in (await slack.command("UTESS", f"verwijder {JEROEN}"))["text"]
    # Seconds later, well within the minute: no contacts, no referral, no link.
    for command in ("wie Ede", "mijn", "verwijs 301 Ede K-1"):
        answer = (await slack.command("UJEROEN", command))["text"]
        assert "niet gekoppeld" in answer, (command, answer)
        assert "Bram de Vries" not in answer and "KB-0001" not in answer
    await slack.idle()
    # The press of a button is the same command: refused too.
    pressed = await slack.press("UJEROEN", "status")
    assert "niet gekoppeld" in pressed["text"], pressed


async def test_a_role_change_by_import_counts_from_the_next_command(slack: Slack) -> None:
    assert "KB-0001" in (await slack.command("UJEROEN", "verwijs 301 Ede K-1"))["text"]
    doc = load(SAMPLE)
    jeroen = next(p for p in doc.people if p.email == JEROEN)
    jeroen.role = "gedragswetenschapper"  # no longer a jeugdbeschermer
    with session_scope(slack.bot.engine) as session:
        assert import_doc(doc, session, prefer="file").ok
    answer = (await slack.command("UJEROEN", "verwijs 301 Ede K-2"))["text"]
    assert "Alleen een jeugdbeschermer" in answer, answer
    with Session(slack.bot.engine) as s:
        assert s.exec(select(func.count()).select_from(ChatIdentity).where(
            ChatIdentity.external_id == "UJEROEN")).one() == 1  # still linked, as someone else


async def test_an_admin_unlink_in_another_process_counts_from_the_next_command(
        slack: Slack) -> None:
    await slack.command("UJEROEN", "ik")
    jeroen = slack.bot.person_by_email(JEROEN)
    assert jeroen is not None and jeroen.id is not None
    assert unlink(slack.bot.engine, jeroen.id, "slack") == ["slack"]  # `ketenbot unlink`
    users_info = len(slack.fake.of("users.info"))
    await slack.command("UJEROEN", "ik")
    # Looked up afresh: not linked, so Slack's profile is asked again (and, the
    # person being active, the account is linked by e-mail once more).
    assert len(slack.fake.of("users.info")) == users_info + 1

"""Microsoft Teams: the real Starlette app from `ketenbot serve` and the Agents
SDK behind `/api/messages`, driven with real activity JSON and Bot Framework
style tokens signed by a local issuer, answering through a local fake
Connector (tests/fakes/teams_api.py) that checks the bot's own token.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.app import KetenBot
from bot.cli.main import app as cli
from bot.config import Settings
from bot.logs import setup_logging
from bot.serve import build_web_app
from bot.teams.text import bot_mention_texts, command_text
from handlers.accounts.linking import new_code
from storage.models import ChatIdentity
from storage.tables import ProcessedEvent, Referral
from tests.conftest import FakeClock
from tests.fakes.teams_api import (
    APP_ID,
    BOT_ID,
    BOT_TOKEN,
    OTHER_TENANT,
    TENANT,
    FakeTeams,
    FakeTokenProvider,
    member,
    message,
)

JEROEN = "jeroen.bakker@jbgld.example.org"
TESS = "tess.visser@jbgld.example.org"
# Teams user id (per bot) and Entra object id of each test user.
USERS = {"jeroen": ("29:1jeroen", "aad-0000-jeroen", JEROEN),
         "stranger": ("29:1stranger", "aad-0000-stranger", "iemand@elders.example.org"),
         "tess": ("29:1tess", "aad-0000-tess", "tess.visser@prive.example.org")}
SECRET = "test-client-secret-value~1"


def teams_settings(fake: FakeTeams, **extra: Any) -> Settings:
    values = {"teams_app_id": APP_ID, "teams_app_password": SECRET, "teams_tenant_ids": TENANT,
              "teams_openid_url": fake.openid_url, "teams_service_host_check": False,
              "teams_service_url": fake.service_url}
    return Settings(_env_file=None, **(values | extra))  # type: ignore[call-arg]


@dataclass
class Teams:
    bot: KetenBot
    http: httpx.AsyncClient
    fake: FakeTeams
    clock: FakeClock
    conversations: dict[str, str] = field(default_factory=dict)

    async def post(self, activity: dict[str, Any], token: str | None = "sign",
                   **sign: Any) -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        if token == "sign":
            token = self.fake.sign(**sign)
        if token is not None:  # a whole header ("Basic …") as given, else a bearer token
            headers["Authorization"] = token if token.startswith("Basic ") else f"Bearer {token}"
        return await self.http.post("/api/messages", json=activity, headers=headers)

    def activity(self, who: str, text: str, **kw: Any) -> dict[str, Any]:
        user_id, aad, _ = USERS[who]
        personal = kw.pop("personal", True)
        conversation = (f"a:1personal-{who}" if personal
                        else "19:food-valley@thread.tacv2;messageid=1700000000000")
        return message(text, user_id=user_id, aad=aad, conversation=conversation,
                       service_url=self.fake.service_url, personal=personal, **kw)

    async def say(self, who: str, text: str, **kw: Any) -> list[str]:
        """Send a message; the texts the bot answered with (reply-to, in order)."""
        before = len(self.fake.of("reply"))
        activity = self.activity(who, text, **kw)
        response = await self.post(activity)
        assert response.status_code == 202, response.text
        replies = self.fake.of("reply")[before:]
        for call in replies:  # an answer to this activity, in its conversation, as plain text
            assert call.path.endswith(
                f"/v3/conversations/{activity['conversation']['id']}/activities/"
                f"{activity['id']}"), call.path
            assert call.body["textFormat"] == "plain" and call.body["replyToId"] == activity["id"]
            assert call.token == BOT_TOKEN
        return [str(c.body["text"]) for c in replies]

    def identities(self) -> list[tuple[str, str, int]]:
        with Session(self.bot.engine) as s:
            return [(i.platform, i.external_id, i.person_id)
                    for i in s.exec(select(ChatIdentity)).all()]


@pytest.fixture
def fake() -> Iterator[FakeTeams]:
    members = {uid: member(uid, aad, email) for uid, aad, email in USERS.values()}
    with FakeTeams(members=members) as f:
        yield f


@pytest.fixture
async def teams(sample_engine: Engine, clock: FakeClock, fake: FakeTeams
                ) -> AsyncIterator[Teams]:
    bot = KetenBot(teams_settings(fake), sample_engine, clock)
    web = build_web_app(bot, teams_token_provider=FakeTokenProvider())
    async with web.router.lifespan_context(web), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=web), base_url="http://ketenbot") as http:
        yield Teams(bot, http, fake, clock)


# -- who may post ----------------------------------------------------------------------

REFUSED: dict[str, tuple[dict[str, Any], dict[str, Any], str]] = {
    # name: (how the token is made, what changes in the activity, the reason logged)
    "unsigned": ({"token": None}, {}, "no token"),
    "not a bearer token": ({"token": "Basic dXNlcjpwdw=="}, {}, "not a bearer token"),
    "garbage token": ({"token": "not.a.jwt"}, {}, "token not valid"),
    "wrong signature": ({"key": "other"}, {}, "token not valid (InvalidSignatureError)"),
    "wrong audience": ({"audience": "00000000-0000-4000-8000-0000000000ff"}, {},
                       "token not valid (ValueError)"),
    "wrong issuer": ({"issuer": "https://sts.example.org/"}, {}, "token not valid (ValueError)"),
    "expired": ({"lifetime": -3600}, {}, "token not valid (ExpiredSignatureError)"),
    "wrong tenant": ({}, {"tenant": OTHER_TENANT}, "tenant not allowed"),
    "no tenant": ({}, {"tenant": None}, "no tenant"),
    "serviceUrl not the token's": ({"service_url": "http://127.0.0.2:9/teams/"}, {},
                                   "serviceUrl differs"),
    "key not endorsed for the channel": ({}, {"channel": "skype"}, "not endorsed"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
async def test_a_request_that_is_not_ours_is_refused_and_changes_nothing(
        teams: Teams, case: str, caplog: pytest.LogCaptureFixture) -> None:
    sign, change, reason = REFUSED[case]
    sign = dict(sign)
    if sign.get("key") == "other":
        sign["key"] = teams.fake.other_key
    token = sign.pop("token", "sign")
    change = dict(change)
    channel = change.pop("channel", None)
    activity = teams.activity("jeroen", "wie Ede", **change)
    if channel:
        activity["channelId"] = channel
    signed = teams.fake.sign(**sign) if token == "sign" else token
    with caplog.at_level(logging.INFO):
        response = await teams.post(activity, token=signed)
    assert response.status_code == 401
    assert teams.fake.calls == []  # no member look-up, no answer
    assert teams.identities() == []
    with Session(teams.bot.engine) as s:
        assert s.exec(select(ProcessedEvent)).all() == []
    ours = [r for r in caplog.records if r.name == "ketenbot.teams"]
    assert [r.getMessage().split(":")[0] for r in ours] == ["teams request refused"]
    assert reason in ours[0].getMessage()
    if signed:
        assert all(signed not in r.getMessage() for r in caplog.records)


async def test_unreachable_signing_keys_refuse_the_request(
        sample_engine: Engine, clock: FakeClock, fake: FakeTeams,
        caplog: pytest.LogCaptureFixture) -> None:
    settings = teams_settings(fake, teams_openid_url="http://127.0.0.1:9/openid")
    bot = KetenBot(settings, sample_engine, clock)
    web = build_web_app(bot, teams_token_provider=FakeTokenProvider())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=web),
                                 base_url="http://ketenbot") as http:
        t = Teams(bot, http, fake, clock)
        with caplog.at_level(logging.INFO):
            response = await t.post(t.activity("jeroen", "wie Ede"))
    assert response.status_code == 401 and fake.calls == []
    assert any("signing keys unavailable" in r.getMessage() for r in caplog.records)


def test_without_a_token_provider_the_app_uses_msal(sample_engine: Engine, clock: FakeClock,
                                                    fake: FakeTeams) -> None:
    from microsoft_agents.authentication.msal import MsalAuth

    from bot.teams.web import TeamsEndpoint

    endpoint = TeamsEndpoint(KetenBot(teams_settings(fake), sample_engine, clock))
    provider = endpoint.adapter._channel_service_client_factory._connection_manager \
        .get_default_connection()  # type: ignore[attr-defined]
    assert isinstance(provider, MsalAuth)
    assert provider._msal_configuration.CLIENT_SECRET == SECRET  # type: ignore[attr-defined]
    assert any(getattr(r, "path", "") == "/api/messages"
               for r in build_web_app(KetenBot(teams_settings(fake), sample_engine, clock)).routes)
    assert not any(getattr(r, "path", "") == "/api/messages"
                   for r in build_web_app(KetenBot(Settings(_env_file=None),  # type: ignore[call-arg]
                                                   sample_engine, clock)).routes)


async def test_a_signed_request_from_our_tenant_is_accepted(teams: Teams) -> None:
    assert await teams.say("jeroen", "help")
    assert teams.fake.metadata_fetches == 1 and teams.fake.keys_fetches == 1
    assert await teams.say("jeroen", "help")
    assert teams.fake.metadata_fetches == 1 and teams.fake.keys_fetches == 1  # both cached


async def test_the_service_host_check_refuses_a_local_service_url_by_default(
        sample_engine: Engine, clock: FakeClock, fake: FakeTeams) -> None:
    bot = KetenBot(teams_settings(fake, teams_service_host_check=True), sample_engine, clock)
    web = build_web_app(bot, teams_token_provider=FakeTokenProvider())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=web),
                                 base_url="http://ketenbot") as http:
        t = Teams(bot, http, fake, clock)
        response = await t.post(t.activity("jeroen", "wie Ede"))
    assert response.status_code == 401 and fake.calls == []


# -- commands and linking ---------------------------------------------------------------


async def test_wie_in_a_personal_chat_links_by_email_and_answers_there(teams: Teams) -> None:
    notice, answer = await teams.say("jeroen", "wie Ede")
    assert "Teams-account is nu gekoppeld" in notice and "ontkoppel" in notice
    assert "Bram de Vries" in answer  # Anouk is absent: her koppelgenoot
    assert [c.path.rsplit("/", 1)[-1] for c in teams.fake.of("member")] == ["29:1jeroen"]
    person = teams.bot.person_by_identity("teams", "aad-0000-jeroen")
    assert person is not None and person.email == JEROEN
    assert "Bram de Vries" in (await teams.say("jeroen", "wie Ede"))[0]
    assert len(teams.fake.of("member")) == 1  # linked once, from the database since
    assert all(c.token == BOT_TOKEN for c in teams.fake.calls)


async def test_an_at_mention_in_a_channel_is_answered_there(teams: Teams) -> None:
    await teams.say("jeroen", "help")  # linked in the personal chat
    (answer,) = await teams.say("jeroen", "wie Ede", personal=False, mention=True)
    assert "Bram de Vries" in answer and "<at>" not in answer
    # Not addressed to the bot: a channel message without the mention is not ours.
    assert await teams.say("jeroen", "wie Ede", personal=False) == []


async def test_a_first_message_in_a_channel_links_by_the_channels_member(teams: Teams) -> None:
    notice, answer = await teams.say("jeroen", "wie Ede", personal=False, mention=True)
    assert "gekoppeld" in notice and "Bram de Vries" in answer
    (lookup,) = teams.fake.of("member")
    assert lookup.path == "/teams/v3/conversations/19:food-valley@thread.tacv2/members/29:1jeroen"


async def test_a_personal_answer_is_not_given_in_a_channel(teams: Teams) -> None:
    await teams.say("jeroen", "help")
    (answer,) = await teams.say("jeroen", "koppelcode", personal=False, mention=True)
    assert "persoonlijke chat" in answer
    (answer,) = await teams.say("jeroen", "koppelcode")
    assert "koppelcode" in answer.casefold()


async def test_unknown_email_gets_the_help_and_koppel_links(teams: Teams) -> None:
    (answer,) = await teams.say("stranger", "wie Ede")
    assert "niet gekoppeld" in answer and "koppel CODE" in answer
    assert teams.identities() == []
    assert "Commando's" in (await teams.say("stranger", "help"))[0]
    tess = teams.bot.person_by_email(TESS)
    assert tess is not None and tess.id is not None
    code = new_code(teams.bot.engine, tess.id, teams.clock())
    assert "klopt niet" in (await teams.say("tess", "koppel WRONGCODE"))[0]
    (linked,) = await teams.say("tess", f"koppel {code}")
    assert "Tess Visser" in linked and "Teams-account" in linked
    assert teams.identities() == [("teams", "aad-0000-tess", tess.id)]
    assert "Tess Visser" in (await teams.say("tess", "mijn"))[0]
    assert "al gebruikt" in (await teams.say("stranger", f"koppel {code}"))[0]


async def test_someone_not_linked_is_answered_in_their_teams_language(teams: Teams) -> None:
    activity = teams.activity("stranger", "who Ede")
    activity["locale"] = "en-US"
    assert (await teams.post(activity)).status_code == 202
    (reply,) = teams.fake.of("reply")
    assert "not linked" in reply.body["text"] and "koppel CODE" in reply.body["text"]


async def test_a_code_from_koppelcode_links_a_second_account(teams: Teams) -> None:
    await teams.say("jeroen", "help")
    jeroen = teams.bot.person_by_email(JEROEN)
    assert jeroen is not None
    ctx = teams.bot.context("slack", jeroen)
    reply = teams.bot.registry.dispatch(ctx, "koppelcode")  # asked in Slack, say
    code = reply.data["code"]
    (linked,) = await teams.say("stranger", f"koppel {code}")
    assert "Jeroen Bakker" in linked
    # One Teams account per person: the new one replaced the old.
    assert teams.identities() == [("teams", "aad-0000-stranger", jeroen.id)]


async def test_ontkoppel_takes_the_teams_account_off(teams: Teams) -> None:
    await teams.say("jeroen", "help")
    (answer,) = await teams.say("jeroen", "ontkoppel")
    assert "teams" in answer.casefold() and teams.identities() == []
    jeroen = teams.bot.person_by_email(JEROEN)
    assert jeroen is not None
    await teams.say("jeroen", "help")  # linked again by e-mail
    reply = teams.bot.registry.dispatch(teams.bot.context("slack", jeroen), "ontkoppel teams")
    assert reply.data["platforms"] == ["teams"] and teams.identities() == []


async def test_a_bsn_is_refused_before_anything_else(teams: Teams) -> None:
    (answer,) = await teams.say("stranger", "verwijs 301 Ede 111222333")
    assert "BSN" in answer and "Teams bewaart" in answer
    assert teams.fake.of("member") == []  # not even the e-mail was looked up
    assert teams.identities() == []
    with Session(teams.bot.engine) as s:
        assert s.exec(select(Referral)).all() == []


async def test_an_activity_sent_again_is_answered_once(teams: Teams) -> None:
    activity = teams.activity("jeroen", "wie Ede", activity_id="1700000000001")
    assert (await teams.post(activity)).status_code == 202
    assert (await teams.post(activity)).status_code == 202
    assert len(teams.fake.of("reply")) == 2  # the link notice and the answer, once


async def test_other_activities_are_acknowledged_and_left_alone(teams: Teams) -> None:
    added = teams.activity("jeroen", "")
    added.update(type="conversationUpdate", text=None,
                 membersAdded=[{"id": BOT_ID}, {"id": "29:1jeroen"}])
    assert (await teams.post(added)).status_code == 202
    installed = teams.activity("jeroen", "")
    installed.update(type="installationUpdate", action="add", text=None)
    assert (await teams.post(installed)).status_code == 202
    guest = teams.activity("jeroen", "wie Ede")
    del guest["from"]["aadObjectId"]  # an anonymous meeting guest: no Entra account
    assert (await teams.post(guest)).status_code == 202
    assert teams.fake.calls == [] and teams.identities() == []


async def test_a_failed_turn_is_a_sentence_not_a_traceback(
        teams: Teams, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    from bot.teams import app as teams_app

    def broken(*_a: Any) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(teams_app, "command_text", broken)
    with caplog.at_level(logging.INFO):
        (answer,) = await teams.say("jeroen", "wie Ede")
    assert answer.startswith("Er ging iets mis") and "boom" not in answer
    assert "Traceback" not in answer


async def test_logs_at_debug_hold_no_token_and_no_message_text(teams: Teams) -> None:
    root = logging.getLogger()
    names = ("microsoft_agents", "msal", "ketenbot")
    saved = list(root.handlers), root.level, {n: logging.getLogger(n).level for n in names}
    stream = io.StringIO()
    try:
        setup_logging("DEBUG", "text", teams.bot.settings.secrets(), stream)
        for name in names:  # as if the SDK turned itself up
            logging.getLogger(name).setLevel(logging.DEBUG)
        token = teams.fake.sign()
        activity = teams.activity("jeroen", "wie Ede gezin Jansen")
        assert (await teams.post(activity, token=token)).status_code == 202
        assert (await teams.post(activity, token="x" + token)).status_code == 401
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
        for name, level in saved[2].items():
            logging.getLogger(name).setLevel(level)
    out = stream.getvalue()
    assert "teams request refused" in out and "teams user linked by e-mail" in out
    for secret in (token, BOT_TOKEN, SECRET, "gezin Jansen", "Bram de Vries"):
        assert secret not in out


# -- the message parser -----------------------------------------------------------------


def test_the_bots_mention_is_taken_out() -> None:
    mentions = bot_mention_texts([{"type": "mention", "text": "<at>ketenbot</at>",
                                   "mentioned": {"id": BOT_ID, "name": "ketenbot"}},
                                  {"type": "mention", "text": "<at>Bram</at>",
                                   "mentioned": {"id": "29:bram", "name": "Bram"}}], BOT_ID)
    assert mentions == ["<at>ketenbot</at>"]
    assert command_text("<at>ketenbot</at>&nbsp;wie  Ede\n", mentions) == "wie Ede"
    assert command_text("<at>Bram</at> wie Ede <at>ketenbot</at>", mentions) == "Bram wie Ede"
    assert command_text("&lt;at&gt;x&lt;/at&gt; <<at>at>y", []) == "x y"
    assert command_text(None) == ""


AT_TAG = re.compile(r"<\s*/?\s*at\b[^>]*>", re.IGNORECASE)
MARKUPISH = st.text(alphabet=st.sampled_from(list("<>/at AT&;#lgmpnbs0123xX\u00a0\n=\"wieEd")))


@settings(max_examples=300)
@given(MARKUPISH | st.text(), st.lists(MARKUPISH | st.text(max_size=20), max_size=3))
@example("<<at>at>>wie Ede", ["<at>ketenbot</at>"])
@example("&lt;at&gt;x&amp;lt;/at&amp;gt;", [])
@example("<AT id='0'>ketenbot</at >&nbsp;wie", ["<at>ketenbot</at>"])
def test_the_parser_never_raises_and_never_leaves_at_markup(text: str,
                                                            mentions: list[str]) -> None:
    out = command_text(text, mentions)
    assert AT_TAG.search(out) is None
    assert "<at>" not in out.casefold() and "</at>" not in out.casefold()
    assert out == out.strip() and "  " not in out
    mentioned = bot_mention_texts([{"type": "mention", "text": m, "mentioned": {"id": BOT_ID}}
                                   for m in mentions] + [{"type": "x"}, "junk"],  # type: ignore[list-item]
                                  BOT_ID)
    assert mentioned == mentions


@pytest.mark.parametrize(("platform", "ok"), [("teams", True), ("msteams", False)])
def test_teams_is_a_preferred_platform_in_the_directory_file(
        engine: Engine, tmp_path: Any, platform: str, ok: bool) -> None:
    from pathlib import Path

    from storage import db
    from storage.directory.importer import import_doc
    from storage.directory.read import load
    from storage.models import Person

    small = (Path(__file__).parent / "data" / "small.yaml").read_text(encoding="utf-8")
    changed = small.replace("- email: anna@lt-ede.example.org",
                            f"- email: anna@lt-ede.example.org\n"
                            f"            preferred_platform: {platform}", 1)
    assert changed != small
    (tmp_path / "small.yaml").write_text(changed, encoding="utf-8")
    with db.session_scope(engine) as session:
        result = import_doc(load(tmp_path / "small.yaml"), session)
        assert result.ok == ok, [str(p) for p in result.problems]
    if ok:
        with Session(engine) as s:
            anna = s.exec(select(Person).where(Person.email == "anna@lt-ede.example.org")).one()
            assert anna.preferred_platform == "teams"
    else:
        assert "kies slack, telegram of teams" in str(result.problems[0])


# -- configuration ------------------------------------------------------------------------


def test_config_check_names_what_teams_still_needs(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Any) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KETENBOT_TEAMS_APP_ID", APP_ID)
    out = CliRunner().invoke(cli, ["config", "check"]).stdout
    assert ("Teams: uit / off — ontbreekt / missing: KETENBOT_TEAMS_APP_PASSWORD, "
            "KETENBOT_TEAMS_TENANT_IDS") in out
    monkeypatch.setenv("KETENBOT_TEAMS_APP_PASSWORD", SECRET)
    monkeypatch.setenv("KETENBOT_TEAMS_TENANT_IDS", f"{TENANT}, {OTHER_TENANT}")
    out = CliRunner().invoke(cli, ["config", "check"]).stdout
    assert "Teams: aan / on — POST /api/messages" in out and SECRET not in out
    assert f"{TENANT}, {OTHER_TENANT}" in out

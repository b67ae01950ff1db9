"""Web sessions end on the server: sign-out, removal, a role change, `ontkoppel`;
and sign-in, sign-out and the language switch need the page's own CSRF token."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlmodel import Session, select
from starlette.testclient import TestClient

from bot.app import KetenBot
from handlers.accounts.linking import link, unlink
from storage.db import session_scope
from storage.models import ChatIdentity, Person
from storage.web_tables import WebLogin
from tests.conftest import FakeClock, import_file
from tests.test_web_overview import ask_link, bot, client, csrf_of, post_login, sign_in

__all__ = ["bot"]  # the fixture

JB = "jb2@gi.example.org"
TL = "tl@gi.example.org"  # team leader of JB's team


def stolen(c: TestClient) -> TestClient:
    """Another browser holding a copy of `c`'s session cookie."""
    thief = TestClient(c.app, base_url=str(c.base_url), follow_redirects=False)
    thief.cookies.set("ketenbot_sessie", c.cookies["ketenbot_sessie"], path="/overzicht")
    return thief


def test_sign_out_ends_the_session_also_for_a_copied_cookie(bot: KetenBot) -> None:
    c = client(bot)
    sign_in(c, bot, JB)
    copy = stolen(c)
    assert copy.get("/overzicht/").status_code == 200
    page = c.get("/overzicht/")
    r = c.post("/overzicht/uitloggen", data={"csrf": csrf_of(page.text)})
    assert r.status_code == 303
    assert copy.get("/overzicht/").status_code == 401  # the cookie alone is worth nothing now


def test_removal_ends_sessions_and_no_new_link_is_given(bot: KetenBot) -> None:
    c = client(bot)
    sign_in(c, bot, JB)
    token = ask_link(bot, JB).rsplit("/", 1)[1]  # a link asked for before the removal
    reply = bot.registry.dispatch(bot.context("console", bot.person_by_email(TL)),
                                  f"verwijder {JB}")
    assert reply.template == "contact_done", reply
    r = c.get("/overzicht/")
    assert r.status_code == 401 and "KB-" not in r.text
    assert post_login(client(bot), token).status_code == 400  # the open link died with it
    with Session(bot.engine) as s:
        assert not s.exec(select(WebLogin).where(WebLogin.used_at.is_(None))).all()  # type: ignore[union-attr]


def test_role_change_ends_the_session(bot: KetenBot) -> None:
    c = client(bot)
    sign_in(c, bot, TL)
    assert c.get("/overzicht/").status_code == 200
    with session_scope(bot.engine) as s:  # as an import or a contactbeheerder would
        tl = s.exec(select(Person).where(Person.email == TL)).one()
        tl.role = "medewerker"
        s.add(tl)
    assert c.get("/overzicht/").status_code == 401


def test_ontkoppel_alle_ends_web_sessions(bot: KetenBot) -> None:
    c = client(bot)
    sign_in(c, bot, JB)
    person = bot.person_by_email(JB)
    assert person is not None and person.id is not None
    unlink(bot.engine, person.id, None)
    assert c.get("/overzicht/").status_code == 401


def test_sign_in_from_another_site_is_refused_and_the_link_not_spent(bot: KetenBot) -> None:
    token = ask_link(bot, JB).rsplit("/", 1)[1]
    # Another site's form posts the attacker's link into the victim's browser:
    # no sign-in cookie of ours, or a token that does not belong to it.
    victim = client(bot)
    r = victim.post("/overzicht/login", data={"token": token})
    assert r.status_code == 403 and "set-cookie" not in r.headers
    other = client(bot)
    foreign = csrf_of(other.get(f"/overzicht/login/{token}").text)
    victim.get(f"/overzicht/login/{token}")  # the victim's own sign-in cookie
    assert victim.post("/overzicht/login",
                       data={"token": token, "csrf": foreign}).status_code == 403
    assert victim.get("/overzicht/").status_code == 401
    # The link still works from its own page.
    assert post_login(client(bot), token).status_code == 303


def test_sign_out_and_language_need_the_token(bot: KetenBot, clock: FakeClock) -> None:
    c = client(bot)
    sign_in(c, bot, JB)
    assert c.post("/overzicht/uitloggen").status_code == 403
    assert c.post("/overzicht/uitloggen", data={"csrf": "0" * 64}).status_code == 403
    assert c.get("/overzicht/").status_code == 200  # still signed in
    assert c.get("/overzicht/taal/en").status_code == 405  # a link cannot switch it
    assert c.post("/overzicht/taal/en").status_code == 403
    assert "Open verwijzingen" in c.get("/overzicht/").text
    csrf = csrf_of(c.get("/overzicht/").text)
    assert c.post("/overzicht/taal/en", data={"csrf": csrf}).status_code == 303
    assert "Open referrals" in c.get("/overzicht/").text


def test_session_ends_after_its_hours(bot: KetenBot, clock: FakeClock) -> None:
    c = client(bot)
    sign_in(c, bot, JB)
    clock.set(clock() + timedelta(hours=7, minutes=59))
    assert c.get("/overzicht/").status_code == 200
    clock.set(clock() + timedelta(minutes=2))  # past the default eight hours
    assert c.get("/overzicht/").status_code == 401


ARCHIVED = """
organisations:
  - key: uit-dienst
    name: Uit dienst (archief)
    kind: regio
    teams:
      - key: uit-dienst
        name: Uit dienst (archief)
        serves: []
        people:
          - {email: jb2@gi.example.org, name: Sanne Visser, role: medewerker}
"""


def test_import_into_the_archive_team_ends_chat_and_web_access(bot: KetenBot,
                                                               tmp_path: Path) -> None:
    c = client(bot)
    sign_in(c, bot, JB)
    person = bot.person_by_email(JB)
    assert person is not None and person.id is not None
    with session_scope(bot.engine) as s:
        link(s, "telegram", "5050", person.id)
    path = tmp_path / "uit-dienst.yaml"
    path.write_text(ARCHIVED, encoding="utf-8")
    import_file(bot.engine, path)
    assert bot.person_by_identity("telegram", "5050") is None
    with Session(bot.engine) as s:
        assert not s.exec(select(ChatIdentity).where(ChatIdentity.person_id == person.id)).all()
    assert c.get("/overzicht/").status_code == 401

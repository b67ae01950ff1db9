"""Contactbeheer on the overview page (/overzicht/contacten), through the ASGI app
with httpx: who may see and change which teams, each change as in chat (same
rules, same refusals), audited with platform "web", CSRF-protected."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from starlette.applications import Starlette
from starlette.routing import Mount

from bot.app import KetenBot
from bot.config import Settings
from bot.web.app import web_app
from handlers.overview.sign_in import WebSettings
from storage.contact_tables import Contactbeheerder, DirectoryChange, Steunstructuur
from storage.db import session_scope
from storage.models import Person, Region, Team
from storage.web_tables import WebAccess
from tests.conftest import FakeClock
from tests.overview_history import at, load_directory, make_referral, person_id

Client = httpx.AsyncClient


@pytest.fixture
def bot(engine: Engine, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> KetenBot:
    monkeypatch.setenv("KETENBOT_WEB_BASE_URL", "http://testserver")
    load_directory(engine)
    with session_scope(engine) as s:
        fv = s.exec(select(Region).where(Region.code == "food-valley")).one()
        ah = s.exec(select(Region).where(Region.code == "achterhoek")).one()
        assert fv.id and ah.id
        s.add(Steunstructuur(region_id=fv.id, responsible="Gemeente Ede", frequency_days=30))
        for region_id, email in ((fv.id, "rcp@fv.example.org"), (ah.id, "rcp@ah.example.org"),
                                 (fv.id, "za@zorg.example.org")):
            s.add(Contactbeheerder(region_id=region_id, person_id=person_id(engine, email)))
        anouk = s.exec(select(Person).where(Person.email == "lt@ede.example.org")).one()
        anouk.verified_on = at("2026-11-20 10:00").date()
        s.add(anouk)
    clock.set(at("2026-11-24 10:00"))
    return KetenBot(Settings(_env_file=None), engine, clock)  # type: ignore[call-arg]


@pytest.fixture
async def web(bot: KetenBot) -> AsyncIterator[Starlette]:
    yield Starlette(routes=[Mount("/overzicht", app=web_app(
        bot, WebSettings(secret="test-secret", base_url="http://testserver")))])


def client(app: Starlette) -> Client:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                             base_url="http://testserver")


@asynccontextmanager
async def signed_in(app: Starlette, bot: KetenBot, email: str) -> AsyncIterator[Client]:
    reply = bot.registry.dispatch(bot.context("console", bot.person_by_email(email)), "overzicht")
    assert reply.template == "overview_link", reply
    async with client(app) as c:
        token = str(reply.data["url"]).rsplit("/", 1)[1]
        page = await c.get(f"/overzicht/login/{token}")
        r = await c.post("/overzicht/login", data={"token": token, "csrf": csrf_of(page.text)})
        assert r.status_code == 303
        yield c


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found, html
    return found.group(1)


async def post(c: Client, action: str, **form: str) -> httpx.Response:
    page = await c.get("/overzicht/contacten")
    return await c.post(f"/overzicht/contacten/{action}", data={"csrf": csrf_of(page.text)} | form)


def team_of(engine: Engine, email: str) -> str | None:
    with Session(engine) as s:
        row = s.exec(select(Team.key).join(Person, col(Person.team_id) == Team.id)
                     .where(Person.email == email)).first()
        return row


def changes(engine: Engine) -> list[DirectoryChange]:
    with Session(engine) as s:
        return list(s.exec(select(DirectoryChange).order_by(col(DirectoryChange.id))).all())


def teams_on(html: str) -> set[str]:
    """The teams this person can open: the team picker's choices, or the one table."""
    picker = re.search(r'<select name="team" id="pick-team">(.*?)</select>', html, re.S)
    if picker:
        return set(re.findall(r'<option value="([\w-]+)"', picker.group(1)))
    return set(re.findall(r'data-team="([\w-]+)"', html))


async def test_a_contactbeheerder_sees_the_regions_teams_with_freshness(
        web: Starlette, bot: KetenBot) -> None:
    async with signed_in(web, bot, "rcp@fv.example.org") as c:
        page = await c.get("/overzicht/contacten")
        ede = await c.get("/overzicht/contacten?team=lt-ede")
    assert page.status_code == 200
    assert {"lt-ede", "lt-barneveld", "gi-fv", "regio-fv"} <= teams_on(page.text)
    # One team at a time, picked above it: the forms stay near the top.
    assert page.text.count("<table") == 1 and ede.text.count("<table") == 1
    assert 'data-team="lt-ede"' in ede.text and 'data-team="lt-barneveld"' not in ede.text
    assert "Sociaal Team Ede (1 niet actueel)</option>" in page.text  # the picker says where
    page = ede
    assert not {"lt-doetinchem", "gi-ah"} & teams_on(page.text)  # another region
    # Anouk confirmed four days ago (period 30 days); Bert never did.
    anouk = re.search(r'<tr class="" data-email="lt@ede.example.org">.*?</tr>', page.text, re.S)
    bert = re.search(r'<tr class="lapsed" data-email="tl@ede.example.org">.*?</tr>',
                     page.text, re.S)
    assert anouk and "20-11-2026" in anouk.group(0)
    assert bert and "nooit" in bert.group(0) and "niet actueel" in bert.group(0)
    assert "termijn 30 dagen" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert page.headers["x-frame-options"] == "DENY"
    with Session(bot.engine) as s:
        logged = s.exec(select(WebAccess).where(WebAccess.path == "/overzicht/contacten")).all()
    assert [a.status for a in logged] == [200, 200]


async def test_add_move_pair_and_remove_through_the_page(web: Starlette, bot: KetenBot) -> None:
    new = "nina@ede.example.org"
    async with signed_in(web, bot, "rcp@fv.example.org") as c:
        r = await post(c, "toevoegen", team="lt-ede", email=new, rol="medewerker",
                       naam="Nina  de Wit")
        assert r.status_code == 200 and 'id="result"' in r.text and "Nina de Wit" in r.text
        assert team_of(bot.engine, new) == "lt-ede" and new in r.text  # shown on the page
        r = await post(c, "verplaatsen", team="lt-barneveld", email=new)
        assert r.status_code == 200 and team_of(bot.engine, new) == "lt-barneveld"
        r = await post(c, "koppelen", email=new, ander="lt@barneveld.example.org")
        assert r.status_code == 200
        r = await post(c, "verwijderen", email=new, bevestigd="ja")
        assert r.status_code == 200 and team_of(bot.engine, new) == "uit-dienst"
    trail = [c for c in changes(bot.engine) if c.platform == "web"]
    assert [c.action for c in trail if c.subject == new] == [
        "aangemaakt", "verplaatst", "koppelgenoot", "koppelgenoot", "verwijderd"]
    assert {c.actor for c in trail} == {"rcp@fv.example.org"}
    moved = next(c for c in trail if c.action == "verplaatst")
    assert moved.detail["team"] == ["lt-ede", "lt-barneveld"]


async def test_remove_is_refused_while_they_own_open_referrals(web: Starlette,
                                                               bot: KetenBot) -> None:
    ref = make_referral(bot.engine, start="2026-11-23 10:00").ref
    before = len(changes(bot.engine))
    async with signed_in(web, bot, "rcp@fv.example.org") as c:
        r = await post(c, "verwijderen", email="lt@ede.example.org")
        first = await post(c, "verwijderen", email="lt@ede.example.org", bevestigd="ja")
    assert r.status_code == 200 and 'id="confirm-remove"' in r.text  # first: are you sure?
    assert first.status_code == 400
    # What to do on the page, not chat syntax.
    result = re.search(r'<div class="notice refused" id="result".*?</div>', first.text, re.S)
    assert result and f"{ref} (lokaal-teammedewerker)" in result.group(0)
    assert "herverdeel" not in result.group(0) and "`" not in result.group(0)
    assert "Vraag de teamleider" in result.group(0) and "Er is niets veranderd." in result.group(0)
    assert team_of(bot.engine, "lt@ede.example.org") == "lt-ede"
    assert len(changes(bot.engine)) == before


@pytest.mark.parametrize("email, action, form", [
    # A contactbeheerder of another region.
    ("rcp@ah.example.org", "verwijderen", {"email": "lt@barneveld.example.org"}),
    ("rcp@ah.example.org", "verplaatsen", {"email": "lt@doetinchem.example.org",
                                           "team": "lt-ede"}),
    # A team leader of another team.
    ("tl@gi.example.org", "verplaatsen", {"email": "lt@ede.example.org", "team": "gi-fv"}),
    ("tl@ede.example.org", "koppelen", {"email": "lt@ede.example.org",
                                        "ander": "jb@gi.example.org"}),
    ("tl@ede.example.org", "toevoegen", {"team": "gi-fv", "email": "x@gi.example.org",
                                         "rol": "medewerker", "naam": "Xander"}),
])
async def test_others_are_refused_and_nothing_changes(
        web: Starlette, bot: KetenBot, email: str, action: str, form: dict[str, str]) -> None:
    before = len(changes(bot.engine))
    teams = {e: team_of(bot.engine, e) for e in ("lt@ede.example.org", "lt@barneveld.example.org",
                                                  "lt@doetinchem.example.org")}
    async with signed_in(web, bot, email) as c:
        r = await post(c, action, **form)
    assert r.status_code == 403
    assert "Er is niets veranderd." in r.text
    assert len(changes(bot.engine)) == before
    assert teams == {e: team_of(bot.engine, e) for e in teams}
    assert bot.person_by_email("x@gi.example.org") is None


async def test_a_team_leader_sees_only_their_team_and_a_worker_gets_403(
        web: Starlette, bot: KetenBot) -> None:
    async with signed_in(web, bot, "tl@ede.example.org") as c:
        page = await c.get("/overzicht/contacten")
        assert page.status_code == 200 and teams_on(page.text) == {"lt-ede"}
        r = await post(c, "verwijderen", email="lt@ede.example.org", bevestigd="ja")
        assert r.status_code == 200 and team_of(bot.engine, "lt@ede.example.org") == "uit-dienst"
    async with signed_in(web, bot, "jb@gi.example.org") as c:
        assert (await c.get("/overzicht/contacten")).status_code == 403
        r = await c.post("/overzicht/contacten/verwijderen",
                         data={"csrf": "x", "email": "jb2@gi.example.org"})
        assert r.status_code == 403
        assert "contacten" not in (await c.get("/overzicht/")).text
    assert team_of(bot.engine, "jb2@gi.example.org") == "gi-fv"
    async with client(web) as anonymous:
        assert (await anonymous.get("/overzicht/contacten")).status_code == 401


async def test_a_contactbeheerder_without_a_case_view_signs_in_to_the_contacts(
        web: Starlette, bot: KetenBot) -> None:
    async with signed_in(web, bot, "za@zorg.example.org") as c:
        home = await c.get("/overzicht/")
        assert home.status_code == 303 and home.headers["location"] == "/overzicht/contacten"
        page = await c.get("/overzicht/contacten")
        assert page.status_code == 200 and "lt-ede" in teams_on(page.text)
    with Session(bot.engine) as s:
        logged = s.exec(select(WebAccess.path, WebAccess.status).where(
            WebAccess.person_id == person_id(bot.engine, "za@zorg.example.org"))).all()
    assert ("/overzicht/", 303) in logged and ("/overzicht/contacten", 200) in logged


async def test_without_the_sessions_csrf_token_nothing_changes(web: Starlette,
                                                               bot: KetenBot) -> None:
    async with signed_in(web, bot, "rcp@fv.example.org") as other:
        foreign = csrf_of((await other.get("/overzicht/contacten")).text)
    async with signed_in(web, bot, "rcp@fv.example.org") as c:
        for data in ({}, {"csrf": ""}, {"csrf": foreign}):
            r = await c.post("/overzicht/contacten/verwijderen",
                             data=data | {"email": "lt@barneveld.example.org"})
            assert r.status_code == 403 and "niets veranderd" in r.text
    assert team_of(bot.engine, "lt@barneveld.example.org") == "lt-barneveld"
    assert not [c for c in changes(bot.engine) if c.platform == "web"]


async def test_english_and_incomplete_forms(web: Starlette, bot: KetenBot) -> None:
    async with signed_in(web, bot, "rcp@fv.example.org") as c:
        page = await c.get("/overzicht/contacten")
        await c.post("/overzicht/taal/en", data={"csrf": csrf_of(page.text)})
        page = await c.get("/overzicht/contacten")
        assert "Contact list" in page.text and "out of date" in page.text
        r = await post(c, "verplaatsen", email="lt@ede.example.org extra", team="lt-barneveld")
        assert r.status_code == 400 and "nothing was changed" in r.text
        r = await post(c, "verwijderen", email="nobody@example.org")
        assert r.status_code == 400 and "nobody@example.org" in r.text
    assert team_of(bot.engine, "lt@ede.example.org") == "lt-ede"


async def test_removing_a_contactbeheerder_on_the_page_audits_the_steunstructuur(
        web: Starlette, bot: KetenBot) -> None:
    async with signed_in(web, bot, "rcp@fv.example.org") as c:
        r = await post(c, "verwijderen", email="za@zorg.example.org", bevestigd="ja")
    assert r.status_code == 200
    [steun] = [c for c in changes(bot.engine) if c.action == "steunstructuur"]
    assert (steun.platform, steun.actor, steun.subject) == ("web", "rcp@fv.example.org",
                                                            "food-valley")
    assert steun.detail == {"contactbeheerders": [
        "rcp@fv.example.org, za@zorg.example.org", "rcp@fv.example.org"]}


async def test_pairing_someone_with_themselves_or_across_teams_is_refused(
        web: Starlette, bot: KetenBot) -> None:
    before = len(changes(bot.engine))
    async with signed_in(web, bot, "rcp@fv.example.org") as c:
        same = await post(c, "koppelen", email="lt@ede.example.org", ander="lt@ede.example.org")
        across = await post(c, "koppelen", email="lt@ede.example.org", ander="jb@gi.example.org")
        ok = await post(c, "koppelen", email="lt@ede.example.org", ander="tl@ede.example.org")
    assert same.status_code == 400 and "eigen koppelgenoot" in same.text
    assert across.status_code == 400 and "ander team" in across.text
    assert ok.status_code == 200
    anouk = bot.person_by_email("lt@ede.example.org")
    assert anouk is not None and anouk.koppelgenoot_id == person_id(bot.engine,
                                                                   "tl@ede.example.org")
    assert [c.action for c in changes(bot.engine)[before:]] == ["koppelgenoot", "koppelgenoot"]


async def test_removing_asks_first_naming_the_person_and_nothing_is_chosen_beforehand(
        web: Starlette, bot: KetenBot) -> None:
    before = len(changes(bot.engine))
    async with signed_in(web, bot, "rcp@fv.example.org") as c:
        page = await c.get("/overzicht/contacten?team=lt-ede")
        # No person preselected in any form that changes someone.
        for select_id in ("remove-email", "move-email", "buddy-email", "buddy-other"):
            found = re.search(rf'<select name="\w+" id="{select_id}" required>\s*'
                              r'<option value="" selected disabled>', page.text)
            assert found, select_id
        assert re.search(r'<button type="submit" class="danger" id="remove-submit">', page.text)
        asked = await post(c, "verwijderen", email="lt@ede.example.org")
        assert asked.status_code == 200
        box = re.search(r'<section class="notice confirm" id="confirm-remove".*?</section>',
                        asked.text, re.S)
        assert box and "Anouk Jansen verwijderen?" in box.group(0)
        assert "Ja, verwijder Anouk Jansen" in box.group(0) and "Sociaal Team Ede" in box.group(0)
        assert team_of(bot.engine, "lt@ede.example.org") == "lt-ede"
        assert len(changes(bot.engine)) == before  # asking changed nothing
        done = await c.post("/overzicht/contacten/verwijderen?team=lt-ede", data={
            "csrf": csrf_of(asked.text), "email": "lt@ede.example.org", "bevestigd": "ja"})
    assert done.status_code == 200 and "uit de contactenlijst gehaald" in done.text
    assert team_of(bot.engine, "lt@ede.example.org") == "uit-dienst"


async def test_a_contactbeheerder_without_a_case_view_sees_only_links_to_their_pages(
        web: Starlette, bot: KetenBot) -> None:
    async with signed_in(web, bot, "za@zorg.example.org") as c:
        page = await c.get("/overzicht/contacten")
        missing = await c.get("/overzicht/nergens")
    for html in (page.text, missing.text):
        nav = re.search(r"<nav>.*?</nav>", html, re.S)
        assert nav and 'id="nav-contacts"' in nav.group(0)
        # The overview and figures would only send them elsewhere (or refuse).
        assert 'id="nav-open"' not in nav.group(0) and 'id="nav-figures"' not in nav.group(0)
    assert missing.status_code == 404
    assert 'href="/overzicht/contacten" id="back"' in missing.text

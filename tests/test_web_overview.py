"""The overview page through HTTP: sign-in link, cookie, who sees what, headers, CSV."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from bot.app import KetenBot
from bot.config import Settings
from bot.web.app import web_app
from handlers.overview.sign_in import WebSettings
from storage.web_tables import WebAccess
from tests.conftest import FakeClock
from tests.overview_history import at, load_directory, make_referral


@pytest.fixture
def bot(engine: Engine, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> KetenBot:
    monkeypatch.setenv("KETENBOT_WEB_BASE_URL", "http://testserver")
    load_directory(engine)
    clock.set(at("2026-11-24 10:00"))
    return KetenBot(Settings(_env_file=None), engine, clock)  # type: ignore[call-arg]


def client(bot: KetenBot, base: str = "http://testserver") -> TestClient:
    from starlette.applications import Starlette
    from starlette.routing import Mount

    settings = WebSettings(secret="test-secret", base_url=base)
    app = Starlette(routes=[Mount("/overzicht", app=web_app(bot, settings))])
    return TestClient(app, base_url=base, follow_redirects=False)


def ask_link(bot: KetenBot, email: str) -> str:
    person = bot.person_by_email(email)
    reply = bot.registry.dispatch(bot.context("console", person), "overzicht")
    assert reply.template == "overview_link", reply
    return str(reply.data["url"])


def sign_in(c: TestClient, bot: KetenBot, email: str) -> None:
    token = ask_link(bot, email).rsplit("/", 1)[1]
    r = c.post("/overzicht/login", data={"token": token})
    assert r.status_code == 303, r.text


@pytest.fixture
def cases(bot: KetenBot) -> dict[str, str]:
    e = bot.engine
    due_later = make_referral(e, start="2026-11-23 10:00",
                              deadlines=[("step:contact", "2026-11-27 00:00", "pending")])
    lapsed = make_referral(e, start="2026-11-16 10:00",
                           deadlines=[("step:contact", "2026-11-20 00:00", "lapsed")])
    barneveld = make_referral(e, gemeente="Barneveld", lt="lt@barneveld.example.org",
                              jb="jb2@gi.example.org", start="2026-11-20 10:00",
                              deadlines=[("step:contact", "2026-11-26 00:00", "pending")])
    other = make_referral(e, gemeente="Doetinchem", lt="lt@doetinchem.example.org",
                          jb="jb3@gi.example.org", start="2026-11-20 10:00")
    return {"due_later": due_later.ref, "lapsed": lapsed.ref, "barneveld": barneveld.ref,
            "other": other.ref}


def refs_on(html: str) -> list[str]:
    return re.findall(r'href="/overzicht/verwijzing/(KB-\d+)"', html)


def test_sign_in_link_once_then_the_region_list_lapsed_first(
        bot: KetenBot, cases: dict[str, str]) -> None:
    c = client(bot)
    url = ask_link(bot, "rcp@fv.example.org")
    assert url.startswith("http://testserver/overzicht/login/")
    token = url.rsplit("/", 1)[1]
    # GET only shows a button: link previews cannot spend the token.
    assert 'name="token"' in c.get(f"/overzicht/login/{token}").text
    r = c.post("/overzicht/login", data={"token": token})
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()  # plain http here
    page = c.get("/overzicht/")
    assert page.status_code == 200
    assert refs_on(page.text) == [cases["lapsed"], cases["barneveld"], cases["due_later"]]
    # The same link again: refused.
    again = client(bot).post("/overzicht/login", data={"token": token})
    assert again.status_code == 400 and "set-cookie" not in again.headers


def test_expired_link_refused(bot: KetenBot, clock: FakeClock) -> None:
    token = ask_link(bot, "tl@gi.example.org").rsplit("/", 1)[1]
    clock.set(clock() + timedelta(minutes=16))
    assert client(bot).post("/overzicht/login", data={"token": token}).status_code == 400


def test_tampered_or_missing_cookie_refused(bot: KetenBot, cases: dict[str, str]) -> None:
    c = client(bot)
    sign_in(c, bot, "jb@gi.example.org")
    good = c.cookies["ketenbot_sessie"]
    assert c.get("/overzicht/").status_code == 200
    payload, _, sig = good.partition(".")
    c.cookies.clear()
    flipped = ("A" if payload[1] != "A" else "B").join((payload[:1], payload[2:]))
    c.cookies.set("ketenbot_sessie", f"{flipped}.{sig}", path="/overzicht")
    r = c.get("/overzicht/")
    assert r.status_code == 401 and "KB-" not in r.text
    c.cookies.clear()
    c.cookies.set("ketenbot_sessie", good + "x", path="/overzicht")
    assert c.get("/overzicht/").status_code == 401


def test_secure_cookie_behind_tls(bot: KetenBot) -> None:
    c = client(bot, "https://testserver")
    token = ask_link(bot, "jb@gi.example.org").rsplit("/", 1)[1]
    r = c.post("/overzicht/login", data={"token": token})
    assert "secure" in r.headers["set-cookie"].lower()
    assert r.headers["strict-transport-security"].startswith("max-age=")


def test_who_sees_what(bot: KetenBot, cases: dict[str, str]) -> None:
    worker = client(bot)
    sign_in(worker, bot, "jb2@gi.example.org")  # on the Barneveld referral only
    assert refs_on(worker.get("/overzicht/").text) == [cases["barneveld"]]
    assert worker.get(f"/overzicht/verwijzing/{cases['lapsed']}").status_code == 403
    assert worker.get("/overzicht/cijfers").status_code == 403
    leader = client(bot)
    sign_in(leader, bot, "tl@ede.example.org")  # LT Ede: the gemeente's referrals
    assert sorted(refs_on(leader.get("/overzicht/").text)) == sorted(
        [cases["lapsed"], cases["due_later"]])
    region = client(bot)
    sign_in(region, bot, "rcp@fv.example.org")
    assert region.get(f"/overzicht/verwijzing/{cases['lapsed']}").status_code == 200
    assert region.get(f"/overzicht/verwijzing/{cases['other']}").status_code == 403
    assert region.get("/overzicht/verwijzing/KB-9999").status_code == 403
    # Someone outside the roles gets no link at all.
    person = bot.person_by_email("za@zorg.example.org")
    reply = bot.registry.dispatch(bot.context("console", person), "overzicht")
    assert reply.template == "overview_refused" and not reply.ok
    with Session(bot.engine) as s:
        log = s.exec(select(WebAccess).where(WebAccess.status == 403)).all()
    assert {a.path for a in log} >= {f"/overzicht/verwijzing/{cases['other']}",
                                      "/overzicht/cijfers"}


def test_filters_and_timeline(bot: KetenBot, cases: dict[str, str]) -> None:
    from tests.overview_history import gemeente_id

    c = client(bot)
    sign_in(c, bot, "rcp@fv.example.org")
    gid = gemeente_id(bot.engine, "Barneveld")
    assert refs_on(c.get(f"/overzicht/?gemeente={gid}").text) == [cases["barneveld"]]
    assert refs_on(c.get("/overzicht/?partij=zorgaanbieder").text) == []
    assert len(refs_on(c.get("/overzicht/?stap=contact&route=301").text)) == 3
    page = c.get(f"/overzicht/verwijzing/{cases['lapsed']}")
    assert "verwijzing aangemaakt" in page.text and "Jeroen Bakker" in page.text


def test_security_headers_and_no_case_data_in_urls(bot: KetenBot,
                                                     cases: dict[str, str]) -> None:
    c = client(bot)
    sign_in(c, bot, "rcp@fv.example.org")
    for path in ("/overzicht/", "/overzicht/cijfers",
                 f"/overzicht/verwijzing/{cases['lapsed']}"):
        r = c.get(path)
        assert r.status_code == 200
        assert "default-src 'none'" in r.headers["content-security-policy"]
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert r.headers["cache-control"] == "no-store"
        assert "<script" not in r.text
        # Every link and form target: no kenmerk, no names, nothing but ids.
        for url in re.findall(r'(?:href|action)="([^"]*)"', r.text):
            assert "K-1" not in url and "@" not in url and " " not in url
            assert re.fullmatch(r"[/A-Za-z0-9.?=&_-]*", url), url


def test_figures_page_and_csv(bot: KetenBot, cases: dict[str, str]) -> None:
    c = client(bot)
    sign_in(c, bot, "rcp@fv.example.org")
    page = c.get("/overzicht/cijfers?van=2026-11-01&tot=2026-11-30")
    assert page.status_code == 200
    assert page.text.count("<svg") == 3
    r = c.get("/overzicht/cijfers/gemeenten.csv?van=2026-11-01&tot=2026-11-30")
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    lines = r.text.strip().splitlines()
    assert lines[0].startswith("gemeente,gestart") and len(lines) == 3  # Barneveld, Ede
    from tests.overview_history import gemeente_id

    other = gemeente_id(bot.engine, "Doetinchem")
    assert c.get(f"/overzicht/cijfers?gemeente={other}").status_code == 403
    assert c.get("/overzicht/cijfers/onbekend.csv").status_code == 404


def test_dutch_by_default_english_on_request(bot: KetenBot, cases: dict[str, str]) -> None:
    c = client(bot)
    sign_in(c, bot, "rcp@fv.example.org")
    assert "Open verwijzingen" in c.get("/overzicht/").text
    assert c.get("/overzicht/taal/en").status_code == 303
    page = c.get("/overzicht/")
    assert "Open referrals" in page.text and '<html lang="en">' in page.text
    timeline = c.get(f"/overzicht/verwijzing/{cases['lapsed']}").text
    assert "referral created" in timeline
    assert "Time until the right help" in c.get("/overzicht/cijfers").text

"""The overview page through HTTP: sign-in link, cookie, who sees what, headers, CSV."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

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


def post_login(c: TestClient, token: str) -> Any:
    """What the sign-in page's button does: the form's token along with its cookie."""
    page = c.get(f"/overzicht/login/{token}")
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert csrf, page.text
    return c.post("/overzicht/login", data={"token": token, "csrf": csrf.group(1)})


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found, html
    return found.group(1)


def sign_in(c: TestClient, bot: KetenBot, email: str) -> None:
    token = ask_link(bot, email).rsplit("/", 1)[1]
    r = post_login(c, token)
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
    r = post_login(c, token)
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()  # plain http here
    page = c.get("/overzicht/")
    assert page.status_code == 200
    assert refs_on(page.text) == [cases["lapsed"], cases["barneveld"], cases["due_later"]]
    # The same link again: refused.
    again = post_login(client(bot), token)
    assert again.status_code == 400 and "set-cookie" not in again.headers


def test_expired_link_refused(bot: KetenBot, clock: FakeClock) -> None:
    token = ask_link(bot, "tl@gi.example.org").rsplit("/", 1)[1]
    clock.set(clock() + timedelta(minutes=16))
    assert post_login(client(bot), token).status_code == 400


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
    r = post_login(c, token)
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
    csrf = csrf_of(c.get("/overzicht/").text)
    assert c.post("/overzicht/taal/en", data={"csrf": csrf}).status_code == 303
    page = c.get("/overzicht/")
    assert "Open referrals" in page.text and '<html lang="en">' in page.text
    timeline = c.get(f"/overzicht/verwijzing/{cases['lapsed']}").text
    assert "referral created" in timeline
    assert "Time until the right help" in c.get("/overzicht/cijfers").text


# -- issue 18: what the page shows ------------------------------------------------------


def test_a_bad_url_gets_the_styled_page_in_the_readers_language_with_a_way_back(
        bot: KetenBot, cases: dict[str, str]) -> None:
    anonymous = client(bot)
    r = anonymous.get("/overzicht/bestaat-niet")
    assert r.status_code == 404 and "Pagina niet gevonden" in r.text
    assert '<link rel="stylesheet"' in r.text and 'id="back"' in r.text
    assert r.headers["content-security-policy"].startswith("default-src 'none'")
    c = client(bot)
    sign_in(c, bot, "rcp@fv.example.org")
    c.post("/overzicht/taal/en", data={"csrf": csrf_of(c.get("/overzicht/").text)})
    r = c.get("/overzicht/verwijzing/KB-0001/extra")
    assert r.status_code == 404 and "Page not found" in r.text and '<html lang="en">' in r.text
    assert 'href="/overzicht/" id="back"' in r.text and 'id="nav-figures"' in r.text
    assert c.get("/overzicht/contacten/verwijderen").status_code == 405  # a GET of a form
    with Session(bot.engine) as s:
        logged = s.exec(select(WebAccess.path, WebAccess.status)).all()
    assert ("/overzicht/bestaat-niet", 404) in logged


def test_403_keeps_the_menu_the_person_may_use(bot: KetenBot, cases: dict[str, str]) -> None:
    c = client(bot)
    sign_in(c, bot, "rcp@fv.example.org")
    r = c.get(f"/overzicht/verwijzing/{cases['other']}")
    assert r.status_code == 403 and "Geen toegang" in r.text
    for link in ('id="nav-open"', 'id="nav-figures"', 'href="/overzicht/" id="back"'):
        assert link in r.text, link
    worker = client(bot)
    sign_in(worker, bot, "jb2@gi.example.org")
    r = worker.get("/overzicht/cijfers")
    assert r.status_code == 403 and 'id="nav-open"' in r.text
    assert 'id="nav-figures"' not in r.text  # not a link to the page that just refused


@pytest.mark.parametrize("query, says", [
    ("?tot=9999-12-31", "31-12-2099"),  # issue 17: this was a bare 500
    ("?van=2026-11-30&tot=2026-11-01", "eindigt voordat hij begint"),
    ("?van=30-11-2026", "„30-11-2026” is geen datum"),
    ("?van=2026-02-30", "„2026-02-30” is geen datum"),
])
def test_a_bad_period_says_so(bot: KetenBot, cases: dict[str, str], query: str,
                              says: str) -> None:
    c = client(bot)
    sign_in(c, bot, "rcp@fv.example.org")
    for path in ("/overzicht/cijfers", "/overzicht/cijfers/gemeenten.csv"):
        r = c.get(path + query)
        assert r.status_code == 400, path
        assert 'id="period-error"' in r.text and says in r.text, r.text
        assert "<svg" not in r.text  # no figures of some other period


def test_figures_read_as_sentences_with_a_scale_and_step_titles(
        bot: KetenBot, cases: dict[str, str]) -> None:
    c = client(bot)
    sign_in(c, bot, "rcp@fv.example.org")
    make_referral(bot.engine, start="2026-11-02 10:00", status="closed", step="zorg",
                  closed="2026-11-16 10:00",
                  events=[("acceptatie", "2026-11-10 10:00", "reactie", {}),
                          ("zorg_gestart", "2026-11-16 10:00", "zorg", {})],
                  deadlines=[("step:contact", "2026-11-05 00:00", "met")])
    page = c.get("/overzicht/cijfers?van=2026-11-01&tot=2026-11-30").text
    assert re.search(r"In deze periode zijn \d+ verwijzingen gestart, waarvan 0 ingetrokken\. "
                     r"Alle tijden in werkdagen\.", page)
    assert "Maand: " not in page and "als CSV downloaden</a>" in page
    # The bar charts have a y-axis scale: 0 and a round number at or above the top.
    chart = re.search(r'<svg id="chart-distribution".*?</svg>', page, re.S)
    assert chart and re.findall(r'class="tick">(\d+)</text>', chart.group(0))[0] == "0"
    assert len(re.findall(r'class="tick">', chart.group(0))) >= 2
    # The on-time chart names the step as the table does.
    shares = re.search(r'<div id="chart-on-time".*?</div>\s*</figure>', page, re.S)
    assert shares and "301 · 1 JB en lokaal-teammedewerker hebben contact" in shares.group(0)
    assert "· contact<" not in shares.group(0)


def test_the_step_filter_is_grouped_per_route_in_step_order_with_titles(
        bot: KetenBot, cases: dict[str, str]) -> None:
    c = client(bot)
    sign_in(c, bot, "rcp@fv.example.org")
    page = c.get("/overzicht/").text
    select_html = re.search(r'<select name="stap" id="f-stap">(.*?)</select>', page, re.S)
    assert select_html
    groups = re.findall(r'<optgroup label="([^"]+)" data-route="(\d+)">(.*?)</optgroup>',
                        select_html.group(1), re.S)
    assert [(label, route) for label, route, _ in groups] == [
        ("301 · De Lokale Toegang route", "301"), ("315 · De Zorgaanbieder route", "315")]
    for _, route, options in groups:
        found = re.findall(r'<option value="(\d+):([\w-]+)" >([^<]+)</option>', options)
        steps = bot.routes.route(route).steps
        assert [key for _, key, _ in found] == [s.key for s in steps]
        assert [text for _, _, text in found] == [f"{s.number} {s.title.nl}" for s in steps]
    # The same key in the other route is another step: 315's reactie is step 3, not 4.
    assert "315:reactie\" >3 Zorgaanbieder kan tijdig" in select_html.group(1)
    assert len(refs_on(c.get("/overzicht/?stap=301:contact").text)) == 3
    assert refs_on(c.get("/overzicht/?stap=315:consult").text) == []
    chosen = c.get("/overzicht/?stap=301:contact").text
    assert '<option value="301:contact" selected>' in chosen


def test_the_timeline_shows_the_current_due_date_and_who_an_escalation_went_to(
        bot: KetenBot, cases: dict[str, str]) -> None:
    from tests.overview_history import make_referral as made

    ref = made(bot.engine, start="2026-11-16 10:00",
               deadlines=[("step:contact", "2026-11-20 00:00", "lapsed")],
               events=[("escalatie", "2026-11-20 00:05", "contact",
                        {"deadline": "step:contact", "tier": 1,
                         "recipients": ["Rianne Claes"]})]).ref
    c = client(bot)
    sign_in(c, bot, "rcp@fv.example.org")
    listing = c.get("/overzicht/").text

    def listed(r: str) -> str:
        """The date the list shows for `r` (how it is worded is the list's business)."""
        found = re.search(rf'{r}</a></td>.*?<td data-label="Uiterlijk" class="due">'
                          r'(\w\w \d+ \w+ \d{4})', listing, re.S)
        assert found, r
        return found.group(1)

    page = c.get(f"/overzicht/verwijzing/{ref}").text
    due = re.search(r'<dd id="current-due" class="lapsed">(.*?)</dd>', page, re.S)
    # Lapsed, with the same date as the list shows for this referral.
    assert due and listed(ref) in due.group(0) and "verlopen" in due.group(0)
    row = re.search(r'<tr class="ev-escalatie">.*?</tr>', page, re.S)
    assert row and "geëscaleerd (termijn verlopen)" in row.group(0)
    assert "naar Rianne Claes" in row.group(0)
    pending = c.get(f"/overzicht/verwijzing/{cases['due_later']}").text
    due = re.search(r'<dd id="current-due" class="">(.*?)</dd>', pending, re.S)
    assert due and listed(cases["due_later"]) in due.group(0) and "verlopen" not in due.group(0)


def test_a_tafel_case_is_listed_and_opens_under_its_own_reference(
        bot: KetenBot, cases: dict[str, str]) -> None:
    from storage.db import session_scope
    from storage.tables import Referral

    made = make_referral(bot.engine, start="2026-11-23 10:00", route="jbt", step="plannen",
                         deadlines=[("step:plannen", "2026-12-08 00:00", "pending")])
    with session_scope(bot.engine) as s:
        row = s.get(Referral, made.id)
        assert row is not None
        row.ref = f"JT-{made.id:04d}"
    c = client(bot)
    sign_in(c, bot, "rcp@fv.example.org")
    page = c.get("/overzicht/").text
    assert f'href="/overzicht/verwijzing/JT-{made.id:04d}"' in page
    assert "De voorzitter plant het gesprek aan tafel" in page
    detail = c.get(f"/overzicht/verwijzing/JT-{made.id:04d}")
    assert detail.status_code == 200 and f"JT-{made.id:04d}" in detail.text
    assert c.get(f"/overzicht/verwijzing/KB-{made.id:04d}").status_code == 403
    only = c.get("/overzicht/?route=jbt").text
    assert re.findall(r'href="/overzicht/verwijzing/([A-Z]{2}-\d+)"', only) == [
        f"JT-{made.id:04d}"]


def test_a_voorzitter_and_an_aanspreekpersoon_see_the_tafel_cases_only(
        bot: KetenBot, cases: dict[str, str]) -> None:
    """Bouwsteen 4 on the overview: the voorzitter sees their tafel's cases (the
    region's gemeenten), Ede's aanspreekpersoon Ede's; neither sees a referral,
    nor the figures, and a case of another gemeente stays closed to the latter."""
    ede = make_referral(bot.engine, start="2026-11-23 10:00", route="jbt", step="plannen",
                        prefix="JT", deadlines=[("step:plannen", "2026-12-08 00:00", "pending")])
    barneveld = make_referral(bot.engine, gemeente="Barneveld", lt="lt@barneveld.example.org",
                              start="2026-11-16 10:00", route="jbt", step="plannen", prefix="JT",
                              deadlines=[("step:plannen", "2026-12-01 00:00", "lapsed")])
    tafel_refs = re.compile(r'href="/overzicht/verwijzing/((?:KB|JT)-\d+)"')
    chair = client(bot)
    sign_in(chair, bot, "vz@jbt-fv.example.org")
    page = chair.get("/overzicht/").text
    assert tafel_refs.findall(page) == [barneveld.ref, ede.ref]  # lapsed first
    assert "de tafelzaken van uw gemeenten" in page
    assert chair.get(f"/overzicht/verwijzing/{ede.ref}").status_code == 200
    assert chair.get(f"/overzicht/verwijzing/{cases['lapsed']}").status_code == 403
    assert chair.get("/overzicht/cijfers").status_code == 403
    contact = client(bot)
    sign_in(contact, bot, "ap@ede.example.org")
    assert tafel_refs.findall(contact.get("/overzicht/").text) == [ede.ref]
    assert contact.get(f"/overzicht/verwijzing/{barneveld.ref}").status_code == 403
    assert contact.get(f"/overzicht/verwijzing/{cases['due_later']}").status_code == 403

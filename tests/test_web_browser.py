"""The overview in real headless Chromium (Debian's package) driven by Playwright,
on SQLite and (with TEST_DATABASE_URL) PostgreSQL, at 1280 px and at 390 px (a phone).

Skips with the reason when Playwright or /usr/bin/chromium is missing, except
under CI (env CI set), where a missing browser is a failure: `.ci/browser`
installs it there. Screenshots go to artifacts/ (or $KETENBOT_ARTIFACTS), one
per page and width (`overview-390.png`, ...); they are written on every run and
kept out of git (.gitignore).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.conftest import FakeClock
from tests.overview_history import at, gemeente_id, load_directory, make_model_case, make_referral

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("KETENBOT_ARTIFACTS",
                                Path(__file__).resolve().parent.parent / "artifacts"))
WIDTHS = (1280, 390)
RCP = "rcp@fv.example.org"


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    if not CHROMIUM.exists():
        return "no /usr/bin/chromium (apt-get install chromium)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = _missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests cannot run under CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                               args=["--no-sandbox"])
        yield b
        b.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _populate(engine: Engine) -> dict[str, str]:
    load_directory(engine)
    refs = {}
    refs["lapsed"] = make_referral(engine, start="2026-11-16 10:00",
                                   deadlines=[("step:contact", "2026-11-20 00:00", "lapsed")],
                                   events=[("escalatie", "2026-11-20 00:05", "contact",
                                            {"deadline": "step:contact", "tier": 1,
                                             "recipients": ["Rianne Claes"]})]).ref
    refs["barneveld"] = make_referral(
        engine, gemeente="Barneveld", lt="lt@barneveld.example.org", start="2026-11-20 10:00",
        step="bepaling", deadlines=[("step:bepaling", "2026-11-27 00:00", "pending")],
        events=[("stap", "2026-11-20 10:00", "contact", {"number": "1"}),
                ("contact", "2026-11-20 14:00", "contact", {"met": "lt"}),
                ("ontvangen", "2026-11-23 09:00", "contact", {"number": "1"}),
                ("stap", "2026-11-23 09:00", "bepaling", {"number": "2-3"})]).ref
    make_referral(engine, start="2026-11-23 10:00", events=[
                      ("stap", "2026-11-23 10:00", "contact", {"number": "1"}),
                      ("contact", "2026-11-24 09:00", "contact", {"met": "lt"})],
                  deadlines=[("step:contact", "2026-11-27 00:00", "pending")])
    make_referral(engine, route="315", step="consult", start="2026-11-23 11:00",
                  deadlines=[("step:consult", "2026-11-30 00:00", "pending")])
    refs["other"] = make_referral(engine, gemeente="Doetinchem", lt="lt@doetinchem.example.org",
                                  jb="jb3@gi.example.org", start="2026-11-20 10:00").ref
    # Finished referrals over the months, for the figures.
    for i, (start, acc, care) in enumerate([
            ("2026-06-01", "2026-06-05", "2026-06-15"), ("2026-07-06", "2026-07-20", "2026-07-27"),
            ("2026-08-03", "2026-08-07", "2026-08-24"), ("2026-09-07", "2026-09-10", "2026-09-21"),
            ("2026-09-14", "2026-10-05", "2026-10-12"), ("2026-10-05", "2026-10-09", "2026-10-16"),
            ("2026-10-12", "2026-10-30", "2026-11-06"),
            ("2026-11-02", "2026-11-05", "2026-11-16")]):
        make_referral(engine, gemeente="Ede" if i % 2 else "Barneveld",
                      lt="lt@ede.example.org" if i % 2 else "lt@barneveld.example.org",
                      start=f"{start} 10:00", status="closed", step="start",
                      closed=f"{care} 10:00", events=[
                          ("acceptatie", f"{acc} 10:00", "start", {}),
                          ("zorg_gestart", f"{care} 10:00", "start", {})],
                      deadlines=[("step:contact", f"{acc} 00:00", "met" if i % 3 else "lapsed"),
                                 ("step:bepaling", f"{care} 00:00", "met")])
    # A tafel case planned 9 days after its aanmelding, outcome 2; one still unplanned.
    make_referral(engine, route="jbt", prefix="JT", step="verslag", start="2026-11-02 10:00",
                  events=[("tafel_aangemeld", "2026-11-02 10:00", "plannen", {}),
                          ("tafel_gepland", "2026-11-03 10:00", "plannen",
                           {"datum": "2026-11-11"}),
                          ("tafel_uitkomst", "2026-11-11 15:00", "gesprek", {"uitkomst": "2"})],
                  deadlines=[("step:plannen", "2026-11-17 00:00", "met")])
    make_referral(engine, route="jbt", prefix="JT", step="plannen", start="2026-11-23 10:00",
                  events=[("tafel_aangemeld", "2026-11-23 10:00", "plannen",
                           {"ots_einde": True})],
                  deadlines=[("step:plannen", "2026-12-08 00:00", "pending")])
    make_model_case(engine, gemeente="Ede", situation="dilemma", tier=2,
                    start="2026-10-02 10:00", closed="2026-10-09 10:00")
    _make_beheerder(engine, RCP, "food-valley")
    return refs


@pytest.fixture
def live(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Any, dict]]:
    """`ketenbot serve`'s overview on a real port, on this test's database (SQLite or
    PostgreSQL), the clock on Tuesday 24 November 2026."""
    from bot.app import KetenBot
    from bot.config import Settings

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("KETENBOT_WEB_BASE_URL", base)
    monkeypatch.setenv("KETENBOT_WEB_SECRET", "browser-test-secret-" + "x" * 16)
    refs = _populate(engine)
    bot = KetenBot(Settings(_env_file=None), engine,  # type: ignore[call-arg]
                   FakeClock(at("2026-11-24 10:00")))
    with serving(bot, port):
        yield base, bot, refs


@contextmanager
def serving(bot: Any, port: int) -> Iterator[None]:
    """The overview's routes of `bot` under uvicorn on 127.0.0.1:`port`, in a thread,
    until the block ends."""
    import uvicorn
    from starlette.applications import Starlette

    from bot.web import web_routes

    server = uvicorn.Server(uvicorn.Config(Starlette(routes=web_routes(bot)), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(5)


def sign_in(page: Any, bot: Any, email: str) -> None:
    person = bot.person_by_email(email)
    link = bot.registry.dispatch(bot.context("console", person), "overzicht").data["url"]
    page.goto(link)
    page.click("#signin")
    page.wait_for_load_state()


def shoot(page: Any, name: str, width: int) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)


def no_sideways_scroll(page: Any, what: str) -> None:
    """Nothing wider than the window, and the header's background as wide as it."""
    sizes = page.evaluate("""() => ({
        page: document.documentElement.scrollWidth, window: window.innerWidth,
        header: document.querySelector('header').getBoundingClientRect().width,
        widest: [...document.querySelectorAll('body *')].map(e => [
            e.getBoundingClientRect().right, e.tagName + '#' + e.id + '.' + e.className])
            .filter(([r]) => r > window.innerWidth + 1).slice(0, 3)})""")
    assert sizes["page"] <= sizes["window"], f"{what}: scrolls sideways {sizes}"
    assert sizes["header"] >= sizes["window"] - 1, f"{what}: header narrower {sizes}"


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_fits_the_screen(browser: Any, live: Any, width: int) -> None:
    base, bot, refs = live
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    # Signed out: the sign-in page, a spent link, the signed-out page, a 404.
    page.goto(f"{base}/overzicht/login/not-a-token")
    no_sideways_scroll(page, "login")
    shoot(page, "login", width)
    page.click("#signin")
    # Measured before its stylesheet applied, the page has the browser's 8 px
    # body margin (a 374 px header at 390): wait until it is loaded.
    page.wait_for_load_state()
    assert page.locator("#message").count() == 1
    no_sideways_scroll(page, "link spent")
    page.goto(f"{base}/overzicht/")
    no_sideways_scroll(page, "signed out")
    shoot(page, "signed-out", width)
    sign_in(page, bot, RCP)
    pages = [
        ("overview", "/overzicht/", 200),
        ("timeline", f"/overzicht/verwijzing/{refs['barneveld']}", 200),
        ("timeline-lapsed", f"/overzicht/verwijzing/{refs['lapsed']}", 200),
        ("figures", "/overzicht/cijfers?van=2026-06-01&tot=2026-11-30", 200),
        ("figures-bad-period", "/overzicht/cijfers?tot=9999-12-31", 400),
        ("contacts", "/overzicht/contacten?team=lt-ede", 200),
        ("forbidden", f"/overzicht/verwijzing/{refs['other']}", 403),
        ("not-found", "/overzicht/bestaat-niet", 404),
    ]
    for name, path, status in pages:
        response = page.goto(base + path)
        assert response is not None and response.status == status, name
        no_sideways_scroll(page, name)
        shoot(page, name, width)
    # The confirmation step too (nothing is removed by asking).
    page.goto(f"{base}/overzicht/contacten?team=lt-ede")
    page.select_option("#remove-email", value="lt@ede.example.org")
    page.click("#remove-submit")
    page.wait_for_selector("#confirm-remove")
    page.wait_for_load_state()
    no_sideways_scroll(page, "confirm remove")
    shoot(page, "contacts-confirm", width)
    # The charts stay readable on a phone: the on-time labels are HTML text at full size.
    page.goto(f"{base}/overzicht/cijfers?van=2026-06-01&tot=2026-11-30")
    label = page.locator("#chart-on-time .label").first
    assert float(label.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 13
    for chart in ("#chart-distribution", "#chart-trend"):
        box = page.locator(chart).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_overview_timeline_figures_in_chromium(browser: Any, live: Any, width: int) -> None:
    base, bot, refs = live
    context = browser.new_context(viewport={"width": width, "height": 900},
                                  accept_downloads=True)
    page = context.new_page()
    sign_in(page, bot, RCP)
    page.wait_for_selector("#open-referrals")
    # The lapsed referral comes first.
    first = page.locator("#open-referrals tbody tr").first
    assert refs["lapsed"] in first.inner_text()
    assert "lapsed" in (first.get_attribute("class") or "")
    # Filter to a gemeente.
    page.select_option("#f-gemeente", label="Barneveld")
    page.click("#f-apply")
    page.wait_for_load_state()
    rows = page.locator("#open-referrals tbody tr")
    assert rows.count() == 1 and refs["barneveld"] in rows.first.inner_text()
    assert f"gemeente={gemeente_id(bot.engine, 'Barneveld')}" in page.url
    # The step filter: per route, in the route's order, titled.
    groups = page.eval_on_selector_all("#f-stap optgroup", """gs => gs.map(g => [
        g.label, [...g.querySelectorAll('option')].map(o => [o.value, o.textContent])])""")
    assert [label for label, _ in groups] == ["301 · De Lokale Toegang route",
                                              "315 · De Zorgaanbieder route",
                                              "Jeugdbeschermingstafel", "Warme overdracht"]
    for (_, options), route in zip(groups, ("301", "315", "jbt", "ov"), strict=True):
        steps = bot.routes.route(route).steps
        assert options == [[f"{route}:{s.key}", f"{s.number} {s.title.nl}"] for s in steps]
    page.select_option("#f-gemeente", label="alle")
    page.select_option("#f-stap", value="315:consult")
    page.click("#f-apply")
    page.wait_for_load_state()
    assert page.locator("#open-referrals tbody tr").count() == 1
    # Open a timeline: the current step's due date, and to whom an escalation went.
    page.goto(f"{base}/overzicht/verwijzing/{refs['lapsed']}")
    assert refs["lapsed"] in page.locator("h1").inner_text()
    assert "verlopen" in page.locator("#current-due").inner_text()
    assert "naar Rianne Claes" in page.locator("#timeline tr.ev-escalatie").inner_text()
    # The figures: three charts drawn with bars, the columns on a scale.
    page.goto(f"{base}/overzicht/cijfers?van=2026-06-01&tot=2026-11-30")
    for chart in ("#chart-distribution", "#chart-trend", "#chart-on-time"):
        box = page.locator(chart).bounding_box()
        assert box and box["width"] > 200 and box["height"] > 50
        assert page.locator(f"{chart} rect.bar").count() > 0
    assert page.locator("#chart-distribution text.tick").count() >= 2
    # The tafel's figures, below the referrals': registered, waiting, the outcome.
    tafel = {row.locator("th").inner_text(): row.locator("td").inner_text()
             for row in page.locator("#tafel tr").all()}
    assert tafel["Aangemeld"] == "2" and tafel["waarvan voornemen OTS te beëindigen"] == "1"
    assert tafel["Aanmelding tot de tafel (kalenderdagen): Mediaan / 80e percentiel"] == "9 / 9"
    assert tafel["Uitkomst 2: vrijwillig, niet vrijblijvend voor een periode"] == "1"
    assert tafel["Nog wachtend"] == "1"
    assert "Jeugdbeschermingstafel" in page.locator("#process-on-time").inner_text()
    # Download a table as CSV.
    with page.expect_download() as info:
        page.locator("a.csv").first.click()
    text = Path(info.value.path()).read_text("utf-8")
    assert text.startswith("maat,n,mediaan_werkdagen")
    # Another region's referral: 403, the menu still there.
    response = page.goto(f"{base}/overzicht/verwijzing/{refs['other']}")
    assert response is not None and response.status == 403
    assert page.locator("#nav-figures").is_visible()
    # A bad URL: the styled page with a way back.
    response = page.goto(f"{base}/overzicht/nergens")
    assert response is not None and response.status == 404
    page.click("#back")
    page.wait_for_selector("#open-referrals")
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_contacts_move_and_a_confirmed_remove(browser: Any, live: Any, width: int) -> None:
    base, bot, _refs = live
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    sign_in(page, bot, RCP)
    page.click("#nav-contacts")
    page.wait_for_selector("#team-picker")
    page.select_option("#pick-team", value="lt-barneveld")
    page.click("#pick-submit")
    page.wait_for_selector('table[data-team="lt-barneveld"]')
    assert page.locator('tr[data-email="lt@barneveld.example.org"]').count() == 1
    # Nobody is chosen beforehand in a form that changes someone.
    for select in ("#remove-email", "#move-email", "#buddy-email", "#move-team"):
        assert page.input_value(select) == "", select
    page.select_option("#move-email", value="lt@barneveld.example.org")
    page.select_option("#move-team", value="lt-ede")
    page.click("#move-submit")
    page.wait_for_selector("#result")
    assert "Carla Prins" in page.locator("#result").inner_text()
    page.goto(f"{base}/overzicht/contacten?team=lt-ede")
    assert page.locator('table[data-team="lt-ede"] tr[data-email="lt@barneveld.example.org"]'
                        ).count() == 1
    # Remove: first a confirmation that names the person and what happens.
    page.select_option("#remove-email", value="lt@barneveld.example.org")
    assert "danger" in (page.get_attribute("#remove-submit", "class") or "")
    page.click("#remove-submit")
    box = page.locator("#confirm-remove")
    box.wait_for()
    assert "Carla Prins verwijderen?" in box.inner_text()
    assert "geen nieuwe verwijzingen" in box.inner_text()
    assert bot.person_by_email("lt@barneveld.example.org").team_id is not None
    shoot(page, "contacts-confirm-flow", width)
    page.click("#confirm-cancel")  # cancelling changes nothing
    page.wait_for_selector('table[data-team="lt-ede"]')
    assert page.locator('tr[data-email="lt@barneveld.example.org"]').count() == 1
    page.select_option("#remove-email", value="lt@barneveld.example.org")
    page.click("#remove-submit")
    page.click("#confirm-submit")
    page.wait_for_selector("#result")
    # Carla still has an open referral: the page says what to do, in words, not chat syntax.
    refused = page.locator("#result").inner_text()
    assert "Vraag de teamleider" in refused and "herverdeel" not in refused
    assert page.locator('tr[data-email="lt@barneveld.example.org"]').count() == 1
    # Bert has none: confirmed, he is gone.
    page.select_option("#remove-email", value="tl@ede.example.org")
    page.click("#remove-submit")
    assert "Bert Smit verwijderen?" in page.locator("#confirm-remove").inner_text()
    page.click("#confirm-submit")
    page.wait_for_selector("#result")
    assert "Bert Smit is uit de contactenlijst gehaald" in page.locator("#result").inner_text()
    assert page.locator('tr[data-email="tl@ede.example.org"]').count() == 0
    context.close()


def _make_beheerder(engine: Engine, email: str, region: str) -> None:
    from sqlmodel import select

    from storage import db
    from storage.contact_tables import Contactbeheerder
    from storage.models import Region
    from tests.overview_history import person_id

    with db.session_scope(engine) as s:
        rid = s.exec(select(Region.id).where(Region.code == region)).one()
        s.add(Contactbeheerder(region_id=rid, person_id=person_id(engine, email)))

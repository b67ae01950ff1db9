"""The overview in real headless Chromium (Debian's package) driven by Playwright.

Skips with the reason when Playwright or /usr/bin/chromium is missing, except
under CI (env CI set), where a missing browser is a failure: `.ci/browser`
installs it there. Screenshots go to artifacts/ (or $KETENBOT_ARTIFACTS).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage import db
from tests.conftest import FakeClock
from tests.overview_history import at, gemeente_id, load_directory, make_model_case, make_referral

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("KETENBOT_ARTIFACTS",
                                Path(__file__).resolve().parent.parent / "artifacts"))


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    if not CHROMIUM.exists():
        return "no /usr/bin/chromium (apt-get install chromium)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
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


def _populate(engine) -> dict[str, str]:  # type: ignore[no-untyped-def]
    load_directory(engine)
    refs = {}
    refs["lapsed"] = make_referral(engine, start="2026-11-16 10:00",
                                   deadlines=[("step:contact", "2026-11-20 00:00", "lapsed")]).ref
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
    make_model_case(engine, gemeente="Ede", situation="dilemma", tier=2,
                    start="2026-10-02 10:00", closed="2026-10-09 10:00")
    return refs


@pytest.fixture
def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, object, dict]]:
    import uvicorn
    from starlette.applications import Starlette

    from bot.app import KetenBot
    from bot.config import Settings
    from bot.web import web_routes

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("KETENBOT_WEB_BASE_URL", base)
    monkeypatch.setenv("KETENBOT_WEB_SECRET", "browser-test-secret")
    url = f"sqlite:///{tmp_path / 'web.sqlite'}"
    db.upgrade(url)
    engine = db.make_engine(url)
    refs = _populate(engine)
    bot = KetenBot(Settings(_env_file=None), engine,  # type: ignore[call-arg]
                   FakeClock(at("2026-11-24 10:00")))
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=web_routes(bot)), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    yield base, bot, refs
    server.should_exit = True
    thread.join(5)
    engine.dispose()


def test_overview_in_chromium(browser, live) -> None:  # type: ignore[no-untyped-def]
    base, bot, refs = live
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    person = bot.person_by_email("rcp@fv.example.org")
    link = bot.registry.dispatch(bot.context("console", person), "overzicht").data["url"]
    page = browser.new_page(viewport={"width": 1200, "height": 900}, accept_downloads=True)
    # Sign in through the chat link.
    page.goto(link)
    page.click("#signin")
    page.wait_for_selector("#open-referrals")
    # The lapsed referral comes first.
    first = page.locator("#open-referrals tbody tr").first
    assert refs["lapsed"] in first.inner_text()
    assert "lapsed" in (first.get_attribute("class") or "")
    page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=True)
    # Filter to a gemeente.
    page.select_option("#f-gemeente", label="Barneveld")
    page.click("#f-apply")
    page.wait_for_load_state()
    rows = page.locator("#open-referrals tbody tr")
    assert rows.count() == 1 and refs["barneveld"] in rows.first.inner_text()
    assert f"gemeente={gemeente_id(bot.engine, 'Barneveld')}" in page.url
    # Open its timeline.
    page.click(f"text={refs['barneveld']}")
    page.wait_for_selector("#timeline")
    assert refs["barneveld"] in page.locator("h1").inner_text()
    assert page.locator("#timeline tbody tr").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "timeline.png"), full_page=True)
    # The figures: three charts drawn with bars.
    page.goto(f"{base}/overzicht/cijfers?van=2026-06-01&tot=2026-11-30")
    for chart in ("#chart-distribution", "#chart-trend", "#chart-on-time"):
        box = page.locator(chart).bounding_box()
        assert box and box["width"] > 200 and box["height"] > 50
        assert page.locator(f"{chart} rect.bar").count() > 0
    page.screenshot(path=str(ARTIFACTS / "figures.png"), full_page=True)
    # Download a table as CSV.
    with page.expect_download() as info:
        page.locator("a.csv").first.click()
    text = Path(info.value.path()).read_text("utf-8")
    assert text.startswith("maat,n,mediaan_werkdagen")
    # Another region's referral: 403.
    response = page.goto(f"{base}/overzicht/verwijzing/{refs['other']}")
    assert response is not None and response.status == 403
    # As contactbeheerder of Food Valley: move a person on the contacts page, and see it.
    _make_beheerder(bot.engine, "rcp@fv.example.org", "food-valley")
    page.goto(f"{base}/overzicht/")
    page.click("#nav-contacts")
    page.wait_for_selector("table.contacts")
    assert page.locator('table[data-team="lt-barneveld"] tr[data-email="lt@barneveld.example.org"]'
                        ).count() == 1
    page.select_option("#move-email", value="lt@barneveld.example.org")
    page.select_option("#move-team", value="lt-ede")
    page.click("#move-submit")
    page.wait_for_selector("#result")
    assert "Carla Prins" in page.locator("#result").inner_text()
    assert page.locator('table[data-team="lt-ede"] tr[data-email="lt@barneveld.example.org"]'
                        ).count() == 1
    assert page.locator('table[data-team="lt-barneveld"] tr[data-email="lt@barneveld.example.org"]'
                        ).count() == 0
    page.screenshot(path=str(ARTIFACTS / "contacts.png"), full_page=True)
    page.close()


def _make_beheerder(engine, email: str, region: str) -> None:  # type: ignore[no-untyped-def]
    from sqlmodel import select

    from storage.contact_tables import Contactbeheerder
    from storage.models import Region
    from tests.overview_history import person_id

    with db.session_scope(engine) as s:
        rid = s.exec(select(Region.id).where(Region.code == region)).one()
        s.add(Contactbeheerder(region_id=rid, person_id=person_id(engine, email)))

"""Every chat command, as a user types it, read in the user's language.

One scripted session runs the registry's whole list with realistic arguments
through the console (with the console's clock, so reminders, escalations and
thread lines are delivered and read too). In English no Dutch UI word may
show; in Dutch no internal code (event names, raw step keys) may show.
"""

from __future__ import annotations

import copy
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

import bot.console
import bot.console_clock
from bot.app import KetenBot
from bot.config import Settings
from bot.console import ConsoleSession
from bot.console_clock import MovableClock
from bot.demo import DEMO_START, run_demo
from handlers.registry import build_registry
from messages import Renderer
from scheduling.routes import default_routes

JB = "jeroen.bakker@jbgld.example.org"
LT = "bram.devries@sociaalteam-ede.example.org"
IRIS = "iris.vanderwal@sociaalteam-ede.example.org"
WENDY = "wendy.evers@sociaalteam-ede.example.org"
LT_LEADER = "carla.smit@sociaalteam-ede.example.org"
PROVIDER = "wilgenhof-orthopedagogisch-centrum"
PROVIDER_WORKER = "saskia.willems@wilgenhoforthopedagogischcentrum.example.org"
BACKOFFICE = "bram.yilmaz@backoffice-foodvalley.example.org"
RET = "hester.janssen@ret-foodvalley.example.org"
GI_LEADER = "tess.visser@jbgld.example.org"
GW = "dennis.smits@jbgld.example.org"
RCP = "monique.peters@regio-foodvalley.example.org"
BEHEER = "youssef.vandam@regio-foodvalley.example.org"
VOORZITTER = "astrid.vandijk@jbt-foodvalley.example.org"  # the tafel of Food Valley

# Every command at least once, in English (both words work; the Dutch run
# below types the same lines), with wrong input here and there.
SCRIPT = [
    f":als {JB}",
    "help", "who Ede", "who Ede lt", "who Ede xyz", "who Ede group", "who Arnhm",
    "refer 301 Ede JB-2026-0042", "refer 302 Ede JB-2026-0042", "refer",
    "status", "withdraw",
    ":klok 2026-11-26 10:00", ":klok 2026-11-30 09:00",
    f":als {LT}", "next KB-0001", "ack KB-0001", "mine",
    f":als {JB}", "next KB-0001", "provider KB-0001 Wilgenhof", "provider KB-0001 Wilgenhoof",
    f"provider KB-0001 {PROVIDER}",
    f":als {LT}", "301 KB-0001",
    f":als {PROVIDER_WORKER}", "accept KB-0001", "started KB-0001",
    f":als {JB}", "status KB-0001",
    # 315: both consultations, an incorrect 315.
    "refer 315 Ede JB-2026-0043",
    f":als {LT}", "ack KB-0002",
    f":als {JB}", f"provider KB-0002 {PROVIDER}", "consulted KB-0002 za", "next KB-0002",
    f":als {PROVIDER_WORKER}", "315 KB-0002",
    f":als {BACKOFFICE}", "incorrect KB-0002 product code missing",
    f":als {PROVIDER_WORKER}", "315 KB-0002",
    f":als {BACKOFFICE}", "301 KB-0002",
    f":als {PROVIDER_WORKER}", "started KB-0002",
    # 301 through step 5B and 6.
    f":als {JB}", "refer 301 Ede JB-2026-0045",
    f":als {LT}", "ack KB-0003",
    f":als {JB}", "next KB-0003", f"provider KB-0003 {PROVIDER}", "escalate KB-0003",
    "reject KB-0003",  # at the LT's part of step 4: refused, says which part takes it
    f":als {LT}", "301 KB-0003",
    f":als {PROVIDER_WORKER}", "reject KB-0003 no place within 8 weeks",
    f":als {JB}", "ret KB-0003", "escalate KB-0003",
    ":klok 2026-12-11 10:00",
    f":als {RET}", "outcome KB-0003 no",
    f":als {JB}", "escalate KB-0003",
    ":klok 2026-12-11 10:30",
    f":als {RCP}", "mine",
    f":als {GI_LEADER}", "talked KB-0003",
    f":als {RCP}", "board KB-0003 waiting lists in the whole region", "mine",
    f":als {GI_LEADER}", "mine", "status KB-0003",
    f"found KB-0003 {PROVIDER}",
    # Reassigning and withdrawing.
    f":als {JB}", "refer 301 Ede JB-2026-0046",
    f":als {LT_LEADER}", f"reassign KB-0004 {LT}", f"reassign KB-0004 {IRIS}",
    ":klok 2026-12-11 11:00",
    f":als {JB}", "withdraw KB-0004 the family moved", "status KB-0004",
    # Bouwsteen 6: the escalation model.
    "escalate KB-0003 dilemma",
    "escalate case JB-2026-0050 Ede dilemma",
    "party ES-0002 lt", "tier ES-0002 2", "family ES-0002 yes", "tier ES-0002 1",
    "status ES-0002",
    ":klok 2026-12-11 11:30",
    "report ES-0002 Supervised contact twice a week, evaluation after six weeks.",
    f":als {LT_LEADER}", "mine", "approve ES-0002",
    f":als {GW}", "approve ES-0002", "tier ES-0001 2",
    f":als {JB}", "resolved ES-0001 The provider found a place.",
    f":als {GI_LEADER}", "close ES-0001 the provider found a place after all",
    f":als {JB}", "status ES-0002",
    ":klok 2026-12-11 12:00",
    # Bouwsteen 4: the Jeugdbeschermingstafel (JT-0005) and a warm handover.
    f":als {PROVIDER_WORKER}", "table Ede JB-2026-0061",
    f":als {LT}", "table Ede", "table Ede JB-2026-0060", "who Ede table",
    f":als {VOORZITTER}", "outcome JT-0005 2", "scheduled JT-0005 tomorrow",
    "scheduled JT-0005 2026-12-30", "outcome JT-0005 5", "outcome JT-0005 3 safety no",
    "report JT-0005", "evaluation JT-0005 2027-03-01", "reaction JT-0005", "status JT-0005",
    f":als {JB}", "table Ede JB-2026-0062 ots-end",
    f":als {VOORZITTER}", "scheduled JT-0006 2026-12-15", "outcome JT-0006 1",
    f":als {JB}", "handover JT-0006", f"handover JT-0006 {WENDY}",
    f":als {WENDY}", "family OV-0007 no", "family OV-0007 later first meeting the parents",
    "talked OV-0007",
    f":als {JB}", "agreements OV-0007", "status OV-0007",
    ":klok 2026-12-11 12:30",
    # Contactbeheer and the rest.
    f":als {IRIS}", "me", "me ok", "me phone +31 6 1234 0001", "absent until 2026-12-18",
    "back", f"buddy {WENDY}",
    f":als {WENDY}", "buddy yes",
    f":als {LT_LEADER}", "member lt-ede sanne.bos@example.org medewerker Sanne Bos",
    "remove sanne.bos@example.org", f"absent until 2026-12-18 {WENDY}",
    "overview", "digest off", "digest on", "linkcode",
    ":als", ":als nobody@example.org",
    ":klok 2026-12-21 09:00",
    f":als {JB}", "unlink",
]

# Words of the Dutch interface that an English reader must never meet. Names
# of people and organisations are Dutch and stay so; so do the seed's own
# terms the English text keeps on purpose (koppelgenoot, bestuurlijke escalatie).
DUTCH = [
    "draad", "stap", "ontvangen", "volgende", "gezin", "familie", "termijn", "verwijzing",
    "verwijzingen", "uiterlijk", "geschiedenis", "aangemaakt", "aan zet", "afronden",
    "trede", "verslag", "akkoord", "gevonden", "uitkomst", "escaleer", "gesprek",
    "intrekken", "herverdeel", "herverdeeld", "aanbieder", "zorgaanbieder", "afwijzing",
    "acceptatie", "gestart", "onjuist", "partij", "sluit", "opgelost", "mijn", "afwezig",
    "terug", "teamlid", "verwijder", "overzicht", "samenvatting", "koppelcode", "verwijs",
    "ja", "nee", "kenmerk", "reden", "waarom", "niet", "geen", "wacht", "tot", "klopt",
    "telefoon", "gemeente>", "<zorgaanbieder>", "jeugdbeschermer", "regio", "groep",
    "alle", "leiding", "bestuur", "gevraagden", "herinnering", "escalatie(s)", "bericht",
]
URL = re.compile(r"https?://\S+")  # the overview's own path is /overzicht/
DUTCH_RE = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, DUTCH)) + r")(?![\w-])",
                      re.IGNORECASE)


def internal_code_re() -> re.Pattern[str]:
    """Internal codes a Dutch reader must never meet: event names with an
    underscore, `stap6`, and a step by its raw key instead of its number."""
    keys = {s.key for r in default_routes().routes.values() for s in r.steps}
    return re.compile(r"\b[a-z]+_[a-z_]+\b|\bstap\d|\b(?:stap|step) (?:"
                      + "|".join(sorted(keys)) + r")\b|\bfamilie\b|\btier \d")


@pytest.fixture
def ketenbot(sample_engine: Engine, db_url: str) -> Iterator[tuple[KetenBot, MovableClock]]:
    clock = MovableClock(DEMO_START)
    kb = KetenBot.start(Settings(database_url=db_url), clock=clock)
    yield kb, clock
    kb.engine.dispose()


def run(kb: KetenBot, clock: MovableClock, lang: str) -> list[tuple[str, str]]:
    """(line typed, what came back: the reply and every message delivered)."""
    out = io.StringIO()
    session = ConsoleSession(kb, None, lang, out)
    session.attach_clock(clock)
    answers = []
    for line in SCRIPT:
        before = out.tell()
        reply = session.handle(line)
        answers.append((line, out.getvalue()[before:] + reply))
    return answers


def test_the_script_runs_every_command() -> None:
    registry = build_registry()
    used = {c.name for line in SCRIPT if not line.startswith(":")
            if (c := registry.find(line.split()[0])) is not None}
    assert used == {c.name for c in registry.commands}


def test_english_replies_have_no_dutch_words(ketenbot: tuple[KetenBot, MovableClock]) -> None:
    kb, clock = ketenbot
    found = []
    for line, text in run(kb, clock, "en"):
        assert "Traceback" not in text, line
        found += [f"{line!r}: {m.group(0)!r} in {text[max(0, m.start() - 60):m.end() + 40]!r}"
                  for m in DUTCH_RE.finditer(URL.sub("", text))]
    assert not found, "\n".join(found)


def test_dutch_replies_have_no_internal_codes(ketenbot: tuple[KetenBot, MovableClock]) -> None:
    kb, clock = ketenbot
    codes = internal_code_re()
    found = []
    for line, text in run(kb, clock, "nl"):
        found += [f"{line!r}: {m.group(0)!r} in {text[max(0, m.start() - 60):m.end() + 40]!r}"
                  for m in codes.finditer(text.replace("@", " @"))]
    assert not found, "\n".join(found)


def test_demo_in_english_has_no_dutch_words() -> None:
    out = io.StringIO()
    run_demo(out, "en")
    # What the demo types counts too: in English it types the English commands.
    text = URL.sub("", out.getvalue())
    found = [text[max(0, m.start() - 60):m.end() + 40] for m in DUTCH_RE.finditer(text)]
    assert not found, "\n".join(found)


def test_demo_in_dutch_has_no_internal_codes() -> None:
    out = io.StringIO()
    run_demo(out, "nl")
    text = "\n".join(line for line in out.getvalue().splitlines() if not line.startswith("> "))
    found = [text[max(0, m.start() - 60):m.end() + 40]
             for m in internal_code_re().finditer(text.replace("@", " @"))]
    assert not found, "\n".join(found)


class Recording(Renderer):
    """The console's renderer, keeping every (template, data) it rendered: what
    a reply or a delivered message was before it became console text."""

    seen: list[tuple[str, dict[str, Any]]] = []

    def render_name(self, name: str, data: dict[str, Any], lang: str = "nl") -> str:
        Recording.seen.append((name, copy.deepcopy(data)))
        return super().render_name(name, data, lang)


def platform_texts(kb: KetenBot, clock: MovableClock, monkeypatch: pytest.MonkeyPatch,
                   platform: str) -> list[tuple[str, str]]:
    """The script's replies and messages as the Slack or Telegram transport
    renders the same data in English, with that platform's own templates: the
    thread's root message and the linked reply too."""
    Recording.seen = []
    monkeypatch.setattr(bot.console, "Renderer", Recording)
    monkeypatch.setattr(bot.console_clock, "Renderer", Recording)
    run(kb, clock, "en")
    renderer = Renderer(platform)
    root = "root" if platform == "slack" else "thread_root"
    texts = []
    for name, data in Recording.seen:
        texts.append((name, renderer.render_name(name, data, "en")))
        if name == "referral":  # the same referral as its thread's root message
            texts.append((root, renderer.render_name(root, data | {"actors": ["Bram de Vries"]},
                                                     "en")))
    for replaced in (False, True):
        texts.append(("linked", renderer.render_name(
            "linked", {"name": "Jeroen Bakker", "replaced": replaced}, "en")))
    return texts


@pytest.mark.parametrize("platform", ["slack", "telegram"])
def test_english_on_slack_and_telegram_has_no_dutch_words(
        ketenbot: tuple[KetenBot, MovableClock], monkeypatch: pytest.MonkeyPatch,
        platform: str) -> None:
    kb, clock = ketenbot
    texts = platform_texts(kb, clock, monkeypatch, platform)
    names = {name for name, _ in texts}
    assert {"referral", "mine", "help", "error", "your_turn", "linked"} <= names
    found = []
    for name, text in texts:
        # Slack escapes < and > of argument placeholders (&lt;ref&gt;).
        plain = URL.sub("", text).replace("&lt;", "<").replace("&gt;", ">")
        found += [f"{name}: {m.group(0)!r} in {plain[max(0, m.start() - 60):m.end() + 40]!r}"
                  for m in DUTCH_RE.finditer(plain)]
    assert not found, "\n".join(dict.fromkeys(found))

"""`ketenbot demo`: a fresh embedded database, the sample directory, a script.

The demo runs the real code paths (migrations, import, console session), so
what it shows is what a user gets.
"""

from __future__ import annotations

import io
import tempfile
from datetime import datetime
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.app import KetenBot
from bot.config import Settings
from bot.console import ConsoleSession
from bot.console_clock import MovableClock
from handlers.linking import link
from storage import db
from storage.db import session_scope
from storage.directory_format import load
from storage.directory_import import import_doc
from storage.models import Person, Team

SAMPLE = Path(db.__file__).parent / "sample" / "gelderland.yaml"  # package data of storage
JEUGDBESCHERMER = "jeroen.bakker@jbgld.example.org"
DEMO_START = datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))

LT_WORKER = "bram.devries@sociaalteam-ede.example.org"
PROVIDER = "wilgenhof-orthopedagogisch-centrum"

LOOKUPS = [
    # Ede's first lokaal-team worker is absent: the koppelgenoot comes first.
    "wie Ede",
    "wie Arnhm",  # misspelt: suggestions
    "wie GM0268 gi",  # CBS code, narrowed to the GI
    "wie 's-Hertogenbosch",  # not in Gelderland's directory
]

# A 301 referral from start to care started: the lokaal team does not answer in
# time, gets a reminder, the deadline lapses over the weekend, the teamleider
# and the regional contact person hear of it on Monday at 08:30, then it moves.
REFERRAL_301 = [
    "verwijs 301 Ede JB-2026-0042",
    "verwijs 301 Ede 111222333",  # a BSN: refused, nothing stored
    ":klok 2026-11-26 10:00",  # one werkdag before the deadline: reminders
    ":klok 2026-11-30 09:00",  # lapsed Friday night: escalation, delivered Monday 08:30
    f":als {LT_WORKER}",
    "volgende KB-0001",  # wrong step: refused
    "ontvangen KB-0001",
    f":als {JEUGDBESCHERMER}",
    "volgende KB-0001",
    f"aanbieder KB-0001 {PROVIDER}",
    f":als {LT_WORKER}",
    "301 KB-0001",
    f":als {JEUGDBESCHERMER}",
    "gestart KB-0001",
    "status KB-0001",
]

# A 315 referral: the provider cannot take the case (afwijzing), on to the RET.
REFERRAL_315 = [
    "verwijs 315 Ede JB-2026-0043",
    f":als {LT_WORKER}",
    "ontvangen KB-0002",
    f":als {JEUGDBESCHERMER}",
    f"aanbieder KB-0002 {PROVIDER}",
    "volgende KB-0002",
    "afwijzing KB-0002 wachtlijst",
    "ret KB-0002",
    ":klok 2026-12-03 09:00",
    "mijn",
]

# One referral, two platforms: the jeugdbeschermer's team works in Slack, the
# Ede lokaal team in Telegram. Each sees the referral in its own place, and an
# acknowledgement pressed in Telegram updates the Slack thread too.
CROSS_PLATFORM = [
    f":als {JEUGDBESCHERMER}",
    ":via slack",
    "verwijs 301 Ede JB-2026-0044",
    ":klok 2026-12-03 09:30",
    f":als {LT_WORKER}",
    ":via telegram",
    "ontvangen KB-0003",
    ":klok 2026-12-03 10:00",
    "status KB-0003",
]


def _two_platforms(bot: KetenBot) -> None:
    """The demo's Slack channel and Telegram group, and who is linked where."""
    with session_scope(bot.engine) as session:
        for key, column, value in (("jbgld-food-valley", "slack_channel", "C0JBGLDFV"),
                                   ("lt-ede", "telegram_chat", "-1001000000228")):
            team = session.exec(select(Team).where(Team.key == key)).one()
            setattr(team, column, value)
            session.add(team)
        for email, platform, external in ((JEUGDBESCHERMER, "slack", "U0JEROEN"),
                                          (LT_WORKER, "telegram", "700228")):
            person = session.exec(select(Person).where(Person.email == email)).one()
            link(session, platform, external, person.id or 0)


def run_demo(out: TextIO, lang: str = "nl") -> None:
    with tempfile.TemporaryDirectory(prefix="ketenbot-demo-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'demo.sqlite'}"
        db.upgrade(url)
        clock = MovableClock(DEMO_START)
        bot = KetenBot.start(Settings(database_url=url), clock=clock)
        with session_scope(bot.engine) as session:
            result = import_doc(load(SAMPLE), session)
        rows = sum(result.created.values())
        out.write(f"# Sample directory loaded: {rows} rows.\n" if lang == "en"
                  else f"# Voorbeeld-contactenlijst geladen: {rows} rijen.\n")
        actor = bot.person_by_email(JEUGDBESCHERMER)
        assert actor is not None, "sample directory lacks the demo jeugdbeschermer"
        out.write(f"# You are {actor.name}, jeugdbeschermer ({actor.email}).\n\n" if lang == "en"
                  else f"# U bent {actor.name}, jeugdbeschermer ({actor.email}).\n\n")
        console = ConsoleSession(bot, actor, lang, out)
        console.attach_clock(clock)
        lookups = "Lookups" if lang == "en" else "Opzoeken"
        for title, script in ((lookups, LOOKUPS), ("301-route", REFERRAL_301),
                              ("315-route", REFERRAL_315)):
            out.write(f"\n## {title}\n\n")
            console.run(io.StringIO("\n".join(script) + "\n"), echo=True)
        _two_platforms(bot)
        console.attach_clock(clock, platforms=("slack", "telegram"))
        out.write("\n## Slack + Telegram\n\n")
        console.run(io.StringIO("\n".join(CROSS_PLATFORM) + "\n"), echo=True)
        bot.engine.dispose()

"""`ketenbot demo`: a fresh embedded database, the sample directory, a script.

The demo runs the real code paths (migrations, import, console session), so
what it shows is what a user gets.
"""

from __future__ import annotations

import io
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.app import KetenBot
from bot.config import Settings
from bot.console import ConsoleSession
from bot.console_clock import MovableClock
from handlers.accounts.linking import link
from messages.render import command_words
from storage import db
from storage.contact_tables import Steunstructuur
from storage.db import session_scope
from storage.directory.importer import import_doc
from storage.directory.read import load
from storage.models import Person, Region, Team

SAMPLE = Path(db.__file__).parent / "sample" / "gelderland.yaml"  # package data of storage
JEUGDBESCHERMER = "jeroen.bakker@jbgld.example.org"
DEMO_START = datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))

LT_WORKER = "bram.devries@sociaalteam-ede.example.org"
PROVIDER = "wilgenhof-orthopedagogisch-centrum"
PROVIDER_WORKER = "saskia.willems@wilgenhoforthopedagogischcentrum.example.org"
BACKOFFICE = "bram.yilmaz@backoffice-foodvalley.example.org"
RET_MEMBER = "hester.janssen@ret-foodvalley.example.org"
GI_TEAMLEIDER = "tess.visser@jbgld.example.org"
REGIONAL_CONTACT = "monique.peters@regio-foodvalley.example.org"

LOOKUPS = [
    # Ede's first lokaal-team worker is absent: the koppelgenoot comes first.
    "wie Ede",
    "wie Arnhm",  # misspelt: suggestions
    "wie GM0268 gi",  # CBS code, narrowed to the GI
    "wie 's-Hertogenbosch",  # not in Gelderland's directory
]

# A 301 referral from start to care started: step 1 is not recorded in time,
# reminders go out, the term lapses over the weekend and the regional contact
# person is asked on Monday at 08:30 to arrange the contact; then it moves,
# the provider accepts (match) and care starts.
REFERRAL_301 = [
    "verwijs 301 Ede JB-2026-0042",
    "verwijs 301 Ede 111222333",  # a BSN: refused, nothing stored
    ":klok 2026-11-26 10:00",  # one werkdag before the deadline: reminders
    ":klok 2026-11-30 09:00",  # lapsed Friday night: the regional contact person, Monday 08:30
    f":als {LT_WORKER}",
    "volgende KB-0001",  # wrong step: refused
    "ontvangen KB-0001",  # either side records step 1
    f":als {JEUGDBESCHERMER}",
    f"volgende KB-0001 {PROVIDER}",  # the aanmeldformulier goes to the voorkeursaanbieder
    f":als {LT_WORKER}",
    "301 KB-0001",
    f":als {PROVIDER_WORKER}",
    "acceptatie KB-0001",  # the match: steps 2-4 done
    f":als {JEUGDBESCHERMER}",
    "gestart KB-0001",  # care started: done
    "status KB-0001",
]

# A 315 referral: step 1 needs both consultations; an incorrect 315 goes back
# to the provider with a new term.
REFERRAL_315 = [
    "verwijs 315 Ede JB-2026-0043",
    f":als {LT_WORKER}",
    "ontvangen KB-0002",  # the LT consultation: step 1 still waits for the provider
    f":als {JEUGDBESCHERMER}",
    f"aanbieder KB-0002 {PROVIDER}",
    "contact KB-0002 za",  # both consulted: step 2-3
    "volgende KB-0002",
    f":als {PROVIDER_WORKER}",
    "315 KB-0002",  # the 315 is the match too
    f":als {BACKOFFICE}",
    "onjuist KB-0002 productcode ontbreekt",  # JW319: back to the provider
    f":als {PROVIDER_WORKER}",
    "315 KB-0002",
    f":als {BACKOFFICE}",
    "301 KB-0002",
    f":als {PROVIDER_WORKER}",
    "gestart KB-0002",
]

# A 301 referral through step 5B and step 6: the provider rejects, the RET
# discusses it within two weeks without sight of help, the GI team leader and
# the regional contact person talk and decide on a bestuurlijke escalatie
# themselves (ketenbot never does).
REFERRAL_STEP6 = [
    f":als {JEUGDBESCHERMER}",
    "verwijs 301 Ede JB-2026-0045",
    f":als {LT_WORKER}",
    "ontvangen KB-0003",
    f":als {JEUGDBESCHERMER}",
    f"volgende KB-0003 {PROVIDER}",  # the aanmeldformulier goes to the voorkeursaanbieder
    "escaleer KB-0003",  # refused: step 6 only after step 5
    f":als {LT_WORKER}",
    "301 KB-0003",
    f":als {PROVIDER_WORKER}",
    "afwijzing KB-0003 geen plek binnen 8 weken",  # backoffice, JB and LT are told
    f":als {JEUGDBESCHERMER}",
    "ret KB-0003",  # 5B: the RET discusses it within two weeks of now
    "escaleer KB-0003",  # refused: the RET has not discussed it yet
    ":klok 2026-12-11 10:00",  # one werkdag before: the RET and the JB are reminded
    f":als {RET_MEMBER}",
    "uitkomst KB-0003 nee",  # no sight of help
    f":als {JEUGDBESCHERMER}",
    "escaleer KB-0003",  # step 6: one week for the talk
    ":klok 2026-12-11 10:30",  # the GI team leader and the regional contact person hear
    f":als {REGIONAL_CONTACT}",
    "mijn",
    f":als {GI_TEAMLEIDER}",
    "gesprek KB-0003",
    f":als {REGIONAL_CONTACT}",
    "bestuurlijk KB-0003 wachttijden in de hele regio",  # their decision, by command
    ":klok 2026-12-11 11:00",
    "status KB-0003",
]

# One referral, two platforms: the jeugdbeschermer's team works in Slack, the
# Ede lokaal team in Telegram. Each sees the referral in its own place, and an
# acknowledgement pressed in Telegram updates the Slack thread too.
CROSS_PLATFORM = [
    f":als {JEUGDBESCHERMER}",
    ":via slack",
    "verwijs 301 Ede JB-2026-0044",
    ":klok 2026-12-11 11:30",
    f":als {LT_WORKER}",
    ":via telegram",
    "ontvangen KB-0004",
    ":klok 2026-12-11 12:00",
    "status KB-0004",
]

# Contactbeheer (Bouwsteen 2): people keep their own entry current. The demo's
# Food Valley round starts on Monday 14 December (the referral sections run the
# clock to the 11th first); Iris corrects her entry, Jasper stays silent and the
# contactbeheerder gets the list a week later.
FIRST_ROUND = date(2026, 12, 14)
IRIS = "iris.vanderwal@sociaalteam-ede.example.org"
WENDY = "wendy.evers@sociaalteam-ede.example.org"
CARLA = "carla.smit@sociaalteam-ede.example.org"
CONTACTBEHEER = [
    f":als {IRIS}",
    "ik",
    ":klok 2026-12-14 09:00",
    "ik telefoon +31 6 1234 0001",
    f"afwezig tot 2026-12-18 {WENDY}",  # not hers to change: refused
    f":als {CARLA}",
    f"afwezig tot 2026-12-18 {WENDY}",  # her team leader may
    ":klok 2026-12-21 09:00",
    f":als {JEUGDBESCHERMER}",
    "wie Scherpenzeel groep",
]


# Bouwsteen 6: the escalation model. No terms, no automatic tiers: people take
# each tier by command, the family's position is recorded (asked again at each
# tier), a meeting's verslag is approved by the people who took part in it, and
# the escalation closes when the parties say the difference is bridged.
GEDRAGSWETENSCHAPPER = "dennis.smits@jbgld.example.org"
GI_TEAMLEIDER = "tess.visser@jbgld.example.org"
LT_TEAMLEIDER = "carla.smit@sociaalteam-ede.example.org"
ESCALATION_MODEL = [
    f":als {JEUGDBESCHERMER}",
    ":via console",
    "escaleer kenmerk JB-2026-0050 Ede dilemma",
    "partij ES-0001 lt",
    "trede ES-0001 2",  # a dilemma goes to the gedragswetenschappers first: refused
    "gezin ES-0001 ja",
    "trede ES-0001 1",
    ":klok 2027-01-04 08:00",  # two weeks on: the model has moved by itself not at all
    "status ES-0001",
    f":als {GEDRAGSWETENSCHAPPER}",
    "trede ES-0001 2",
    f":als {JEUGDBESCHERMER}",
    "verslag ES-0001 Begeleid contact twee keer per week, evaluatie na zes weken.",
    f":als {LT_TEAMLEIDER}",
    "mijn",
    "akkoord ES-0001",
    f":als {GI_TEAMLEIDER}",
    "akkoord ES-0001",
    f":als {GEDRAGSWETENSCHAPPER}",
    "akkoord ES-0001",  # the last approval records the meeting: the escalation goes on
    "gezin ES-0001 ja",  # tier 2 brought in new people: asked again
    f":als {LT_TEAMLEIDER}",
    "opgelost ES-0001",  # the lokaal team says the difference is bridged ...
    f":als {JEUGDBESCHERMER}",
    "opgelost ES-0001",  # ... and the GI: every party has, it closes
]

# Bouwsteen 4: the JB's intention to end an OTS goes to the Jeugdbeschermingstafel
# (the lokaal team and the Raad take part from the start); the voorzitter plans it
# later than two weeks out, so the gemeente's eerste aanspreekpersoon is told and
# the neighbouring tafel named; the outcome, the verslag and an evaluation moment;
# then the warm handover to the lokaal team, with its default terms marked as such.
VOORZITTER = "astrid.vandijk@jbt-foodvalley.example.org"
TAFEL = [
    f":als {JEUGDBESCHERMER}",
    "tafel Ede JB-2026-0060 ots-einde",
    f":als {VOORZITTER}",
    "mijn",
    "gepland JT-0005 2027-01-27",
    ":klok 2027-01-27 16:00",
    "uitkomst JT-0005 1",
    "verslag JT-0005",
    "evaluatie JT-0005 2027-04-12",
    f":als {JEUGDBESCHERMER}",
    f"overdracht JT-0005 {LT_WORKER}",
    ":klok 2027-02-03 10:00",
    f":als {LT_WORKER}",
    "gezin OV-0006 ja",
    "gesprek OV-0006",
    f":als {JEUGDBESCHERMER}",
    "afspraken OV-0006",
    "status OV-0006",
]


# What the demo's people type as free text, when they type in English.
FREE_TEXT_EN = {
    "geen plek binnen 8 weken": "no place within 8 weeks",
    "productcode ontbreekt": "product code missing",
    "wachttijden in de hele regio": "waiting lists in the whole region",
    "Begeleid contact twee keer per week, evaluatie na zes weken.":
        "Supervised contact twice a week, evaluation after six weeks.",
}


def in_english(line: str) -> str:
    """A demo line as an English-speaking user types it: the English command and
    argument words (both work), and their free text in English."""
    if line.startswith(":"):
        return line
    for nl, en in FREE_TEXT_EN.items():
        line = line.replace(nl, en)
    return command_words(line, "en")


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


def play(console: ConsoleSession, script: list[str], lang: str) -> None:
    lines = [in_english(line) for line in script] if lang == "en" else script
    console.run(io.StringIO("\n".join(lines) + "\n"), echo=True)


def run_demo(out: TextIO, lang: str = "nl") -> None:
    with tempfile.TemporaryDirectory(prefix="ketenbot-demo-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'demo.sqlite'}"
        db.upgrade(url)
        clock = MovableClock(DEMO_START)
        bot = KetenBot.start(Settings(database_url=url), clock=clock)
        with session_scope(bot.engine) as session:
            result = import_doc(load(SAMPLE), session)
            fv = session.exec(select(Region).where(Region.code == "food-valley")).one()
            steun = session.get(Steunstructuur, fv.id)
            assert steun is not None, "sample directory lacks Food Valley's steunstructuur"
            steun.first_round = FIRST_ROUND
            session.add(steun)
            # The other regions' rounds would fall in the demo's last weeks and
            # drown the tafel's messages: they start after it.
            for other in session.exec(select(Steunstructuur).where(
                    Steunstructuur.region_id != fv.id)):
                other.first_round = date(2027, 6, 7)
                session.add(other)
        rows = sum(result.created.values())
        out.write(f"# Sample directory loaded: {rows} rows.\n" if lang == "en"
                  else f"# Voorbeeld-contactenlijst geladen: {rows} rijen.\n")
        actor = bot.person_by_email(JEUGDBESCHERMER)
        assert actor is not None, "sample directory lacks the demo jeugdbeschermer"
        out.write(f"# You are {actor.name}, youth protection worker ({actor.email}).\n\n"
                  if lang == "en"
                  else f"# U bent {actor.name}, jeugdbeschermer ({actor.email}).\n\n")
        console = ConsoleSession(bot, actor, lang, out)
        console.attach_clock(clock)
        lookups = "Lookups" if lang == "en" else "Opzoeken"
        step6 = "301: step 5B and 6" if lang == "en" else "301: stap 5B en 6"
        for title, script in ((lookups, LOOKUPS), ("301-route", REFERRAL_301),
                              ("315-route", REFERRAL_315), (step6, REFERRAL_STEP6)):
            out.write(f"\n## {title}\n\n")
            play(console, script, lang)
        _two_platforms(bot)
        console.attach_clock(clock, platforms=("slack", "telegram"))
        out.write("\n## Slack + Telegram\n\n")
        play(console, CROSS_PLATFORM, lang)
        console.attach_clock(clock)  # the console again delivers every message
        out.write("\n## Contactbeheer\n\n")
        play(console, CONTACTBEHEER, lang)
        out.write("\n## " + ("Escalation model (Bouwsteen 6)" if lang == "en"
                              else "Escalatiemodel (Bouwsteen 6)") + "\n\n")
        play(console, ESCALATION_MODEL, lang)
        out.write("\n## " + ("Youth protection table (Bouwsteen 4)" if lang == "en"
                              else "Jeugdbeschermingstafel (Bouwsteen 4)") + "\n\n")
        play(console, TAFEL, lang)
        bot.engine.dispose()

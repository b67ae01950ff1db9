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

from bot.app import KetenBot
from bot.config import Settings
from bot.console import ConsoleSession
from storage import db
from storage.db import session_scope
from storage.directory_format import load
from storage.directory_import import import_doc

SAMPLE = Path(__file__).parent.parent / "storage" / "sample" / "gelderland.yaml"
JEUGDBESCHERMER = "jeroen.bakker@jbgld.example.org"
DEMO_START = datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))

LOOKUPS = [
    # Ede's first lokaal-team worker is absent: the koppelgenoot comes first.
    "wie Ede",
    "wie Arnhm",  # misspelt: suggestions
    "wie GM0268 gi",  # CBS code, narrowed to the GI
    "wie 's-Hertogenbosch",  # not in Gelderland's directory
]


def run_demo(out: TextIO, lang: str = "nl") -> None:
    with tempfile.TemporaryDirectory(prefix="ketenbot-demo-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'demo.sqlite'}"
        db.upgrade(url)
        bot = KetenBot.start(Settings(database_url=url), clock=lambda: DEMO_START)
        with session_scope(bot.engine) as session:
            result = import_doc(load(SAMPLE), session)
        out.write(f"# Voorbeeld-contactenlijst geladen: {sum(result.created.values())} rijen.\n")
        actor = bot.person_by_email(JEUGDBESCHERMER)
        assert actor is not None, "sample directory lacks the demo jeugdbeschermer"
        out.write(f"# U bent {actor.name}, jeugdbeschermer ({actor.email}).\n\n")
        session_ = ConsoleSession(bot, actor, lang, out)
        session_.run(io.StringIO("\n".join(LOOKUPS) + "\n"), echo=True)
        bot.engine.dispose()

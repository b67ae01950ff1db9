"""A deadline reads the same everywhere: the last day of the term.

A term is stored as the moment it lapses (00:00 after its last werkdag); the
overview page once printed that midnight, one day later than the chat, and a
team leader believed there was a day more. Chat, the page and the digest must
show the same day for the same referral.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlmodel import Session, select

from bot.app import KetenBot
from handlers.overview.digests import weekly
from messages import Renderer
from messages.labels import last_day
from storage.tables import Outbox
from tests.conftest import AMS, FakeClock
from tests.test_web_overview import bot, client, sign_in  # noqa: F401  (the page's fixture)


def test_last_day_is_the_day_before_the_lapse_moment() -> None:
    # Lapses at 00:00 on Friday 11 December (Amsterdam): the last day is Thursday.
    assert str(last_day(datetime(2026, 12, 11, 0, 0, tzinfo=AMS))) == "2026-12-10"
    assert str(last_day("2026-12-10T23:00:00+00:00")) == "2026-12-10"  # the same, in UTC
    assert str(last_day(datetime(2026, 12, 10, 17, 0, tzinfo=AMS))) == "2026-12-10"


def test_chat_page_and_digest_show_the_same_last_day(bot: KetenBot,  # noqa: F811
                                                     clock: FakeClock) -> None:
    jb = bot.person_by_email("jb@gi.example.org")
    reply = bot.registry.dispatch(bot.context("console", jb), "verwijs 301 Ede K-9")
    chat = Renderer("text").render(reply, "nl")
    chat_day = re.search(r"uiterlijk (\w\w \d+ \w+ \d{4})", chat)
    assert chat_day, chat
    # Tue 24 Nov 10:00 + 3 werkdagen: the end of Friday 27 November.
    assert chat_day.group(1) == "vr 27 nov 2026"

    c = client(bot)
    sign_in(c, bot, "tl@gi.example.org")
    page = c.get("/overzicht/").text
    row = page[page.index(f'/overzicht/verwijzing/{reply.data["ref"]}"'):]
    row = row[:row.index("</tr>")]
    assert chat_day.group(1) in row, row
    assert "28-11-2026" not in page and "28 nov" not in page  # the lapse moment, a day late
    assert "Uiterlijk" in page

    # The week's digest to the team leader: the same day.
    assert weekly(bot.engine, clock(), bot.calendar(), bot.routes, "http://testserver") >= 1
    with Session(bot.engine) as s:
        digest = s.exec(select(Outbox).where(Outbox.template == "digest_week")).first()
        assert digest is not None
        text = Renderer("text").render_name("digest_week", digest.payload, "nl")
    assert f"{reply.data['ref']} (301, Ede), stap 1: uiterlijk {chat_day.group(1)}" in text, text

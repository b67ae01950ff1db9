"""What a professional sees in the console, with its clock (issue 18, items 3 and 4).

Step 6 visibly ends after the talk and the bestuurlijke escalatie; a lapsed row
in `mijn` keeps the term's last day; an escalation-model line about a referral
names the referral's thread; `:als` without an address explains itself; and a
reassignment to the person already assigned is refused and changes nothing.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from bot.app import KetenBot
from bot.config import Settings
from bot.console import ConsoleSession
from bot.console_clock import MovableClock
from bot.demo import DEMO_START
from tests.conftest import FakeClock
from tests.test_referrals import BRAM, CARLA, Chat

JB = "jeroen.bakker@jbgld.example.org"
LT = "bram.devries@sociaalteam-ede.example.org"
LT_LEADER = "carla.smit@sociaalteam-ede.example.org"
PROVIDER = "wilgenhof-orthopedagogisch-centrum"
PROVIDER_WORKER = "saskia.willems@wilgenhoforthopedagogischcentrum.example.org"
RET = "hester.janssen@ret-foodvalley.example.org"
GI_LEADER = "tess.visser@jbgld.example.org"
RCP = "monique.peters@regio-foodvalley.example.org"


class Console:
    """A scripted console session: each line typed gets back its reply and every
    message the clock delivered meanwhile."""

    def __init__(self, kb: KetenBot, clock: MovableClock, lang: str) -> None:
        self.out = io.StringIO()
        self.session = ConsoleSession(kb, None, lang, self.out)
        self.session.attach_clock(clock)

    def __call__(self, line: str) -> str:
        before = self.out.tell()
        reply = self.session.handle(line)
        return self.out.getvalue()[before:] + reply

    def as_(self, email: str, line: str) -> str:
        self(f":als {email}")
        return self(line)


@pytest.fixture
def kb(sample_engine: Engine, db_url: str) -> Iterator[tuple[KetenBot, MovableClock]]:
    clock = MovableClock(DEMO_START)
    bot = KetenBot.start(Settings(database_url=db_url), clock=clock)
    yield bot, clock
    bot.engine.dispose()


def to_step6(say: Console) -> str:
    """KB-0001 in Ede through step 5B (the RET sees no help) into step 6."""
    say.as_(JB, "verwijs 301 Ede JB-2026-0042")
    say.as_(LT, "ontvangen KB-0001")
    say.as_(JB, f"volgende KB-0001 {PROVIDER}")
    say.as_(LT, "301 KB-0001")
    say.as_(PROVIDER_WORKER, "afwijzing KB-0001 geen plek binnen acht weken")
    say.as_(JB, "ret KB-0001")
    say(":klok 2026-11-26 10:00")
    say.as_(RET, "uitkomst KB-0001 nee")
    return say.as_(JB, "escaleer KB-0001")


def test_step_6_visibly_ends_after_the_talk_and_the_bestuurlijke_escalatie(
        kb: tuple[KetenBot, MovableClock]) -> None:
    say = Console(*kb, "nl")
    started = to_step6(say)
    assert "Aan zet: teamleider GI" in started and "`gesprek KB-0001`" in started
    # While the talk is to come, the region and the LT team leader are pointed
    # to the talk, never to a provider they cannot name.
    for who in (RCP, LT_LEADER):
        mine = say.as_(who, "mijn")
        assert "KB-0001" in mine and "gevonden" not in mine, mine

    talked = say.as_(GI_LEADER, "gesprek KB-0001")
    assert talked.startswith("Gesprek vastgelegd: KB-0001")
    assert "Aan zet: teamleider GI" not in talked and "`gesprek KB-0001`" not in talked
    assert "Wacht op: hulp (stap 6 besproken)" in talked
    assert "het gesprek van teamleider GI en regionale contactpersoon is vastgelegd" in talked
    assert "De zaak wacht nu tot er hulp is" in talked

    board = say.as_(RCP, "bestuurlijk KB-0001 wachtlijsten in de hele regio")
    assert board.startswith("Bestuurlijke escalatie vastgelegd: KB-0001")
    assert "Aan zet: teamleider GI" not in board
    assert "`gesprek KB-0001`" not in board and "`bestuurlijk KB-0001`" not in board
    assert "is vastgelegd en er is besloten tot bestuurlijke escalatie" in board
    assert "De zaak wacht nu tot er hulp is" in board

    # `mijn`: the region and both team leaders see what happened and that the
    # case waits for help; nobody but the JB is sent to `gevonden`.
    for who in (RCP, LT_LEADER, GI_LEADER):
        [row] = [line for line in say.as_(who, "mijn").splitlines() if "KB-0001" in line]
        assert "gevonden" not in row and "`gesprek" not in row and "aan zet" not in row, row
        assert "wacht op hulp" in row
        assert "gesprek gevoerd, bestuurlijke escalatie besloten" in row
    status = say.as_(GI_LEADER, "status KB-0001")
    assert "Aan zet" not in status and "Wacht op: hulp (stap 6 besproken)" in status

    # The week of step 6 is met: its end passes without a reminder or a lapse.
    now = say(":klok 2026-11-26 12:00")  # what the talk and the decision sent
    assert "bestuurlijke escalatie" in now
    later = say(":klok 2026-12-10 10:00")
    assert "KB-0001" not in later and "0 herinnering(en), 0 escalatie(s)" in later


def test_step_6_ends_in_english_too(kb: tuple[KetenBot, MovableClock]) -> None:
    say = Console(*kb, "en")
    assert "To act: GI team leader" in to_step6(say)
    talked = say.as_(GI_LEADER, "talked KB-0001")
    assert "To act: GI team leader" not in talked and "`talked KB-0001`" not in talked
    assert "Waiting for: help (step 6 talked through)" in talked
    board = say.as_(RCP, "board KB-0001 waiting lists in the whole region")
    assert "The case now waits for help" in board and "`board KB-0001`" not in board
    [row] = [line for line in say.as_(RCP, "mine").splitlines() if "KB-0001" in line]
    assert "`found" not in row and "talk held" in row, row


def test_a_lapsed_row_in_mijn_shows_the_terms_last_day(
        kb: tuple[KetenBot, MovableClock]) -> None:
    say = Console(*kb, "nl")
    started = say.as_(JB, "verwijs 301 Ede JB-2026-0042")
    assert "uiterlijk vr 27 nov 2026" in started  # the chat's last day of step 1
    say(":klok 2026-12-01 10:00")
    for who in (JB, LT_LEADER):
        [row] = [line for line in say.as_(who, "mijn").splitlines() if "KB-0001" in line]
        assert row.startswith("⚠ termijn verstreken op vr 27 nov 2026 · "), row
        assert "· ·" not in row
    say.as_(JB, "verwijs 301 Ede JB-2026-0043")  # on time: no warning, no empty field
    [row] = [line for line in say.as_(JB, "mijn").splitlines() if "KB-0002" in line]
    assert "⚠" not in row and "· ·" not in row
    en = Console(*kb, "en")
    [row] = [line for line in en.as_(JB, "mine").splitlines() if "KB-0001" in line]
    assert "27 Nov 2026" in row and "· ·" not in row, row


def test_an_escalation_model_line_names_the_referrals_thread(
        kb: tuple[KetenBot, MovableClock]) -> None:
    say = Console(*kb, "nl")
    say.as_(JB, "verwijs 301 Ede JB-2026-0042")
    say("escaleer KB-0001 dilemma")
    delivered = say(":klok 2026-11-24 10:00")
    assert "[draad KB-0001] KB-0001: Jeroen Bakker — escalatie volgens het escalatiemodel" \
        in delivered, delivered
    assert "[draad ]" not in delivered
    en = Console(*kb, "en")
    en.as_(JB, "refer 301 Ede JB-2026-0043")
    en("escalate KB-0002 dilemma")
    delivered = en(":klok 2026-11-24 11:00")
    assert "[thread KB-0002] KB-0002: Jeroen Bakker" in delivered, delivered
    assert "[thread ]" not in delivered


@pytest.mark.parametrize(("lang", "usage"), [("nl", "Gebruik: :als <e-mail>"),
                                              ("en", "Usage: :als <e-mail>")])
def test_als_without_an_address_gives_its_usage(kb: tuple[KetenBot, MovableClock],
                                                lang: str, usage: str) -> None:
    say = Console(*kb, lang)
    assert say(f":als {JB}").startswith("# ")
    assert say(":als") == usage
    assert say(":als   ") == usage
    # Still the same person afterwards.
    assert "Jeroen Bakker" in say("mijn" if lang == "nl" else "mine")


@pytest.fixture
def chat(db_url: str, sample_engine: Engine, clock: FakeClock) -> Chat:
    bot = KetenBot(settings=Settings(database_url=db_url, language="nl"), engine=sample_engine,
                   clock=clock)
    return Chat(bot, clock)


def test_reassigning_to_the_person_already_assigned_is_refused(chat: Chat) -> None:
    chat.ok(JB, "verwijs 301 Ede K-1")
    assert chat.referral().lt_id == chat.person(BRAM).id
    history = len(chat.events())
    text = chat.refused(CARLA, f"herverdeel KB-0001 {BRAM}", "already_assigned")
    assert text == ("Bram de Vries is al de lokaal-teammedewerker van KB-0001; "
                    "er is niets veranderd.")
    assert "Herverdeeld" not in text
    assert len(chat.events()) == history  # no history row
    en = chat.render(chat.do(CARLA, f"reassign KB-0001 {BRAM}", "en"), "en")
    assert "is already the" in en and "nothing changed" in en
    assert len(chat.events()) == history

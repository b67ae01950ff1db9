"""Property: arbitrary Unicode at every chat command, on SQLite and PostgreSQL.

Typed through the registry by linked people who are parties to an open
referral: no exception escapes, a refusal changes nothing at all, and a BSN,
however it is written and wherever it is put, is stored nowhere.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.app import KetenBot
from bot.config import Settings
from handlers.core import Reply
from handlers.registry import build_registry
from messages import Renderer
from storage.tables import Referral
from tests.conftest import FakeClock
from tests.hostile import NOISE, TYPED_TEXT, bsn_variants, find_stored, stored
from tests.test_referrals import BRAM, CARLA, JEROEN, SASKIA, TESS, WILGENHOF

WORDS = sorted({w for c in build_registry().commands for w in (c.name, *c.aliases)})
PEOPLE = [JEROEN, BRAM, CARLA, TESS, SASKIA]
DIRECTORY = ["region", "gemeente", "gemeente_key", "organisation", "team", "team_gemeente",
             "person"]


@dataclass(repr=False)  # a failing example prints briefly
class World:
    bot: KetenBot
    engine: Engine
    renderers: dict[str, Renderer] = field(default_factory=lambda: {
        p: Renderer(p) for p in ("text", "slack", "telegram")})
    started: int = 0

    def do(self, who: str, text: str) -> Reply:
        person = self.bot.person_by_email(who)
        return self.bot.registry.dispatch(self.bot.context("console", person, "nl"), text)

    def open_ref(self) -> str:
        """An open referral with a provider (so every party has a say); a new one
        when the examples before closed or withdrew the last."""
        with Session(self.engine) as s:
            ref = s.exec(select(Referral).where(Referral.status == "open")
                         .order_by(col(Referral.id).desc())).first()
            if ref is not None and ref.ref:
                return ref.ref
        self.started += 1
        reply = self.do(JEROEN, f"verwijs 301 Ede P-{self.started}")
        assert reply.ok, reply.data
        ref_text = str(reply.data["ref"])
        assert self.do(JEROEN, f"aanbieder {ref_text} {WILGENHOF}").ok
        return ref_text

    def mutable(self) -> dict[str, list[tuple[object, ...]]]:
        return {t: rows for t, rows in stored(self.engine).items() if t not in DIRECTORY}


@pytest.fixture
def world(db_url: str, sample_engine: Engine, clock: FakeClock) -> World:
    bot = KetenBot(settings=Settings(database_url=db_url, language="nl"), engine=sample_engine,
                   clock=clock)
    return World(bot, sample_engine)


ref_forms = st.sampled_from(["{ref}", "{ref}", "{ref}", "{num}", "KB-{num}", "", "KB-99999999",
                             "KB-{num}{num}", "301 Ede", "315 Barneveld"])
# Mostly what a user would type (a known command, short or no extra text, no BSN),
# often enough the worst: so both the paths that change things and those that
# refuse are taken.
words = st.one_of(st.sampled_from(WORDS), st.sampled_from(WORDS), st.sampled_from(WORDS), NOISE)
extra = st.one_of(st.just(""), st.just(""), TYPED_TEXT, NOISE)
maybe_bsn = st.one_of(st.none(), st.none(), st.none(), bsn_variants())


@given(word=words, ref=ref_forms, who=st.sampled_from(PEOPLE), before=extra, after=extra,
       bsn=maybe_bsn, glue=st.sampled_from([" ", " ", "\t", "\u00a0", "\n", "  "]))
def test_any_text_at_any_command(world: World, word: str, ref: str, who: str, before: str,
                                 after: str, bsn: tuple[str, str] | None, glue: str) -> None:
    ref_text = world.open_ref()
    ref = ref.format(ref=ref_text, num=ref_text.removeprefix("KB-"))
    middle = f" x{glue}{bsn[1]}{glue}" if bsn else " "  # "x": no "+31" just before it
    text = f"{word}{glue}{ref}{glue}{before}{middle}{after}"
    state = world.mutable()
    directory = stored(world.engine, DIRECTORY)

    reply = world.do(who, text)  # nothing may escape

    assert isinstance(reply, Reply)
    event("done" if reply.ok else f"refused: {reply.data.get('code')}")
    for renderer in world.renderers.values():  # every reply renders on every platform
        renderer.render(reply, "nl")
        renderer.render(reply, "en")
    if not reply.ok:
        assert world.mutable() == state, f"{text!r} was refused but changed something"
    if bsn is not None:
        # Refused as a BSN, or before that as text that is no text.
        assert not reply.ok and reply.data["code"] in ("bsn", "text_unreadable"), \
            (text, reply.data)
        assert find_stored(world.engine, bsn[0]) == []
    assert stored(world.engine, DIRECTORY) == directory  # commands never edit the directory


@given(line=st.one_of(NOISE, st.builds(lambda w, t: f"{w} {t}",
                                       st.sampled_from([":als", ":via", "koppel", "link",
                                                        *WORDS]), NOISE)),
       who=st.sampled_from(PEOPLE))
def test_any_text_at_the_transports_own_paths(world: World, line: str, who: str) -> None:
    """The console's meta commands and Slack's linking run before the registry:
    they get the same normalisation, and nothing escapes them either."""
    from bot.console import ConsoleSession
    from bot.slack.runtime import SlackRuntime

    person = world.bot.person_by_email(who)
    console = ConsoleSession(world.bot, person, None, io.StringIO())
    assert isinstance(console.handle(line), str)
    reply, lang = SlackRuntime(world.bot).dispatch(person, "UHYPOTHESIS", line)
    assert isinstance(reply, Reply) and lang in ("nl", "en")
    world.renderers["slack"].render(reply, lang)

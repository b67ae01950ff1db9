"""The console session and the `ketenbot console` / `ketenbot demo` commands."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, make_url, text
from typer.testing import CliRunner, Result

import bot.app
from bot.app import KetenBot
from bot.cli.main import app
from bot.config import Settings
from bot.console import ConsoleSession
from handlers.commands import Command
from handlers.core import Context, Reply
from handlers.registry import build_registry
from storage.db import make_engine
from tests.conftest import FakeClock

JEROEN = "jeroen.bakker@jbgld.example.org"
runner = CliRunner()


@pytest.fixture
def fixed_clock(monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> FakeClock:
    """The command line's 'now' is the test clock (24 Nov 2026)."""
    monkeypatch.setattr(bot.app, "system_clock", lambda tz: clock)
    return clock


@pytest.fixture
def sample_cli(env_db: str, sample_engine: Engine, fixed_clock: FakeClock) -> str:
    return env_db


def console(*args: str, input: str) -> Result:
    return runner.invoke(app, ["console", *args], input=input)


def test_wie_ede_puts_the_koppelgenoot_first(sample_cli: str) -> None:
    result = console("--as", JEROEN, input="wie Ede\n")

    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("Ede (GM0228) — jeugdhulpregio Food Valley")
    assert out.index("Bram de Vries") < out.index("Anouk Jansen")
    assert "Anouk Jansen — AFWEZIG t/m vr 15 jan 2027" in out
    assert "teamleider: Carla Smit" in out
    assert "Let op" not in result.output  # Jeroen is in the directory
    assert "Traceback" not in result.output


def test_several_lines_each_get_an_answer(sample_cli: str) -> None:
    result = console("--as", JEROEN, input="wie Ede lt\n\nwie Arnhm\nhelp\n")
    assert result.exit_code == 0
    out = result.stdout
    assert "Sociaal Team Ede" in out
    assert 'Gemeente "Arnhm" ken ik niet. Bedoelde u: Arnhem' in out
    assert "wie <gemeente> [rol]" in out
    assert out.index("Sociaal Team Ede") < out.index("Arnhm") < out.index("Commando's:")


def test_english(sample_cli: str) -> None:
    result = console("--as", JEROEN, "--lang", "en", input="wie Ede\nhelp\nfoo\n")
    assert result.exit_code == 0
    out = result.stdout
    assert "Ede (GM0228) — youth-care region Food Valley" in out
    assert "Anouk Jansen — ABSENT until Fri 15 Jan 2027" in out
    assert "team leader: Carla Smit" in out
    assert "who to call in a municipality" in out
    assert 'Unknown command "foo"' in out
    assert "AFWEZIG" not in out and "Onbekend" not in out


def test_english_console_lines(sample_cli: str) -> None:
    result = console("--as", JEROEN, "--lang", "en",
                     input=f":als {JEROEN}\n:via telegram\n:klok 2000-01-01\n")
    assert f"# you are now Jeroen Bakker ({JEROEN})" in result.stdout
    assert "# you now type via telegram" in result.stdout
    assert "The clock only moves forward." in result.stdout
    assert "u bent nu" not in result.stdout


def test_bad_language_is_refused(sample_cli: str) -> None:
    result = console("--as", JEROEN, "--lang", "fr", input="wie Ede\n")
    assert result.exit_code == 2
    assert "'fr' is not one of 'nl', 'en'" in result.output
    assert "Ede (GM0228)" not in result.output


def test_unknown_person_may_look_up_and_ask_help_only(sample_cli: str) -> None:
    linked_only = [c.name for c in build_registry().commands if c.needs_person]
    assert linked_only, "no command needs a linked person: nothing to refuse"
    lines = ["wie Ede", "help", *(f"{name} x" for name in linked_only)]

    result = console("--as", "nobody@example.org", input="\n".join(lines) + "\n")

    assert result.exit_code == 0
    assert "nobody@example.org staat niet in de contactenlijst" in result.stderr
    assert "Ede (GM0228)" in result.stdout
    assert "Commando's:" in result.stdout
    refusal = "U bent nog niet gekoppeld aan een persoon in de contactenlijst."
    assert result.stdout.count(refusal) == len(linked_only)


def test_unknown_command_is_answered_clearly(sample_cli: str) -> None:
    result = console("--as", JEROEN, input="bel Ede\n")
    assert result.exit_code == 0
    assert 'Onbekend commando "bel". Typ `help`' in result.stdout


def test_unknown_gemeente_without_traceback(sample_cli: str) -> None:
    result = console("--as", JEROEN, input="wie 's-Hertogenbosch\n")
    assert result.exit_code == 0
    assert 'Gemeente "\'s-Hertogenbosch" ken ik niet.' in result.stdout
    assert "Traceback" not in result.output and result.exception is None


def test_bsn_line_is_refused_with_the_reason(sample_cli: str) -> None:
    result = console("--as", JEROEN, input="wie Ede 111222333\n")
    assert result.exit_code == 0
    assert "lijkt een BSN te bevatten" in result.stdout
    assert "niet verwerkt en niet bewaard" in result.stdout
    assert "111222333" not in result.stdout
    assert "Ede (GM0228)" not in result.stdout


@pytest.fixture
def empty_db_url(db_url: str, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A database of the same kind as db_url, without any schema."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    eng = make_engine(db_url)
    with eng.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS ketenbot_empty CASCADE"))
        conn.execute(text("CREATE SCHEMA ketenbot_empty"))
    url = make_url(db_url).update_query_dict({"options": "-csearch_path=ketenbot_empty"})
    yield url.render_as_string(hide_password=False)
    with eng.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS ketenbot_empty CASCADE"))
    eng.dispose()


def test_unmigrated_database_is_refused(env_db: str, empty_db_url: str,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", empty_db_url)
    result = console("--as", JEROEN, input="wie Ede\n")
    assert result.exit_code != 0
    assert "ketenbot db upgrade" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)

    # After the upgrade the same database works.
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    again = console("--as", JEROEN, input="wie Ede\n")
    assert again.exit_code == 0
    assert 'Gemeente "Ede" ken ik niet' in again.stdout  # empty directory, but it runs


# --- the session itself ---------------------------------------------------------------


@pytest.fixture
def ketenbot(sample_engine: Engine, db_url: str, clock: FakeClock) -> Iterator[KetenBot]:
    kb = KetenBot.start(Settings(database_url=db_url), clock=clock)
    yield kb
    kb.engine.dispose()


def test_commands_for_linked_people_are_refused_to_strangers(ketenbot: KetenBot) -> None:
    calls: list[str] = []

    def mine(ctx: Context, rest: str) -> Reply:
        calls.append(rest)
        return Reply("help", {"commands": []})

    ketenbot.registry.add(Command("proefje", mine, "proefje", "proef", "test"))
    stranger = ConsoleSession(ketenbot, None, None, io.StringIO())
    assert "niet gekoppeld aan een persoon" in stranger.handle("proefje zaken")
    assert "Ede (GM0228)" in stranger.handle("wie Ede")
    assert calls == []

    jeroen = ketenbot.person_by_email(JEROEN)
    assert jeroen is not None
    ConsoleSession(ketenbot, jeroen, None, io.StringIO()).handle("proefje zaken")
    assert calls == ["zaken"]


def test_session_reads_lines_until_end_of_input(ketenbot: KetenBot) -> None:
    out = io.StringIO()
    ConsoleSession(ketenbot, None, "nl", out).run(io.StringIO("wie Ede lt\n\n/WIE gm0228 gi\n"),
                                                   echo=True)
    text_ = out.getvalue()
    assert "> wie Ede lt\n" in text_ and "> /WIE gm0228 gi\n" in text_
    assert text_.count("Ede (GM0228)") == 2
    assert "ketenbot console" not in text_  # no banner or prompt when not a terminal


def test_language_of_the_person_is_used(ketenbot: KetenBot) -> None:
    jeroen = ketenbot.person_by_email(JEROEN)
    assert jeroen is not None
    jeroen.language = "en"
    assert "youth-care region" in ConsoleSession(ketenbot, jeroen, None,
                                                 io.StringIO()).handle("wie Ede")
    # An explicit --lang wins over the person's preference.
    assert "jeugdhulpregio" in ConsoleSession(ketenbot, jeroen, "nl",
                                              io.StringIO()).handle("wie Ede")


# --- demo ----------------------------------------------------------------------------


def test_demo_runs_the_lookups(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "U bent Jeroen Bakker" in out
    for line in ("> wie Ede", "> wie Arnhm", "> wie GM0268 gi", "> wie 's-Hertogenbosch"):
        assert line in out
    assert out.index("Bram de Vries") < out.index("Anouk Jansen — AFWEZIG")
    assert "Bedoelde u: Arnhem?" in out
    assert "Nijmegen (GM0268)" in out
    assert 'Gemeente "\'s-Hertogenbosch" ken ik niet.' in out
    assert "Traceback" not in out


def test_demo_in_english(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["demo", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "Anouk Jansen — ABSENT until" in result.stdout
    assert "Did you mean: Arnhem?" in result.stdout


def test_unknown_person_is_told_in_english_with_lang_en(sample_cli: str) -> None:
    result = console("--as", "nobody@example.org", "--lang", "en", input="help\n")

    assert result.exit_code == 0
    assert "nobody@example.org is not in the contact directory" in result.stderr
    assert "contactenlijst" not in result.stderr

"""Every command answers a wrong call with one readable line and status 2.

The table below must name every command the CLI has (a new command without an
entry fails `test_the_table_covers_every_command`); each is called with a bad
argument, a bad path and a bad setting through `bot.cli.main.run`, the function the
installed `ketenbot` script runs.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
import typer

from bot.cli.main import app, run

NOWHERE = "/nonexistent/ketenbot"

# command path -> (bad argument, bad path): each a full argv.
CASES: dict[str, tuple[list[str], list[str]]] = {
    "db upgrade": (["db", "upgrade", "extra"], []),
    "db downgrade": (["db", "downgrade", "zz"], []),
    "db current": (["db", "current", "--bogus"], []),
    "db history": (["db", "history", "extra"], []),
    "db check": (["db", "check", "extra"], []),
    "directory import": (["directory", "import"],
                         ["directory", "import", f"{NOWHERE}/gelderland.yaml"]),
    "directory export": (["directory", "export", "--format", "x"],
                         ["directory", "export", "-o", f"{NOWHERE}/out.yaml"]),
    "directory check": (["directory", "check", "--days", "0"], []),
    "directory history": (["directory", "history", "--limit", "0"], []),
    "escalation export": (["escalation", "export", "--format", "xml"], []),
    "retention run": (["retention", "run", "--dry-run", "extra"], []),
    "report lead-times": (["report", "lead-times", "--from", "2026-13-01"], []),
    "calendar add": (["calendar", "add", "2026-13-01", "3"], []),
    "calendar holidays": (["calendar", "holidays", "twintig"], []),
    "referral show": (["referral", "show", "nummer-1"], []),
    "referral export": (["referral", "export", "--format", "xml"], []),
    "telegram poll": (["telegram", "poll", "extra"], []),
    "telegram set-webhook": (["telegram", "set-webhook", "geen-url"], []),
    "telegram delete-webhook": (["telegram", "delete-webhook", "extra"], []),
    "teams manifest": (["teams", "manifest", "--app-id", "geen-guid", "--host", "x.example.org"],
                       ["teams", "manifest", "--app-id", "00000000-0000-4000-8000-000000000001",
                        "--host", "ketenbot.example.org", "-o", f"{NOWHERE}/teams.zip"]),
    "config check": (["config", "check", "--all"], []),
    "serve": (["serve", "--port", "80"], []),
    "worker": (["worker", "--once=misschien"], []),
    "console": (["console", "--as", "a@example.org", "--lang", "fr"], []),
    "link-code": (["link-code"], []),
    "unlink": (["unlink", "a@example.org", "--platform", "fax"], []),
    "demo": (["demo", "--lang", "fr"], []),
}


def _leaves(cmd: click.Command, prefix: str = "") -> list[str]:
    sub = getattr(cmd, "commands", None)
    if not sub:
        return [prefix.strip()]
    return [leaf for name, c in sub.items() for leaf in _leaves(c, f"{prefix} {name}")]


@pytest.fixture
def cli_env(sqlite_templates: dict[str, Path], tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    target = tmp_path / "ketenbot.sqlite"
    shutil.copyfile(sqlite_templates["sample"], target)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{target}")
    monkeypatch.setenv("KETENBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KETENBOT_TELEGRAM_BOT_TOKEN", "123456:abc")
    monkeypatch.setenv("KETENBOT_TELEGRAM_WEBHOOK_SECRET", "geheim")
    monkeypatch.chdir(tmp_path)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:], root.level = handlers, level


def _one_line_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    code = run(argv)
    out = capsys.readouterr()
    lines = [line for line in out.err.splitlines() if line.strip()]
    assert code == 2, (argv, out.out, out.err)
    assert len(lines) == 1, (argv, out.err)
    assert "Traceback" not in out.err + out.out
    return lines[0]


def test_the_table_covers_every_command() -> None:
    assert sorted(_leaves(typer.main.get_command(app))) == sorted(CASES)


@pytest.mark.parametrize("command", sorted(CASES))
def test_bad_argument(command: str, cli_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    _one_line_2(CASES[command][0], capsys)


@pytest.mark.parametrize("command", sorted(CASES))
def test_bad_path(command: str, cli_env: None, capsys: pytest.CaptureFixture[str],
                  monkeypatch: pytest.MonkeyPatch) -> None:
    argv = CASES[command][1]
    if not argv:  # no path argument: the path it reads from the settings
        monkeypatch.setenv("KETENBOT_ROUTES_FILE", f"{NOWHERE}/routes.yaml")
        argv = command.split()
    line = _one_line_2(argv, capsys)
    assert NOWHERE.split("/")[1] in line


@pytest.mark.parametrize("command", sorted(CASES))
def test_bad_setting(command: str, cli_env: None, capsys: pytest.CaptureFixture[str],
                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KETENBOT_SWEEP_INTERVAL_SECONDS", "halve minuut")
    line = _one_line_2(command.split(), capsys)
    assert "KETENBOT_SWEEP_INTERVAL_SECONDS" in line and "halve minuut" in line


def test_several_bad_settings_one_line_each(cli_env: None, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KETENBOT_LANGUAGE", "fr")
    monkeypatch.setenv("PORT", "99999")
    monkeypatch.setenv("KETENBOT_SLACK_BOT_TOKEN", "xoxb-visible?")
    monkeypatch.setenv("DATABASE_URL", "niet een url")
    assert run(["config", "check"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3
    named = [e.split(" ")[5].rstrip(":") for e in err]
    assert named == ["DATABASE_URL", "KETENBOT_LANGUAGE", "PORT"]
    assert "niet een url" not in "\n".join(err)  # a URL may hold a password: not echoed


def test_help_still_works_with_a_bad_setting(cli_env: None, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KETENBOT_LANGUAGE", "fr")
    assert run(["db", "--help"]) == 0
    assert "upgrade" in capsys.readouterr().out

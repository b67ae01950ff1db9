"""Operating ketenbot: `db` commands on both databases, `config check`, the
calendar's closed days, and waiting for a database that is not up yet."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import typer
from typer.testing import CliRunner, Result

from bot.cli.main import app
from bot.config import Settings
from bot.startup import start_bot
from storage import db

runner = CliRunner()


def ketenbot(*args: str) -> Result:
    return runner.invoke(app, list(args))


def test_migration_round_trip(env_db: str) -> None:
    head = db.head_revision()
    assert head is not None
    current = ketenbot("db", "current")
    assert current.exit_code == 0 and current.stdout.strip() == f"{head} (actueel)"

    history = ketenbot("db", "history").stdout.splitlines()
    assert history[0].endswith(f"-> {head}  {history[0].split('  ', 1)[1]}")
    assert history[-1].startswith("base -> 0001")

    one_back = ketenbot("db", "downgrade", "-1")
    assert one_back.exit_code == 0, one_back.output
    behind = ketenbot("db", "current")
    assert behind.exit_code == 1 and "achter, de code verwacht" in behind.stdout
    # Every other command refuses the old schema and says what to do.
    refused = ketenbot("directory", "export")
    assert refused.exit_code == 1 and "ketenbot db upgrade" in refused.stderr

    assert ketenbot("db", "downgrade", "base").exit_code == 0
    assert ketenbot("db", "current").stdout.startswith("leeg")
    assert ketenbot("db", "upgrade").exit_code == 0
    assert ketenbot("db", "current").stdout.strip() == f"{head} (actueel)"


def test_config_check_masks_secrets_and_names_what_is_missing(
        env_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://ketenbot:Pw-Zeer-Geheim@db.example.org/kb")
    monkeypatch.setenv("KETENBOT_SLACK_BOT_TOKEN", "xoxb-SLACK-TOKEN-VALUE")
    monkeypatch.setenv("KETENBOT_TELEGRAM_BOT_TOKEN", "999:TELEGRAM-TOKEN-VALUE")
    result = ketenbot("config", "check")
    assert result.exit_code == 0, result.output
    out = result.stdout
    for secret in ("Pw-Zeer-Geheim", "SLACK-TOKEN-VALUE", "TELEGRAM-TOKEN-VALUE"):
        assert secret not in out
    assert "postgresql+psycopg://ketenbot:***@db.example.org/kb" in out
    assert "Slack: uit / off — ontbreekt / missing: KETENBOT_SLACK_SIGNING_SECRET" in out
    assert "Telegram: aan / on — polling" in out

    monkeypatch.setenv("KETENBOT_TELEGRAM_WEBHOOK_SECRET", "whsec")
    monkeypatch.setenv("KETENBOT_SLACK_SIGNING_SECRET", "signing")
    out = ketenbot("config", "check").stdout
    assert "Telegram: aan / on — webhook" in out and "Slack: aan / on — HTTP" in out


def test_calendar_uses_the_configured_closed_days(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: object) -> None:
    monkeypatch.chdir(str(tmp_path))
    assert ketenbot("calendar", "add", "2026-12-22", "1").stdout.strip() == "2026-12-23"
    monkeypatch.setenv("KETENBOT_CLOSED_DAYS", '["2026-12-23", "2026-12-24"]')
    assert ketenbot("calendar", "add", "2026-12-22", "1").stdout.strip() == "2026-12-28"
    holidays = ketenbot("calendar", "holidays", "2026").stdout
    assert "2026-12-24  do  eigen sluitingsdag" in holidays.replace("Thu", "do")


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def log_lines(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.INFO, logger="ketenbot")
    yield caplog


def test_an_unreachable_database_is_retried_then_given_up(
        log_lines: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]) -> None:
    # Port 9 (discard) on localhost: nothing listens, the connection is refused.
    settings = Settings(_env_file=None,  # type: ignore[call-arg]
                        database_url="postgresql://kb:Zeer-Geheim-Wachtwoord@127.0.0.1:9/kb",
                        db_wait_seconds=20)
    fake = FakeTime()
    with pytest.raises(typer.Exit) as stopped:
        start_bot(settings, wait=True, sleep=fake.sleep, monotonic=fake.monotonic)
    assert stopped.value.exit_code == 1
    # Backoff 1, 2, 4, 8 s, then what is left of the 20 s.
    assert fake.sleeps == [1, 2, 4, 8, 5]
    attempts = [vars(r) for r in log_lines.records
                if r.getMessage() == "database unreachable, retrying"]
    assert [a["attempt"] for a in attempts] == [1, 2, 3, 4, 5]
    assert all(a["url"] == "postgresql+psycopg://kb:***@127.0.0.1:9/kb" for a in attempts)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "gave up after 6 attempt(s)" in err
    assert "Zeer-Geheim-Wachtwoord" not in err + "".join(map(str, attempts))


def test_without_waiting_the_first_failure_stops(capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings(_env_file=None,  # type: ignore[call-arg]
                        database_url="postgresql://kb:pw@127.0.0.1:9/kb")
    fake = FakeTime()
    with pytest.raises(typer.Exit):
        start_bot(settings, sleep=fake.sleep, monotonic=fake.monotonic)
    assert fake.sleeps == []
    assert "gave up after 1 attempt(s)" in capsys.readouterr().err


def test_a_command_on_an_unreachable_database_says_so_in_one_line(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        tmp_path: object) -> None:
    from bot.cli.main import run

    monkeypatch.chdir(str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "postgresql://kb:Heel-Geheim-42@127.0.0.1:9/kb")
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        assert run(["db", "upgrade"]) == 1
    finally:
        root.handlers[:], root.level = handlers, level
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "kb:***@127.0.0.1:9/kb" in err and "Heel-Geheim-42" not in err

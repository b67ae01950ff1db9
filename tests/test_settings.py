"""One settings model: every setting, the overview's KETENBOT_WEB_* among them,
is checked at start and a wrong value is one line naming its variable, status 2.

The table must name every field of `Settings` (a new setting without a bad
value here fails `test_the_table_covers_every_setting`).
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.cli.main import run
from bot.config import SECRET_FIELDS, Settings, env_name, mask_url

# field -> a value its environment variable must refuse.
BAD: dict[str, str] = {
    "data_dir": "{file}",  # an existing file, not a directory
    "database_url": "niet een url",
    "language": "fr",
    "timezone": "Europe/Ede",
    "stale_after_days": "0",
    "working_hours_start": "half negen",
    "working_hours_end": "25:00",
    "closed_days": '["2026-13-01"]',
    "routes_file": "/nonexistent/routes.yaml",
    "sweep_interval_seconds": "halve minuut",
    "dispatch_interval_seconds": "-1",
    "log_level": "LOUD",
    "log_format": "xml",
    "db_wait_seconds": "lang",
    "ready_max_outbox_age_seconds": "0",
    "worker_metrics_port": "99999",
    "host": "local host",
    "port": "tachtig",
    "slack_bot_token": "xoxp-a-user-token",
    "slack_signing_secret": "'quoted'",
    "slack_app_token": "xoxb-not-an-app-token",
    "slack_api_url": "slack.com/api",
    "telegram_bot_token": "not-a-token",
    "telegram_webhook_secret": "met spatie",
    "telegram_api_url": "api.telegram.org",
    "teams_app_id": "ketenbot",
    "teams_app_password": "met spatie",
    "teams_tenant_ids": "gemeente-ede",
    "teams_app_tenant_id": "jbgld",
    "teams_openid_url": "login.botframework.com",
    "teams_issuers": "api.botframework.com",
    "teams_service_host_check": "misschien",
    "teams_service_url": "smba.trafficmanager.net/emea/",
    "web_base_url": "ketenbot.example.org",
    "web_secret": "te-kort",
    "web_secure_cookie": "misschien",
    "web_session_hours": "abc",
    "outbox_keep_days": "-1",
    "retention_days": "een jaar",
}


@pytest.fixture
def cli_env(sqlite_templates: dict[str, Path], tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    target = tmp_path / "ketenbot.sqlite"
    shutil.copyfile(sqlite_templates["sample"], target)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{target}")
    monkeypatch.chdir(tmp_path)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield tmp_path
    root.handlers[:], root.level = handlers, level


def test_the_table_covers_every_setting() -> None:
    assert sorted(BAD) == sorted(Settings.model_fields)


@pytest.mark.parametrize("field", sorted(BAD))
def test_a_bad_setting_is_one_line_naming_it(field: str, cli_env: Path,
                                             monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    value = BAD[field]
    if value == "{file}":
        (cli_env / "a-file").write_text("")
        value = str(cli_env / "a-file")
    monkeypatch.setenv(env_name(field), value)
    assert run(["config", "check"]) == 2
    out = capsys.readouterr()
    lines = [line for line in out.err.splitlines() if line.strip()]
    assert len(lines) == 1, out.err
    assert env_name(field) in lines[0] and "Traceback" not in out.err + out.out
    if field in SECRET_FIELDS and value:
        assert value not in lines[0]  # a secret is never echoed, not even a wrong one


def test_serve_with_a_bad_session_length_says_so(cli_env: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    # The report that started this: a 92-line traceback and status 1.
    monkeypatch.setenv("KETENBOT_WEB_SESSION_HOURS", "abc")
    assert run(["serve"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "KETENBOT_WEB_SESSION_HOURS" in err[0]


def test_config_check_shows_the_web_settings_with_the_secret_masked(
        cli_env: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    secret = "S" * 40
    monkeypatch.setenv("KETENBOT_WEB_SECRET", secret)
    monkeypatch.setenv("KETENBOT_WEB_BASE_URL", "https://keten.example.org/")
    monkeypatch.setenv("KETENBOT_WEB_SESSION_HOURS", "4")
    assert run(["config", "check"]) == 0
    out = capsys.readouterr().out
    assert secret not in out
    shown = {line.split()[0]: line.split(None, 1)[1] for line in out.splitlines()
             if line.startswith("KETENBOT_WEB_")}
    assert shown["KETENBOT_WEB_BASE_URL"] == "https://keten.example.org"
    assert shown["KETENBOT_WEB_SESSION_HOURS"] == "4"
    assert "verborgen" in shown["KETENBOT_WEB_SECRET"]


def test_secrets_are_secret_str_and_handed_down_revealed() -> None:
    s = Settings(_env_file=None, web_secret="w" * 32,  # type: ignore[call-arg]
                 telegram_bot_token="1:abc")
    assert isinstance(s.web_secret, SecretStr) and "w" * 32 not in repr(s)
    assert s.web().secret == "w" * 32 and s.reveal("telegram_bot_token") == "1:abc"
    assert set(s.secrets()) == {"w" * 32, "1:abc"}


@pytest.mark.parametrize("url", [
    "postgresql://kb:Geheim-1@db/kb",
    "postgresql://kb@db/kb?password=Geheim-1",
    "postgresql://kb@db/kb?sslmode=require&PASSWORD=Geheim-1",
    "postgres://kb:Geheim-1@db/kb?password=Geheim-1",
])
def test_a_database_password_is_masked_wherever_it_is_in_the_url(url: str) -> None:
    s = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    assert "Geheim-1" not in mask_url(s.db_url()) and "***" in mask_url(s.db_url())
    assert "Geheim-1" in s.secrets()  # so the log filter hides it too


def test_config_check_masks_a_password_in_the_query(
        cli_env: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://kb@db.example.org/kb?password=Pw-In-Query")
    assert run(["config", "check"]) == 0
    out = capsys.readouterr().out
    assert "Pw-In-Query" not in out and "password=***" in out

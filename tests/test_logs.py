"""The log under attack: a crash, libraries at DEBUG, sign-in links, and the
command line's own misuse and version."""

from __future__ import annotations

import io
import json
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli.main import app, run
from bot.logs import QUIET, setup_logging

PASSWORD = "Crash-Geheim-77"
WEB_SECRET = "W" * 16 + "websecretvalue-0123456789"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = list(root.handlers), root.level, {n: logging.getLogger(n).level for n in QUIET}
    yield
    root.handlers[:], root.level = saved[0], saved[1]
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


@pytest.fixture
def cli_env(sqlite_templates: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
            restore_logging: None) -> Path:
    target = tmp_path / "ketenbot.sqlite"
    shutil.copyfile(sqlite_templates["sample"], target)
    # The password is in the URL's query: libpq reads it from there too.
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{target}?password={PASSWORD}")
    monkeypatch.setenv("KETENBOT_WEB_SECRET", WEB_SECRET)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_an_injected_crash_is_one_json_record_with_the_traceback_masked(
        cli_env: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import storage.db

    def crash(url: str) -> None:
        raise RuntimeError(f"boom with {url} and {WEB_SECRET}")

    monkeypatch.setattr(storage.db, "upgrade", crash)
    monkeypatch.setenv("KETENBOT_LOG_FORMAT", "json")
    assert run(["db", "upgrade"]) == 1
    out = capsys.readouterr()
    lines = out.err.strip().splitlines()
    assert len(lines) == 1, out.err  # no rich box, no bare traceback beside it
    record = json.loads(lines[0])
    assert record["level"] == "ERROR" and record["command"] == "db upgrade"
    assert "RuntimeError: boom with" in record["exception"]
    assert "Traceback (most recent call last)" in record["exception"]
    assert PASSWORD not in out.err + out.out and WEB_SECRET not in out.err + out.out


def _debug_everything(stream: io.StringIO) -> None:
    setup_logging("DEBUG", "text", [WEB_SECRET], stream)
    for name in QUIET:  # as if a library turned itself up
        logging.getLogger(name).setLevel(logging.DEBUG)


def test_libraries_at_debug_never_write_message_text(restore_logging: None) -> None:
    stream = io.StringIO()
    _debug_everything(stream)
    text = "gezin Jansen, geboren 12-03-2015"
    # What slack_sdk and bolt write at DEBUG and WARNING: whole bodies.
    logging.getLogger("slack_sdk.web.ketenbot").debug(
        f"Sending a request - url: https://slack.com/api/chat.postMessage, "
        f"json_body: {{'text': '{text}'}}")
    logging.getLogger("slack_bolt.ketenbot").warning(
        f"Unhandled request ({{'type': 'event_callback', 'event': {{'text': '{text}'}}}})")
    logging.getLogger("telegram.ext.Application").debug(f"Processing update {{'text': '{text}'}}")
    logging.getLogger("uvicorn.error").info("Uvicorn running on http://127.0.0.1:8000")
    logged = stream.getvalue()
    assert text not in logged and "Jansen" not in logged
    assert "Unhandled request ({…})" in logged  # the line stays, without its body
    assert "Uvicorn running" in logged  # libraries' INFO lines still come through
    assert "Sending a request" not in logged  # DEBUG from a library: dropped


def test_sign_in_links_and_link_codes_are_never_logged(restore_logging: None) -> None:
    stream = io.StringIO()
    _debug_everything(stream)
    token = "Zk3p9QxRw7LmN2vB8cT4yU6iO1aS5dF0gH"
    logging.getLogger("ketenbot.web").debug(
        "rendered https://keten.example.org/overzicht/login/%s", token)
    logging.getLogger("httpx").info(f'HTTP Request: GET https://t.me/ketenbot?start=ABCD1234 '
                                    f'"HTTP/1.1 200 OK" {WEB_SECRET}')
    logged = stream.getvalue()
    assert token not in logged and "/overzicht/login/***" in logged
    assert "ABCD1234" not in logged and WEB_SECRET not in logged


def test_fields_are_key_value_in_text(restore_logging: None) -> None:
    stream = io.StringIO()
    setup_logging("INFO", "text", [], stream)
    logging.getLogger("ketenbot.worker").info("worker started", extra={
        "sweep_every_s": 30.0, "platforms": "slack,telegram", "note": "two words"})
    line = stream.getvalue().strip()
    assert line.endswith('ketenbot.worker: worker started sweep_every_s=30.0 '
                         'platforms=slack,telegram note="two words"')


def test_version(capsys: pytest.CaptureFixture[str], restore_logging: None,
                 monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib.metadata import version

    monkeypatch.setenv("KETENBOT_LANGUAGE", "fr")  # a bad setting does not stop --version
    assert run(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"ketenbot {version('ketenbot')}"


@pytest.mark.parametrize(("argv", "choices"), [
    (["report", "lead-times"], "table|csv|json"),
    (["referral", "export"], "csv|json"),
    (["escalation", "export"], "csv|json"),
    (["directory", "import"], "file|chat"),
    (["demo"], "nl|en"),
    (["console"], "nl|en"),
])
def test_option_choices_are_listed_in_help_and_refused_otherwise(
        argv: list[str], choices: str, capsys: pytest.CaptureFixture[str],
        restore_logging: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    monkeypatch.setenv("COLUMNS", "200")
    helped = CliRunner().invoke(app, [*argv, "--help"])
    assert helped.exit_code == 0 and f"<{choices}>" in helped.output.replace(" ", "")
    option = "--prefer" if argv[0] == "directory" else "--lang" if argv[0] in (
        "demo", "console") else "--format"
    extra = ["x.yaml"] if argv[0] == "directory" else ["--as", "a@b.c"] if argv[0] == "console" \
        else []
    assert run([*argv, *extra, option, "xml"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'xml' is not one of" in err[0]

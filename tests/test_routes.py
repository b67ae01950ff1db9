"""routes.yaml is data a region edits: a broken file stops the bot with every
error and where it is, never with a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from handlers.routes import ROUTES_FILE, RoutesError, load_routes


def broken(tmp_path: Path, old: str, new: str) -> Path:
    text = ROUTES_FILE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "routes.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_the_shipped_routes_follow_bouwsteen_5() -> None:
    routes = load_routes()
    r301, r315 = routes.route("301"), routes.route("315")
    assert [s.number for s in r301.steps] == ["1", "2-3", "4", "4", "5", "6"]
    assert r301.steps[0].term.amount == 3 and r315.steps[0].term.amount == 5
    # No contact in time: the regional contact person, not the RET.
    assert "regionale_contactpersoon" in r301.steps[0].escalate[0].to
    assert r301.step("alternatief").term.unit == "weken"
    assert r301.after(r301.step("start")) is None  # care started: done


@pytest.mark.parametrize(("old", "new", "says"), [
    ("actor: lokaal_team", "actor: buurman", "actor"),
    ('term: "3"', 'term: "drie"', "term"),
    ("on_afwijzing: alternatief", "on_afwijzing: nergens", "unknown step 'nergens'"),
    ("action: ontvangen", "action: gelezen", "action"),
])
def test_a_broken_routes_file_names_the_problem(tmp_path: Path, old: str, new: str,
                                                says: str) -> None:
    with pytest.raises(RoutesError) as exc:
        load_routes(broken(tmp_path, old, new))
    assert says in str(exc.value)
    assert "routes.yaml" in str(exc.value)


def test_a_missing_or_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(RoutesError, match="bestaat niet"):
        load_routes(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("routes: [unclosed", encoding="utf-8")
    with pytest.raises(RoutesError, match="geen geldige YAML"):
        load_routes(bad)


def test_the_bot_refuses_to_start_on_a_broken_routes_file(
        env_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KETENBOT_ROUTES_FILE", str(broken(tmp_path, "actor: lokaal_team",
                                                           "actor: buurman")))
    result = CliRunner().invoke(app, ["worker", "--once"])
    assert result.exit_code == 2  # a broken routes file is a bad setting
    assert "fout(en)" in result.output and "actor" in result.output
    assert "Traceback" not in result.output

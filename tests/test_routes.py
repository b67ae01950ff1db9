"""routes.yaml is data a region edits: a broken file stops the bot with every
error and where it is, never with a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from scheduling.routes import ROUTES_FILE, RoutesError, load_routes


def broken(tmp_path: Path, old: str, new: str) -> Path:
    text = ROUTES_FILE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "routes.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_the_shipped_routes_follow_bouwsteen_5() -> None:
    routes = load_routes()
    r301, r315 = routes.route("301"), routes.route("315")
    assert [s.number for s in r301.steps] == ["1", "2-3", "4", "4", "4", "5", "6"]
    assert [s.number for s in r315.steps] == ["1", "2-3", "3", "4", "4", "4", "5", "6"]
    assert r301.steps[0].term.amount == 3 and r315.steps[0].term.amount == 5  # type: ignore[union-attr]
    # 315 step 1 needs both consultations; 301 the lokaal team only.
    assert r301.steps[0].needs == ["lt"] and r315.steps[0].needs == ["lt", "za"]
    # No contact in time with the LT worker: only the regional contact person, told
    # she takes over no tasks, and the JB hears it was reported ("kan dit gemeld worden").
    for route in (r301, r315):
        tier = route.steps[0].escalate[0]
        assert tier.to == ["regionale_contactpersoon"] and tier.when_missing == "lt"
        assert tier.note is not None and "neemt geen taken" in tier.note.nl
        assert tier.tell == ["jeugdbeschermer"]
    # 315: a missing provider consultation is none of the contact person's business.
    assert [t.when_missing for t in r301.steps[0].escalate] == ["lt"]
    za = r315.steps[0].escalate[1]
    assert za.when_missing == "za" and "regionale_contactpersoon" not in za.to
    # Acceptance is not care start: the provider's match (or afwijzing) ends the spans.
    assert r301.step("reactie").done_by.action == "acceptatie"
    assert r301.after(r301.step("reactie")).key == "zorg"  # type: ignore[union-attr]
    assert r301.after(r301.step("zorg")) is None  # care started: done
    assert [(sp.key, sp.until, str(sp.term.amount) + sp.term.unit) for sp in r301.spans] == [
        ("2-4", "reactie", "3weken")]
    assert [(sp.key, sp.until, str(sp.term.amount) + sp.term.unit) for sp in r315.spans] == [
        ("2-3", "reactie", "2weken")]
    # Step 5 has no term of its own; 5B's two weeks start at `ret`; 5A re-enters the route.
    for route, found in ((r301, "toewijzing"), (r315, "verzoek")):
        assert route.step("alternatief").term is None
        assert route.ret.term.amount == 2 and route.ret.term.unit == "weken"
        assert route.step("alternatief").next == found
        assert set(route.step("alternatief").inform) == {"lokaal_team", "zorgaanbieder"}
        six = route.step("escalatie")
        assert six.term is not None and (six.term.amount, six.term.unit) == (1, "weken")
        assert [t.to for t in six.escalate] == [["gi_teamleider", "regionale_contactpersoon"]]
    assert r315.step("toewijzing").on_onjuist == "verzoek"


def test_defaults_the_seed_does_not_name_are_marked_as_ketenbot_defaults() -> None:
    """Every escalation to a team leader that the seed does not name is commented
    as ketenbot's default, so the file never presents it as the seed's rule."""
    lines = ROUTES_FILE.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if "- to: [gi_teamleider]" in line or "- to: [lt_teamleider]" in line:
            assert "ketenbot default" in line, (i + 1, line)


@pytest.mark.parametrize(("old", "new", "says"), [
    ("actor: lokaal_team", "actor: buurman", "actor"),
    ('term: "3"', 'term: "drie"', "term"),
    ("on_afwijzing: alternatief", "on_afwijzing: nergens", "unknown step 'nergens'"),
    ("action: ontvangen", "action: gelezen", "action"),
    ("needs: [lt]", "needs: [buren]", "needs"),
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


def test_the_shipped_tafel_and_handover_follow_bouwsteen_4() -> None:
    routes = load_routes()
    jbt, ov = routes.route("jbt"), routes.route("ov")
    assert (jbt.kind, jbt.prefix, ov.kind, ov.prefix) == ("tafel", "JT", "overdracht", "OV")
    plan = jbt.steps[0]
    # "Vrijwel altijd binnen anderhalve week à twee weken"; a wait beyond it goes to
    # the gemeente's eerste aanspreekpersoon, once, and nowhere further.
    assert plan.term is not None and (plan.term.amount, plan.term.unit) == (2, "weken")
    assert plan.actor == "jbt_voorzitter" and plan.remind == ["jbt_voorzitter"]
    assert [t.to for t in plan.escalate] == [["jbt_aanspreekpersoon"]]
    assert plan.late_inform == ["jbt_aanspreekpersoon"]
    assert [s.done_by.action for s in jbt.steps] == ["gepland", "uitkomst", "verslag"]
    assert jbt.moments["evaluatie"].remind == ["jbt_voorzitter", "aanmelder"]
    # The seed gives the handover no term: the file says whose choice it is.
    block = ROUTES_FILE.read_text(encoding="utf-8").split("  ov:")[1]
    assert block.count("ketenbot default, a region's choice") == 2
    assert [s.done_by.action for s in ov.steps] == ["gesprek", "afspraken"]


def test_a_regions_copy_without_processes_gets_the_shipped_ones(tmp_path: Path) -> None:
    text = ROUTES_FILE.read_text(encoding="utf-8")
    path = tmp_path / "routes.yaml"
    path.write_text(text[:text.index("\nprocesses:")], encoding="utf-8")
    routes = load_routes(path)
    assert list(routes.processes) == ["jbt", "ov"]


def test_every_process_has_a_prefix_of_its_own(tmp_path: Path) -> None:
    with pytest.raises(RoutesError, match="prefix of its own"):
        load_routes(broken(tmp_path, "prefix: JT", "prefix: KB"))

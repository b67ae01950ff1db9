"""`ketenbot teams manifest`: the app package an operator uploads to Teams."""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from handlers.registry import build_registry

APP_ID = "0B7C8A2E-1D3F-4C5A-9E6B-7F8D9A0B1C2D"


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["teams", "manifest", *args])
    return result.exit_code, result.output


def _png_size(data: bytes) -> tuple[int, int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, _depth, colour = struct.unpack(">IIBB", data[16:26])
    return width, height, colour


def test_the_package_carries_the_app_id_host_menu_and_icons(tmp_path: Path) -> None:
    out = tmp_path / "ketenbot-teams.zip"
    code, output = _run("--app-id", APP_ID, "--host", "Ketenbot.Gemeente-Ede.nl", "-o", str(out))
    assert code == 0, output
    assert str(out) in output
    with zipfile.ZipFile(out) as z:
        assert sorted(z.namelist()) == ["color.png", "en-us.json", "manifest.json",
                                        "outline.png"]
        manifest = json.loads(z.read("manifest.json"))
        english = json.loads(z.read("en-us.json"))
        color, outline = z.read("color.png"), z.read("outline.png")
    assert manifest["id"] == manifest["bots"][0]["botId"] == APP_ID.lower()
    assert manifest["validDomains"] == ["ketenbot.gemeente-ede.nl"]
    assert manifest["developer"]["privacyUrl"].startswith("https://ketenbot.gemeente-ede.nl/")
    assert set(manifest["bots"][0]["scopes"]) == {"personal", "team", "groupChat"}
    # The menu: registry commands, at most ten (Teams shows no more), within Teams' lengths.
    (menu,) = manifest["bots"][0]["commandLists"]
    words = {c.name for c in build_registry().commands}
    titles = [c["title"] for c in menu["commands"]]
    assert "wie" in titles and "help" in titles and len(titles) <= 10
    assert set(titles) <= words
    assert all(len(c["title"]) <= 32 and 0 < len(c["description"]) <= 128
               for c in menu["commands"])
    assert "gemeente" in menu["commands"][0]["description"]  # Dutch by default
    # English: every command's title and description in the localization file.
    assert manifest["localizationInfo"]["additionalLanguages"] == [
        {"languageTag": "en-us", "file": "en-us.json"}]
    assert english["bots[0].commandLists[0].commands[0].description"].startswith("who")
    assert len([k for k in english if k.startswith("bots[0]")]) == 2 * len(titles)
    # Teams' icon rules: 192x192 in colour, a 32x32 outline with transparency (RGBA).
    assert _png_size(color)[:2] == (192, 192)
    assert _png_size(outline) == (32, 32, 6)
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert all(p.isdigit() for p in manifest["version"].split("."))


@pytest.mark.parametrize(("args", "says"), [
    (["--app-id", "my-bot", "--host", "ketenbot.example.org"], "GUID"),
    (["--app-id", APP_ID, "--host", "https://ketenbot.example.org/api/messages"],
     "without https://"),
    (["--app-id", APP_ID, "--host", "ketenbot"], "host name"),
])
def test_a_bad_app_id_or_host_writes_nothing(tmp_path: Path, args: list[str], says: str
                                             ) -> None:
    out = tmp_path / "teams.zip"
    code, output = _run(*args, "-o", str(out))
    assert code == 2 and says in output
    assert "Traceback" not in output and not out.exists()


def test_out_may_not_be_a_directory(tmp_path: Path) -> None:
    code, output = _run("--app-id", APP_ID, "--host", "ketenbot.example.org",
                        "-o", str(tmp_path))
    assert code == 2 and "is a directory" in output


def test_the_app_id_and_host_come_from_the_settings(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "teams.zip"
    code, output = _run("-o", str(out))
    assert code == 2 and "KETENBOT_TEAMS_APP_ID" in output and not out.exists()
    monkeypatch.setenv("KETENBOT_TEAMS_APP_ID", APP_ID)
    code, output = _run("-o", str(out))  # the default base URL is no https address
    assert code == 2 and "KETENBOT_WEB_BASE_URL" in output and not out.exists()
    monkeypatch.setenv("KETENBOT_WEB_BASE_URL", "https://ketenbot.example.org")
    code, output = _run("-o", str(out))
    assert code == 0, output
    with zipfile.ZipFile(out) as z:
        manifest = json.loads(z.read("manifest.json"))
    assert manifest["validDomains"] == ["ketenbot.example.org"]
    assert manifest["id"] == APP_ID.lower()

"""The built wheel is the product: every file the packages carry must be in it.

Builds the wheel from exactly the tracked files (a copy of `git ls-files`, so
stray local files cannot hide a gap) and compares its contents with the
tracked files under the five packages. CI (`.ci/run`) goes further and runs
the installed wheel outside the checkout.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PACKAGES = ["bot", "handlers", "scheduling", "storage", "messages"]


def _tracked(*paths: str) -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z", *paths], cwd=ROOT, capture_output=True,
                         check=True)
    return [p for p in out.stdout.decode().split("\0") if p and (ROOT / p).exists()]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: no list of tracked files to compare with")
    src = tmp_path_factory.mktemp("src")
    for name in _tracked():
        target = src / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "--no-build-isolation", "-w", str(dist), str(src)],
                   check=True, capture_output=True)
    (whl,) = dist.glob("ketenbot-*.whl")
    return zipfile.ZipFile(whl)


def test_every_tracked_package_file_is_in_the_wheel(wheel: zipfile.ZipFile) -> None:
    inside = set(wheel.namelist())
    tracked = _tracked(*PACKAGES)
    missing = [f for f in tracked if f not in inside]
    assert not missing, f"tracked files the wheel leaves out: {missing}"
    # What an installed ketenbot reads at run time, by name (a regression
    # guard for the files this issue found missing).
    for needed in ("bot/slack/manifest.yaml", "storage/sample/gelderland.yaml",
                   "storage/migrations/script.py.mako", "scheduling/decree_days.yaml"):
        assert needed in inside
    assert any(n.endswith("routes.yaml") for n in inside)
    assert any(n.startswith("storage/migrations/versions/0001_") for n in inside)


def test_the_wheel_carries_nothing_but_the_packages(wheel: zipfile.ZipFile) -> None:
    tops = {n.split("/")[0] for n in wheel.namelist()}
    (info,) = tops - set(PACKAGES)
    assert info.startswith("ketenbot-") and info.endswith(".dist-info")
    assert not [n for n in wheel.namelist() if "__pycache__" in n or n.endswith(".pyc")]
    entry = wheel.read(f"{info}/entry_points.txt").decode()
    assert "ketenbot = bot.cli.main:main" in entry

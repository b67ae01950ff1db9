"""ARCHITECTURE.md is the map of the tree: it names every package, and every
path it names exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parent.parent
DOC = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
LAYERS = ("bot", "handlers", "scheduling", "storage", "messages", "bench")


def test_every_package_is_on_the_map() -> None:
    packages = sorted(
        str(init.parent.relative_to(ROOT)) + "/"
        for layer in LAYERS for init in (ROOT / layer).rglob("__init__.py")
        if "migrations" not in init.parts)
    assert [p for p in packages if f"`{p}`" not in DOC] == []


def test_every_path_on_the_map_exists() -> None:
    named = set(re.findall(r"`((?:bot|handlers|scheduling|storage|messages|bench|tests)"
                           r"/[\w./]*)`", DOC))
    assert sorted(n for n in named if not (ROOT / n).exists()) == []


def test_every_package_has_a_docstring() -> None:
    bare = [str(init.relative_to(ROOT)) for layer in LAYERS
            for init in (ROOT / layer).rglob("__init__.py")
            if "migrations" not in init.parts
            and not init.read_text(encoding="utf-8").lstrip().startswith('"""')]
    assert bare == []

"""The layers point one way: bot -> handlers -> scheduling -> storage.

handlers/, scheduling/, storage/ and messages/ never import a chat platform's
library (they stay platform-neutral), and no layer imports one above it, so the
route rules, the calendar and the tables can be read without the transports.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PLATFORM_LIBS = {"slack_bolt", "slack_sdk", "telegram"}
# package -> packages it may not import
FORBIDDEN = {
    "handlers": {"bot"},
    "scheduling": {"bot", "handlers"},
    "storage": {"bot", "handlers", "scheduling", "messages"},
    "messages": {"bot", "scheduling"},
}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_layer_imports_one_above_it_or_a_platform(package: str) -> None:
    wrong = {
        str(path.relative_to(ROOT)): sorted(imports(path) & (FORBIDDEN[package] | PLATFORM_LIBS))
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts
    }
    assert {k: v for k, v in wrong.items() if v} == {}

"""The command line has no import loops: `bot.cli.main` registers the command
modules, and they take what they share from `bot.startup`, never from `bot.cli.main`."""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).parent.parent / "bot"


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def test_no_module_imports_the_command_line_back() -> None:
    offenders = [str(p.relative_to(BOT)) for p in BOT.rglob("*.py")
                 if p != BOT / "cli" / "main.py" and "bot.cli.main" in _imports(p)]
    assert offenders == []


def test_startup_does_not_import_any_command_module() -> None:
    assert not [m for m in _imports(BOT / "startup.py") if m.startswith("bot.cli")]

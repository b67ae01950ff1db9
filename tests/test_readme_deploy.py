"""README "Deploy" is not a wish list: every command in it is run by CI or a test."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parent.parent


def deploy_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Deploy\n", 1)[1].split("\n## ", 1)[0]
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", section, re.S):
        lines += [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]
    # Commands given inline: `ketenbot ...`.
    lines += re.findall(r"`(ketenbot [^`]+)`", section)
    return lines


def _words(command: str) -> str:
    """The command with its options, up to the first path, variable or placeholder."""
    out = []
    for word in command.split():
        if any(c in word for c in '/$".*') or word.lower() != word:
            break
        out.append(word)
    return " ".join(out)


def test_every_deploy_command_is_exercised() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    tests = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").glob("test_*.py")
                      if p.name != Path(__file__).name)
    commands = [c for c in deploy_commands() if not c.startswith("export ")]
    assert any(c.startswith("ketenbot db upgrade") for c in commands)
    assert any(c.startswith("pg_dump") for c in commands)
    missing = []
    for command in commands:
        words = _words(command.removeprefix("/srv/ketenbot/bin/"))
        assert len(words.split()) >= 2, command
        sub = words.split()[1:]
        # Or through CliRunner in a test, as an argument list.
        in_tests = words.startswith("ketenbot ") and (
            f'["{sub[-1]}"' in tests or ", ".join(f'"{w}"' for w in sub) in tests)
        if words not in ci and not in_tests:
            missing.append(words)
    assert not missing, f"README Deploy commands nobody runs: {missing}"

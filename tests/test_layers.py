"""The layers point one way: bot -> handlers -> scheduling -> storage, with no circles.

handlers/, scheduling/, storage/ and messages/ never import a chat platform's
library (they stay platform-neutral), and no layer imports one above it, so the
route rules, the calendar and the tables can be read without the transports.
Inside a layer, no two modules import each other, directly or round a longer
loop (function-level imports included): a module can be read, tested and moved
with only what is below it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PACKAGES = ("bot", "handlers", "scheduling", "storage", "messages", "bench")
PLATFORM_LIBS = {"slack_bolt", "slack_sdk", "telegram", "microsoft_agents"}
# package -> packages it may not import
FORBIDDEN = {
    "handlers": {"bot"},
    "scheduling": {"bot", "handlers"},
    "storage": {"bot", "handlers", "scheduling", "messages", "bench"},
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


def module_files(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the project's packages."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            if "versions" in path.parts:  # Alembic revisions: data, loaded by path
                continue
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def module_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the project modules it imports (at any depth in the file).

    `from a.b import c` counts as an import of `a.b.c` when that is a module,
    else of `a.b`; a package's `__init__` is a module like any other.
    """
    files = module_files(root)

    def known(name: str) -> str | None:
        while name and name not in files:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                deps.update(filter(None, (known(a.name) for a in node.names)))
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([base] if base else []))
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    dep = full if full in files else known(base)
                    if dep:
                        deps.add(dep)
        deps.discard(name)
        graph[name] = deps
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every set of modules that import each other round a loop (Tarjan's
    strongly connected components of more than one module)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def layer_violations(root: Path) -> dict[str, list[str]]:
    wrong: dict[str, list[str]] = {}
    for package, forbidden in FORBIDDEN.items():
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            bad = sorted(imports(path) & (forbidden | PLATFORM_LIBS))
            if bad:
                wrong[str(path.relative_to(root))] = bad
    return wrong


def test_no_layer_imports_one_above_it_or_a_platform() -> None:
    assert layer_violations(ROOT) == {}


def test_no_modules_import_each_other_round_a_circle() -> None:
    assert circles(module_graph(ROOT)) == []


# -- the checks themselves catch what they are for -------------------------------


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for package in PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        (path.parent / "__init__.py").touch()
        path.write_text(text)
    return tmp_path


def test_the_circle_check_finds_a_loop_closed_inside_a_function(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "handlers/things/a.py": "from handlers.things.b import helper\n",
        "handlers/things/b.py": "def helper():\n    from handlers.things import c\n",
        "handlers/things/c.py": "def later():\n    from handlers.things.a import x\n",
        "handlers/things/d.py": "from handlers.things.a import x\n",  # below, not in it
    })
    assert circles(module_graph(root)) == [
        ["handlers.things.a", "handlers.things.b", "handlers.things.c"]]


def test_the_circle_check_passes_a_tree_that_points_one_way(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "handlers/things/a.py": "from handlers.things.b import helper\n",
        "handlers/things/b.py": "from storage.rows import Row\n",
        "storage/rows.py": "import sqlalchemy\n",
    })
    assert circles(module_graph(root)) == []


@pytest.mark.parametrize(("path", "text", "bad"), [
    ("storage/rows.py", "from handlers.core import Context\n", ["handlers"]),
    ("scheduling/sweep.py", "def f():\n    import bot.app\n", ["bot"]),
    ("handlers/chat.py", "from slack_sdk import WebClient\n", ["slack_sdk"]),
    ("messages/render.py", "from scheduling.calendar import WorkCalendar\n", ["scheduling"]),
])
def test_the_layer_check_finds_an_import_up_a_layer(tmp_path: Path, path: str, text: str,
                                                    bad: list[str]) -> None:
    root = _tree(tmp_path, {path: text})
    assert layer_violations(root) == {path: bad}

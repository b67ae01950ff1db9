"""The YAML parser for directory files: safe, line-aware, and bounded.

A directory file comes from a person with a spreadsheet or an editor, or from
somewhere worse. The loader refuses what a contact list never needs and what
would stop the import with a traceback instead of a problem on a line:
duplicate keys (YAML keeps the last one silently), keys that are no text,
nesting deeper than a directory has, and `*aliases` that multiply a small
file into a huge one.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_DEPTH = 16  # a directory is eight deep (top > organisations > teams > people > value)
MAX_ALIAS_NODES = 100_000  # nodes repeated through *aliases, summed over the file
_TEXT_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("timestamp", "int", "float", "bool")}
_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"  # `<<: *base` takes the fields of another block

# (line, key or "yaml", message): problems found while parsing that do not stop it.
LoaderProblem = tuple[int, str, str]


class LineLoader(yaml.SafeLoader):
    """SafeLoader that remembers the line of every mapping and of each key.

    Dates stay strings here: YAML's own timestamp parsing raises on a bad date
    like 2026-13-01 and would stop the import at the first one, where we want
    every problem reported with its line. Numbers and booleans stay strings
    too: every field is text, and `phone: +31612345678` read as an int would
    lose its plus sign.
    """

    yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag not in _TEXT_TAGS]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth = 0
        self.alias_nodes = 0
        self.problems: list[LoaderProblem] = []

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:  # type: ignore[override]
        # PyYAML composes recursively: the depth is checked before Python's
        # own limit is near, so a file of ten thousand "[" is one problem.
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            node = self.anchors.get(event.anchor)  # type: ignore[attr-defined]
            if node is not None:
                self.alias_nodes += _size(node, set())
                if self.alias_nodes > MAX_ALIAS_NODES:
                    raise ComposerError(None, None, "te veel herhaling via *verwijzingen "
                                        f"(meer dan {MAX_ALIAS_NODES} waarden)", event.start_mark)
            return super().compose_node(parent, index)  # type: ignore[no-any-return]
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise ComposerError(None, None, f"te diep genest (meer dan {MAX_DEPTH} niveaus)",
                                    self.peek_event().start_mark)
            return super().compose_node(parent, index)  # type: ignore[no-any-return]
        finally:
            self.depth -= 1


def _size(node: Node, path: set[int]) -> int:
    """How many nodes an alias to `node` repeats (a node within itself counts once)."""
    if isinstance(node, ScalarNode) or id(node) in path:
        return 1
    path.add(id(node))
    items: list[Node] = []
    if isinstance(node, SequenceNode):
        items = list(node.value)
    elif isinstance(node, MappingNode):
        items = [n for pair in node.value for n in pair]
    total = 1 + sum(_size(n, path) for n in items)
    path.discard(id(node))
    return total


def _construct_mapping(loader: LineLoader, node: MappingNode) -> dict[str, Any]:
    seen: dict[str, int] = {}
    keep = []
    for key, value in node.value:
        line = key.start_mark.line + 1
        if isinstance(key, ScalarNode) and key.tag == _MERGE_TAG:
            keep.append((key, value))
            continue
        if not isinstance(key, ScalarNode) or key.tag != _STR_TAG:
            loader.problems.append((line, "yaml", "een veldnaam moet tekst zijn"))
            continue
        if key.value in seen:
            first = seen[key.value]
            loader.problems.append((line, key.value,
                                    f"staat twee keer in dit blok (ook op regel {first})"))
            continue
        seen[key.value] = line
        keep.append((key, value))
    node.value = keep
    mapping: dict[str, Any] = dict(loader.construct_mapping(node, deep=True))  # type: ignore[arg-type]
    mapping["__line__"] = node.start_mark.line + 1
    mapping["__lines__"] = {k.value: k.start_mark.line + 1 for k, _ in node.value}
    return mapping


LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,  # type: ignore[arg-type]
)


def error_line(exc: yaml.YAMLError, text: str) -> int:
    """The line a parse error stands on (1-based, never 0)."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        return int(mark.line) + 1
    position = getattr(exc, "position", None)  # ReaderError: a character index
    if isinstance(position, int):
        return text.count("\n", 0, position) + 1
    return 1


def parse(text: str) -> tuple[Any, list[LoaderProblem]]:
    """The document, and the problems that did not stop the parse.
    Raises yaml.YAMLError for one that did."""
    loader = LineLoader(text)
    try:
        return loader.get_single_data(), loader.problems
    finally:
        loader.dispose()

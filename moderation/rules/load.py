"""Reading the rule-engine files: YAML with the line of every key, and the named lists.

PyYAML's composed nodes carry start marks, so every value we later complain about can be
reported as ``file:line``. Reading never raises on bad input: problems come back as diagnostics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from moderation.rules.diagnostics import Diagnostic

__all__ = ["Located", "read_yaml", "read_list", "LIST_SUFFIXES"]

LIST_SUFFIXES = (".txt",)

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Located:
    """Parsed YAML data plus the 1-based line of every key / item (by path from the root)."""

    path: Path
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line(self, *loc: str | int) -> int:
        """Line of the deepest known prefix of ``loc`` (1 if nothing is known)."""
        keys = tuple(loc)
        while keys:
            if keys in self.lines:
                return self.lines[keys]
            keys = keys[:-1]
        return self.lines.get((), 1)


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int], problems: list[tuple[int, str]]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in seen:
                problems.append((line, f"key `{key}` appears twice (first on line {seen[key]})"))
            seen[key] = line
            _walk(value_node, (*path, key), lines, problems)
            lines[(*path, key)] = line
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines, problems)


def read_yaml(path: Path, display: str) -> tuple[Located | None, list[Diagnostic]]:
    """Parse one YAML file; on a syntax error return no data and one diagnostic."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Diagnostic.at(display, 1, f"cannot read the file: {exc}")]
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, [Diagnostic.at(display, 1, "the file is empty", "a rule file is a YAML mapping")]
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = exc.problem or str(exc)
        if exc.context and exc.context_mark is not None and exc.context_mark.line + 1 != line:
            problem = f"{problem} ({exc.context} on line {exc.context_mark.line + 1})"
        return None, [
            Diagnostic.at(display, line, f"YAML syntax error: {problem}",
                          "check indentation and quote values that contain ': ' or '#'")
        ]
    finally:
        loader.dispose()
    lines: dict[Path_, int] = {}
    problems: list[tuple[int, str]] = []
    _walk(node, (), lines, problems)
    diags = [Diagnostic.at(display, line, msg, "remove one of them") for line, msg in problems]
    return Located(path=path, data=data, lines=lines), diags


def read_list(path: Path) -> list[tuple[int, str]]:
    """A named list: one entry per line; blank lines and lines starting with '#' are skipped."""
    entries = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text = raw.strip()
        if text and not text.startswith("#"):
            entries.append((number, text))
    return entries
